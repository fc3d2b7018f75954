"""Reference images: the store and search (store.py, its text side in text_match.py), the loader (ingest.py, also
`python -m shared.references ingest ...`). Importing this package loads nothing heavy."""

from shared.references.store import as_json, count, fuse, search, search_query, with_links
from shared.references.text_match import query_terms

__all__ = ["as_json", "count", "fuse", "query_terms", "search", "search_query", "with_links"]
