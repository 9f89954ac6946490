"""Action recognition: the ST-GCN network (``stgcn``), the model registry and loading
(``registry``), training and evaluation (``train``) and the ``actions`` stage (``stage``)."""
