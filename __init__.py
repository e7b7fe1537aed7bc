"""boardpapers: search and cited question-answering over council board papers.

Layers point one way: ``boardpapers.ingest`` turns files into passages and imports nothing from
``boardpapers.index``; ``boardpapers.index`` stores, indexes, searches and owns the write path;
``boardpapers.cli`` and ``boardpapers.app`` (with its views in ``boardpapers.ui``) sit on top.
"""

__version__ = "0.1.0"
