"""Pose-based action recognition, minus the network: skeleton features, windows, datasets from
the project database, temporal localisation, event fusion and evaluation metrics.

Pure numpy/scipy (no torch): the ST-GCN itself lives in ``models/actions/stgcn.py``. Every function here
is free of threads and may be called from any one thread at a time.
"""
