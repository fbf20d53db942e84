"""The case: the SQLite file, its lock and transactions, migration sets, the media store.

Nothing is imported here, as in ``pipeline``: a module names what it uses
(``geotrace.store.case``, ``geotrace.store.media``).  The file itself makes ``store`` a
regular package, which import-linter needs to see its imports (a namespace folder is
invisible to it) and which ``tests/test_layout.py`` requires of every folder in ``src``.
"""
