"""Local-feature image embedding: ORB keypoints aggregated with VLAD (OpenCV + NumPy only).

ORB's 256-bit descriptors are unpacked to 0/1 floats, centred on a mean, projected to
``PROJ_DIM`` dimensions and aggregated against ``K`` centres (VLAD: per-centre sum of residuals,
signed square root, intra- and L2-normalisation) into a ``DIM``-d vector. The
:class:`VladModel` (mean, projection, centres) is either trained on a project's own descriptors
(:func:`train_model`: mean, PCA and k-means; stored with the project so all its videos are
comparable) or a fixed seeded one (:func:`fixed_model`: mean 0.5, random projection), which
works without training data but ranks less well. Pure functions; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

PROJ_DIM = 64
K = 16
DIM = PROJ_DIM * K
KEY = "orb-vlad1024@2"
N_FEATURES = 400
WIDTH = 480


@dataclass(frozen=True)
class VladModel:
    mean: np.ndarray  # (256,)
    proj: np.ndarray  # (256, PROJ_DIM)
    centres: np.ndarray  # (K, PROJ_DIM)

    def to_json(self) -> dict[str, Any]:
        return {"mean": np.round(self.mean, 5).tolist(), "proj": np.round(self.proj, 6).tolist(),
                "centres": np.round(self.centres, 5).tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "VladModel":
        return cls(np.asarray(d["mean"], np.float32), np.asarray(d["proj"], np.float32),
                   np.asarray(d["centres"], np.float32))


def orb_packed(image: np.ndarray, n_features: int = N_FEATURES) -> np.ndarray:
    """ORB descriptors as OpenCV gives them: (M, 32) uint8, 32x smaller than :func:`orb_bits`
    (keep these when descriptors must wait, e.g. for a codebook trained on a whole video)."""
    g = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if g.shape[1] != WIDTH:
        g = cv2.resize(g, (WIDTH, max(8, int(round(g.shape[0] * WIDTH / g.shape[1])))),
                       interpolation=cv2.INTER_AREA)
    orb = cv2.ORB_create(nfeatures=n_features, fastThreshold=10)
    _, d = orb.detectAndCompute(g, None)
    if d is None or len(d) == 0:
        return np.zeros((0, 32), np.uint8)
    return np.ascontiguousarray(d, np.uint8)


def unpack(packed: np.ndarray) -> np.ndarray:
    """(M, 32) uint8 descriptors -> (M, 256) float32 bits."""
    return np.unpackbits(np.asarray(packed, np.uint8), axis=1).astype(np.float32)


def orb_bits(image: np.ndarray, n_features: int = N_FEATURES) -> np.ndarray:
    """ORB descriptors as (M, 256) float32 bits of an RGB or gray uint8 image."""
    return unpack(orb_packed(image, n_features))


def fixed_model(seed: int = 7) -> VladModel:
    """A seeded model that needs no training data."""
    rng = np.random.default_rng(seed)
    proj = (rng.standard_normal((256, PROJ_DIM)) / 16.0).astype(np.float32)
    centres = (rng.standard_normal((K, PROJ_DIM)) * 0.5).astype(np.float32)
    return VladModel(np.full(256, 0.5, np.float32), proj, centres)


def train_model(bits: np.ndarray, k: int = K, seed: int = 7, max_samples: int = 20000) -> VladModel:
    """Mean, PCA projection and k-means centres from sampled ORB descriptors, as bits or packed
    (:func:`orb_packed`); a fixed model if there are too few."""
    x = np.asarray(bits)
    if len(x) < max(k * 8, PROJ_DIM * 2):
        return fixed_model(seed)
    rng = np.random.default_rng(seed)
    if len(x) > max_samples:
        x = x[rng.choice(len(x), max_samples, replace=False)]
    x = unpack(x) if x.dtype == np.uint8 else x.astype(np.float32, copy=False)
    mean = x.mean(0)
    xc = x - mean
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    proj = np.ascontiguousarray(vt[:PROJ_DIM].T, dtype=np.float32)
    y = np.ascontiguousarray(xc @ proj, dtype=np.float32)
    cv2.setRNGSeed(seed)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 1e-3)
    _, _, centres = cv2.kmeans(y, k, None, crit, 2, cv2.KMEANS_PP_CENTERS)  # type: ignore[call-overload]
    return VladModel(mean.astype(np.float32), proj, np.asarray(centres, np.float32))


def vlad(bits: np.ndarray, model: VladModel) -> np.ndarray:
    """VLAD vector (K*PROJ_DIM,) float32, L2-normalised (zeros if no descriptors); ``bits`` as
    from :func:`orb_bits` or packed as from :func:`orb_packed`."""
    c = model.centres
    v = np.zeros(c.shape, np.float32)
    if len(bits):
        x = unpack(bits) if bits.dtype == np.uint8 else np.asarray(bits, np.float32)
        d = (x - model.mean) @ model.proj
        # nearest centre by |c|^2 - 2 d.c (|d|^2 is the same for every centre), residual sums as
        # one product with the assignment matrix: the same vector, ~3x cheaper than the loop
        assign = ((c * c).sum(1) - 2.0 * (d @ c.T)).argmin(1)
        onehot = np.zeros((len(d), len(c)), np.float32)
        onehot[np.arange(len(d)), assign] = 1.0
        v = onehot.T @ d - onehot.sum(0)[:, None] * c
    v = np.sign(v) * np.sqrt(np.abs(v))
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    flat = v.reshape(-1)
    return flat / max(float(np.linalg.norm(flat)), 1e-12)


def embed_local(image: np.ndarray, model: VladModel) -> np.ndarray:
    return vlad(orb_bits(image), model)


__all__ = ["DIM", "K", "KEY", "PROJ_DIM", "VladModel", "embed_local", "fixed_model", "orb_bits",
           "orb_packed", "train_model", "unpack", "vlad"]
