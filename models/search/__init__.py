"""Image search: the deep frame embedding (``embeddings``), faiss indexes per project and across
the library (``index``) and the ``search`` stage (``stage``)."""
