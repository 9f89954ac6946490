"""Image search without ML: ORB local features aggregated with VLAD (``local_features``). The deep
embedding and the faiss index live in ``models.search``."""
