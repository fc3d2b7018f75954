"""Load reference images into the store: `python -m shared.references ingest <folder | blob:CONTAINER[/PREFIX]>
--metadata <file.jsonl | file.csv>`.

Each metadata row names an image file (relative to the folder or prefix), its category and stage (the
values of shared.catalog), a Korean caption, tags, and optionally source and licence. A bad row (unknown
category or stage, missing file, unreadable image) becomes an error line with its row number and never
stops the others. Good rows are embedded in batches, their images and thumbnails stored in the
"references" container under content-addressed names, and loaded with binary COPY, one transaction per
batch, each with the Korean lemmas of its caption and tags (shared.references.korean); rows stored
earlier get theirs (re)computed at the end. Rows whose image (sha256) is already stored are skipped,
so a rerun changes nothing and a run that was interrupted resumes where it stopped: every row ends up
exactly once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from shared.core.catalog import CATEGORIES, CATEGORY_BY_VALUE, STAGE_BY_VALUE, STAGES
from shared.core.errors import ValidationError
from shared.db import pool as db
from shared.references import embedding
from shared.references.embedding import open_image
from shared.references.store import NewReference, existing_sha256, insert_batch, refresh_lemmas
from shared.storage import blobs
from shared.storage import blobs as storage

DEFAULT_BATCH_SIZE = 32
THUMBNAIL_SIZE = 256
THUMBNAIL_PREFIX = "thumbnails/"
REQUIRED_FIELDS = ("file", "category", "stage", "caption")
_CONTENT_TYPES = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp"),
                  "GIF": ("gif", "image/gif"), "BMP": ("bmp", "image/bmp")}


@dataclass
class MetadataRow:
    line: int  # line number in the metadata file (a CSV's header is line 1)
    file: str
    category: str
    stage: str
    caption: str
    tags: list[str]
    source: str = ""
    license: str = ""


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}행: {self.message}"


@dataclass
class IngestReport:
    rows: int = 0
    added: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    relemmatised: int = 0  # stored rows whose Korean lemmas were recomputed
    repaired: int = 0  # stored rows whose image or thumbnail blob was missing and was uploaded again

    def summary(self) -> str:
        relemmatised = f", 형태소 다시 분석 {self.relemmatised}개" if self.relemmatised else ""
        repaired = f", 없어진 파일 다시 올림 {self.repaired}개" if self.repaired else ""
        return (f"완료: 새로 추가 {self.added}개, 이미 있어 건너뜀 {self.skipped}개, 오류 {len(self.errors)}개 "
                f"(전체 {self.rows}행){relemmatised}{repaired}")


# --- metadata -----------------------------------------------------------------------------------

def _split_tags(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        items = value
    else:
        text = str(value)
        for separator in ("|", ";"):
            text = text.replace(separator, ",")
        items = text.split(",")
    tags: list[str] = []
    for item in items:
        tag = str(item).strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _raw_rows(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line, fields or None, error) for each data row of a .jsonl or .csv file."""
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [name for name in REQUIRED_FIELDS if name not in (reader.fieldnames or [])]
            if missing:
                raise ValidationError(f"CSV 머리글에 {', '.join(missing)} 열이 없습니다.", code="bad_metadata")
            for record in reader:
                yield reader.line_num, dict(record), None
        return
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                yield number, None, "JSON으로 읽을 수 없는 줄입니다."
                continue
            if not isinstance(record, dict):
                yield number, None, "한 줄에 JSON 객체 하나여야 합니다."
                continue
            yield number, record, None


def validate_row(line: int, record: dict) -> MetadataRow | RowError:
    values = {name: str(record.get(name) or "").strip() for name in (*REQUIRED_FIELDS, "source", "license")}
    missing = [name for name in REQUIRED_FIELDS if not values[name]]
    if missing:
        return RowError(line, f"필수 항목이 비어 있습니다: {', '.join(missing)}")
    if values["category"] not in CATEGORY_BY_VALUE:
        allowed = ", ".join(c.value for c in CATEGORIES)
        return RowError(line, f"알 수 없는 분류 '{values['category']}' (가능한 값: {allowed})")
    if values["stage"] not in STAGE_BY_VALUE:
        allowed = ", ".join(s.value for s in STAGES)
        return RowError(line, f"알 수 없는 단계 '{values['stage']}' (가능한 값: {allowed})")
    name = PurePosixPath(values["file"].replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts:
        return RowError(line, f"파일 이름은 폴더 안의 상대 경로여야 합니다: {values['file']}")
    return MetadataRow(line, str(name), values["category"], values["stage"], values["caption"],
                       _split_tags(record.get("tags")), values["source"], values["license"])


def read_metadata(path: Path) -> tuple[list[MetadataRow], list[RowError]]:
    rows, errors = [], []
    for line, record, error in _raw_rows(path):
        if error:
            errors.append(RowError(line, error))
            continue
        checked = validate_row(line, record)
        (errors if isinstance(checked, RowError) else rows).append(checked)
    return rows, errors


# --- where the images come from -----------------------------------------------------------------

class FolderSource:
    def __init__(self, folder: Path):
        self.folder = folder.resolve()

    def read(self, name: str) -> bytes | None:
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        return path.read_bytes()


class BlobSource:
    """`blob:CONTAINER[/PREFIX]`: images already in Blob storage (a studio's upload, for instance)."""
    def __init__(self, spec: str):
        container, _, prefix = spec.partition("/")
        self.container = container
        self.prefix = prefix.strip("/")

    def read(self, name: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        blob = f"{self.prefix}/{name}" if self.prefix else name
        try:
            return storage.download(self.container, blob)
        except ResourceNotFoundError:
            return None


def make_source(spec: str | Path):
    text = str(spec)
    if text.startswith("blob:"):
        return BlobSource(text[len("blob:"):])
    folder = Path(text)
    if not folder.is_dir():
        raise ValidationError(f"이미지 폴더가 없습니다: {folder}", code="bad_source")
    return FolderSource(folder)


# --- images -------------------------------------------------------------------------------------

@dataclass
class PreparedImage:
    row: MetadataRow
    data: bytes
    sha256: str
    extension: str
    content_type: str
    width: int
    height: int
    thumbnail: bytes


def prepare_image(row: MetadataRow, data: bytes, digest: str) -> PreparedImage | RowError:
    from PIL import Image

    try:
        image = open_image(data)
    except ValidationError:
        return RowError(row.line, f"이미지를 읽을 수 없습니다: {row.file}")
    extension, content_type = _CONTENT_TYPES.get(image.format or "", ("png", "image/png"))
    thumb = image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=85, optimize=True)
    return PreparedImage(row, data, digest, extension, content_type, image.width, image.height, buffer.getvalue())


# --- the run ------------------------------------------------------------------------------------

def blob_names(item: PreparedImage) -> tuple[str, str]:
    """Content-addressed names: storing again after an interruption overwrites the same blobs."""
    return f"{item.sha256}.{item.extension}", f"{THUMBNAIL_PREFIX}{item.sha256}.jpg"


def store_blobs(item: PreparedImage) -> tuple[str, str]:
    blob_name, thumbnail_blob = blob_names(item)
    blobs.upload(blobs.REFERENCES, blob_name, item.data, item.content_type)
    blobs.upload(blobs.REFERENCES, thumbnail_blob, item.thumbnail, "image/jpeg")
    return blob_names(item)


def repair_missing_blobs(candidates: list[tuple[MetadataRow, bytes, str]], stored: set[str]) -> int:
    """Rows already in the database whose image or thumbnail is gone from storage (lost, or deleted by
    hand) get them uploaded again, instead of being skipped and failing later as "could not be read"."""
    repaired = 0
    for row, data, digest in candidates:
        if digest not in stored:
            continue
        item = prepare_image(row, data, digest)
        if isinstance(item, RowError):
            continue
        if not all(blobs.exists(blobs.REFERENCES, name) for name in blob_names(item)):
            store_blobs(item)
            repaired += 1
    return repaired


class _Progress:
    """tqdm when it is installed (a dev tool, not a runtime dependency), else a line per batch."""
    def __init__(self, total: int, enabled: bool, out: Callable[[str], None]):
        self.total, self.done, self.out, self.bar = total, 0, out, None
        self.enabled = enabled
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="행", desc="참고 이미지", file=sys.stderr, dynamic_ncols=True)
            except ImportError:
                pass

    def update(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        elif self.enabled:
            self.out(f"  {self.done}/{self.total}행 처리")

    def write(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=sys.stdout)
        else:
            self.out(message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def ingest(source: str | Path, metadata: Path, *, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True,
           out: Callable[[str], None] = print) -> IngestReport:
    reader = make_source(source)
    rows, errors = read_metadata(Path(metadata))
    report = IngestReport(rows=len(rows) + len(errors), errors=list(errors))
    bar = _Progress(report.rows, progress, out)
    for error in errors:
        bar.write(f"오류 {error}")
    bar.update(len(errors))
    seen: set[str] = set()
    model = embedding.embedder()

    try:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            candidates: list[tuple[MetadataRow, bytes, str]] = []
            for row in batch:
                data = reader.read(row.file)
                if data is None:
                    report.errors.append(RowError(row.line, f"파일이 없습니다: {row.file}"))
                    bar.write(f"오류 {report.errors[-1]}")
                    continue
                digest = hashlib.sha256(data).hexdigest()
                if digest in seen:  # the same image twice in one file
                    report.skipped += 1
                    continue
                seen.add(digest)
                candidates.append((row, data, digest))

            with db.connection() as conn:
                stored = existing_sha256(conn, [digest for _, _, digest in candidates])
            report.skipped += len(stored)
            report.repaired += repair_missing_blobs(candidates, stored)
            prepared: list[PreparedImage] = []
            for row, data, digest in candidates:
                if digest in stored:
                    continue
                result = prepare_image(row, data, digest)
                if isinstance(result, RowError):
                    report.errors.append(result)
                    bar.write(f"오류 {result}")
                else:
                    prepared.append(result)

            if prepared:
                image_vectors = model.embed_images([p.data for p in prepared])
                caption_vectors = model.embed_texts([p.row.caption for p in prepared])
                new_rows = []
                for item, image_vector, caption_vector in zip(prepared, image_vectors, caption_vectors, strict=True):
                    blob_name, thumbnail_blob = store_blobs(item)
                    row = item.row
                    new_rows.append(NewReference(
                        row.category, row.stage, row.tags, row.caption, blob_name, thumbnail_blob, item.sha256,
                        row.source, row.license, item.width, item.height, image_vector, caption_vector))
                with db.connection() as conn:
                    inserted = insert_batch(conn, new_rows)
                report.added += len(inserted)
                report.skipped += len(new_rows) - len(inserted)  # loaded meanwhile by another run
            bar.update(len(batch))
    finally:
        bar.close()
    with db.connection() as conn:  # rows loaded before the lemmas column, or under older concept tables
        report.relemmatised = refresh_lemmas(conn)
    report.errors.sort(key=lambda e: e.line)
    return report
