"""A search engine for argilla-server backed by one SQLite file.

Runs inside the Argilla server's own venv (never imported by the app): the launcher imports
``engine`` so that argilla-server's ``SearchEngine.register`` sees it. ``text_query`` and
``vectors`` are pure Python/numpy and are unit-tested from the app venv too.
"""
