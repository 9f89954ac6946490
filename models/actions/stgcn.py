"""ST-GCN (Yan et al. 2018, as refined in PYSKL's ST-GCN++ recipe) over COCO-17 skeletons.

Input ``(N, C, T, V)``: C channels of the chosen streams (joint / bone / motion, see
:mod:`core.actions.skeleton`), T instants, V = 17 joints, one person per example. Spatial graph
convolution uses the three-way "spatial" partition (self, towards and away from the centre
joint) plus a learnable additive adjacency; temporal convolution is a 9-tap 1-D conv.

torch is imported lazily through :func:`build` so importing this module costs nothing.
Construct and run a model on one thread at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.persons.poses import COCO_SKELETON, N_KPT

# Block layouts: (out channels, temporal stride) per block.
ARCHS: dict[str, list[tuple[int, int]]] = {
    "micro": [(16, 1), (32, 2)],
    "tiny": [(32, 1), (48, 2), (64, 1)],
    "small": [(48, 1), (48, 1), (96, 2), (96, 1), (128, 2), (128, 1)],
    "base": [(64, 1), (64, 1), (64, 1), (128, 2), (128, 1), (128, 1), (256, 2), (256, 1), (256, 1)],
}


def coco_adjacency(center: int = 0) -> np.ndarray:
    """Spatial-partition adjacency ``(3, V, V)``: identity, centripetal, centrifugal edges,
    each column-normalised by node degree (as in ST-GCN)."""
    v = N_KPT
    a = np.zeros((v, v))
    for i, j in COCO_SKELETON:
        a[i, j] = a[j, i] = 1
    # hop distance from the centre joint
    hop = np.full(v, np.inf)
    hop[center] = 0
    frontier = [center]
    while frontier:
        nxt = []
        for i in frontier:
            for j in (int(k) for k in np.flatnonzero(a[i])):
                if hop[j] == np.inf:
                    hop[j] = hop[i] + 1
                    nxt.append(j)
        frontier = nxt
    full = a + np.eye(v)
    deg = full.sum(axis=0)
    norm = full / deg[None, :]
    parts = np.zeros((3, v, v))
    for i in range(v):
        for j in range(v):
            if full[i, j] == 0:
                continue
            if hop[j] == hop[i]:
                parts[0, j, i] = norm[j, i]
            elif hop[j] < hop[i]:
                parts[1, j, i] = norm[j, i]
            else:
                parts[2, j, i] = norm[j, i]
    return parts.astype(np.float32)


def build(config: dict[str, Any]) -> Any:
    """An ``nn.Module`` from a plain config: in_channels, num_classes, arch, dropout."""
    import torch
    from torch import nn

    class GraphConv(nn.Module):
        # Aggregate over the graph first (one matmul with the K adjacency matrices side by side),
        # then mix channels with a 1x1 conv over (channel, partition): same function as ST-GCN's
        # conv-then-einsum, but several times cheaper on CPU when cin < cout.
        def __init__(self, cin: int, cout: int, adj: np.ndarray) -> None:
            super().__init__()
            self.register_buffer("A", torch.from_numpy(adj))
            self.PA = nn.Parameter(torch.zeros_like(self.A))  # learnable extra edges
            self.k = adj.shape[0]
            self.conv = nn.Conv2d(cin * self.k, cout, 1)

        def forward(self, x: Any) -> Any:
            n, c, t, v = x.shape
            a = (self.A + self.PA).permute(1, 0, 2).reshape(v, self.k * v)  # (V, K*V)
            y = torch.matmul(x, a).view(n, c, t, self.k, v)
            y = y.permute(0, 1, 3, 2, 4).reshape(n, c * self.k, t, v)
            return self.conv(y)

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, adj: np.ndarray, dropout: float,
                     residual: bool = True) -> None:
            super().__init__()
            self.gcn = GraphConv(cin, cout, adj)
            self.bn1 = nn.BatchNorm2d(cout)
            self.tcn = nn.Sequential(
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, (9, 1), (stride, 1), (4, 0)),
                nn.BatchNorm2d(cout),
                nn.Dropout(dropout),
            )
            if not residual:
                self.res: nn.Module | None = None
            elif cin == cout and stride == 1:
                self.res = nn.Identity()
            else:
                self.res = nn.Sequential(nn.Conv2d(cin, cout, 1, (stride, 1)), nn.BatchNorm2d(cout))
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x: Any) -> Any:
            y = self.tcn(self.bn1(self.gcn(x)))
            if self.res is not None:
                y = y + self.res(x)
            return self.relu(y)

    class STGCN(nn.Module):
        def __init__(self, in_channels: int, num_classes: int, arch: str = "small",
                     dropout: float = 0.1) -> None:
            super().__init__()
            adj = coco_adjacency()
            self.data_bn = nn.BatchNorm1d(in_channels * N_KPT)
            layers = []
            cin = in_channels
            for i, (cout, stride) in enumerate(ARCHS[arch]):
                layers.append(Block(cin, cout, stride, adj, dropout, residual=i > 0))
                cin = cout
            self.blocks = nn.Sequential(*layers)
            self.fc = nn.Linear(cin, num_classes)

        def forward(self, x: Any) -> Any:
            n, c, t, v = x.shape
            x = self.data_bn(x.permute(0, 3, 1, 2).reshape(n, v * c, t))
            x = x.reshape(n, v, c, t).permute(0, 2, 3, 1).contiguous()
            x = self.blocks(x)
            return self.fc(x.mean(dim=(2, 3)))

    if config["arch"] not in ARCHS:
        raise ValueError(f"unknown ST-GCN arch {config['arch']!r}; choose from {', '.join(ARCHS)}")
    return STGCN(int(config["in_channels"]), int(config["num_classes"]), str(config["arch"]),
                 float(config.get("dropout", 0.1)))
