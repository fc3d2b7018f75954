"""Stable asset links: /api/assets/<container>/<blob name> -> a fresh read-only SAS URL of that blob.

Only the app's output-like containers are served (never batch-in, never another container), the blob
name is checked for path tricks, the blob must exist, and the URL is always built by shared.storage
from the configured account: what the caller sends can never choose the redirect's host.
"""

from __future__ import annotations

from urllib.parse import quote

from shared.core.errors import NotFound
from shared.storage import blobs as storage

# batch-out is not served here: a batch's files go to their owner only, through /api/batches/{name}/files/.
SERVED_CONTAINERS = (storage.OUTPUTS, storage.UPLOADS, storage.REFERENCES)
MAX_NAME_LENGTH = 1024

ROUTE = "/api/assets/"
MSG_NOT_FOUND = "요청한 파일을 찾을 수 없습니다."


def link(blob: str) -> str:
    """The stable link of a blob ("<container>/<blob name>"): it never expires, unlike a SAS URL."""
    return ROUTE + quote(blob)


def parse_path(path: str) -> tuple[str, str]:
    """"<container>/<blob name>" -> (container, blob name); NotFound for anything else."""
    not_found = NotFound(MSG_NOT_FOUND, code="asset_not_found")
    if not isinstance(path, str):
        raise not_found
    container, sep, name = path.lstrip("/").partition("/")
    if not sep or container not in SERVED_CONTAINERS or not name or len(name) > MAX_NAME_LENGTH:
        raise not_found
    if "\\" in name or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise not_found
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise not_found
    return container, name


MAX_DOWNLOAD_NAME = 120
_NOT_IN_NAMES = set('\\/:*?"<>|')


def download_name(name: str, requested: str | None = None) -> str:
    """The file name a download is saved under: the one the site asks for (its title and index, e.g.
    "경복궁의 밤-3f9a2c-2.psd") cleaned of path and control characters and always ending in the blob's
    own extension, so a link cannot pass a PSD off as something else; else the blob's own file name."""
    own = name.rsplit("/", 1)[-1]
    extension = own.rpartition(".")[2] if "." in own else ""
    cleaned = "".join(ch for ch in (requested or "") if ch.isprintable() and ch not in _NOT_IN_NAMES)
    stem = cleaned.strip()
    if extension and stem.lower().endswith("." + extension.lower()):
        stem = stem[: -len(extension) - 1]
    stem = stem.strip(" .")[:MAX_DOWNLOAD_NAME]
    if not stem:
        return own
    return f"{stem}.{extension}" if extension else stem


def redirect_url(path: str, *, download: bool = False, filename: str | None = None) -> str:
    """A fresh read-only SAS URL for the blob at `path`; NotFound (Korean) when it does not exist.
    With `download`, the link saves the blob as download_name(name, filename)."""
    container, name = parse_path(path)
    if not storage.exists(container, name):
        raise NotFound(MSG_NOT_FOUND, code="asset_not_found")
    saved_as = download_name(name, filename) if download else None
    return storage.read_url(container, name, download_name=saved_as)
