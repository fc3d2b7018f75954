"""The names a batch runs under: the orchestrations and their event, the blobs in batch-in and
batch-out, and the instance ids (fixed by the file, so a replay or a re-drop reuses them).

    batch-in/<name>.<jsonl|csv>     the shot list
    batch-out/<name>/
        batch.json      which run is current for this name (written by the blob trigger)
        cancel.json     while a cancel is pending: the run asked to start no more lines
        results.jsonl   one row per input line, in input order
        summary.json    counts, status, and the file-level error when the whole file was rejected
        <NNNN>[-<id>]/<n>.png, <n>.psd   the images and layered PSDs of each completed line
"""

from __future__ import annotations

import hashlib
import re

from shared.storage.blobs import BATCH_IN, BATCH_OUT, BlobRef

ORCHESTRATION = "generate_batch"
CHUNK_ORCHESTRATION = "generate_batch_chunk"
CANCEL_EVENT = "cancel_batch"
EXTENSIONS = ("jsonl", "csv")

POINTER = "batch.json"
CANCEL_FLAG = "cancel.json"
RESULTS = "results.jsonl"
SUMMARY = "summary.json"

NAME_PATTERN = re.compile(r"^[0-9A-Za-z\uac00-\ud7a3._-]{1,100}$")

# The uploader of a dropped file, as the blob's metadata names it (the CLI sets it; Event Grid's
# `identity` of the writer does not reach a blob trigger). A user id of the platform's sign-in.
OWNER_METADATA = "owner"
OWNER_PATTERN = re.compile(r"^[0-9A-Za-z@._:-]{1,128}$")


def split_blob_name(blob_name: str) -> tuple[str, str] | None:
    """'batch-in/chapter1.jsonl' or 'chapter1.jsonl' → ('chapter1', 'jsonl'); None when the blob is
    not a shot list this trigger handles (other extension, folder, unusable name)."""
    blob_name = blob_name.removeprefix(f"{BATCH_IN}/")
    if "/" in blob_name or "." not in blob_name:
        return None
    stem, _, ext = blob_name.rpartition(".")
    ext = ext.lower()
    if ext not in EXTENSIONS or not valid_name(stem):
        return None
    return stem, ext


def valid_name(name: str) -> bool:
    return isinstance(name, str) and bool(NAME_PATTERN.match(name)) and name not in (".", "..")


def content_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def valid_owner(owner) -> bool:
    return isinstance(owner, str) and bool(OWNER_PATTERN.match(owner))


def instance_id(name: str, sha256: str, owner: str | None = None) -> str:
    """The batch's orchestration id: fixed by the file's name, content and owner. The same file
    dropped again maps to the same id (so nothing new starts); a changed file, or the same file from
    another user, is a new run. With the owner in it, nobody else can work the id out from the file."""
    key = f"{name}\n{sha256}" if owner is None else f"{owner}\n{name}\n{sha256}"
    return f"batch-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def child_instance_id(batch_instance_id: str, line: int) -> str:
    """The generate_background instance of one line: a replay or a re-drop reuses it."""
    return f"{batch_instance_id}-L{line:05d}"


def chunk_instance_id(batch_instance_id: str, number: int) -> str:
    """The generate_batch_chunk instance of the batch's n-th chunk (1-based)."""
    return f"{batch_instance_id}-C{number:04d}"


def item_folder(line: int, item_id: str | None) -> str:
    return f"{line:04d}-{item_id}" if item_id else f"{line:04d}"


def output_blob(name: str, line: int, item_id: str | None, index: int, extension: str) -> str:
    """Name inside batch-out of one copied output: <name>/<NNNN>[-<id>]/<index>.<ext>."""
    return f"{name}/{item_folder(line, item_id)}/{index}.{extension}"


def out_ref(name: str, file: str) -> BlobRef:
    """batch-out/<name>/<file>: one of the run's own files (POINTER, CANCEL_FLAG, RESULTS, SUMMARY)."""
    return BlobRef(BATCH_OUT, f"{name}/{file}")
