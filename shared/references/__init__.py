"""Reference images: the store and search (store.py), the loader (ingest.py, also
`python -m shared.references ingest ...`). Importing this package loads nothing heavy."""

from shared.references.store import as_json, count, fuse, query_terms, search, search_query, with_links

__all__ = ["as_json", "count", "fuse", "query_terms", "search", "search_query", "with_links"]
