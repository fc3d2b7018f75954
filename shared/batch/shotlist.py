"""Reading a shot list: a `.jsonl` (one JSON object per line) or `.csv` (first row = field names)
file, as numbered raw lines. Whole-file limits (size, encoding, line count) reject the file; a line
that cannot be read becomes a RawLine with its Korean reason, and the other lines still run. That
includes hostile lines (shared.core.text's rule): control characters or lone surrogates anywhere in
the line, and JSON nested deeper than the rule allows (checked before parsing: json recurses)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

from shared.core.config import Settings, get_settings
from shared.core.errors import AppError, ValidationError
from shared.core.text import MAX_JSON_DEPTH, check_json_depth, check_strings, has_refused_characters

# Field names a line may carry: those of POST /api/generations plus an optional id.
REQUEST_FIELDS = ("category", "stage", "keywords", "description", "uploadId", "aspect", "variations",
                  "review", "prompt", "styleSource", "photoSource")
LINE_FIELDS = REQUEST_FIELDS + ("id",)

_TRUE = {"true", "1", "yes", "y", "예", "네", "o"}
_FALSE = {"false", "0", "no", "n", "아니오", "아니요", "x"}

MSG_CSV_HEADER = "CSV 머리글을 읽을 수 없습니다. 첫 줄을 확인해 주세요."
MSG_CSV_RECORD = "CSV 형식이 올바르지 않습니다. 따옴표와 칸 길이(한 칸 13만 자 이하)를 확인해 주세요."
MSG_BAD_CHARACTERS = "이 줄에 쓸 수 없는 문자(제어 문자 또는 깨진 글자)가 들어 있습니다 ({column}번째 글자). 지우고 다시 올려 주세요."
MSG_BAD_KEY = "이 줄의 필드 이름에 쓸 수 없는 문자(제어 문자 또는 깨진 글자)가 들어 있습니다."
MSG_TOO_DEEP = f"이 줄의 JSON이 너무 깊게 중첩되어 있습니다 (최대 {MAX_JSON_DEPTH}단계)."

# The chapter's style named once: a first JSONL line {"styleSource": ...} alone, or a first CSV line
# "# styleSource: <value>". A line's own styleSource wins. In CSV a source is written <32 hex upload
# id>, <instanceId>/<index> or as JSON.
STYLE_SOURCE = "styleSource"
CSV_STYLE_HEADER = re.compile(r"^#\s*styleSource\s*[:=]\s*(.*?)\s*$")
SOURCE_FIELDS = (STYLE_SOURCE, "photoSource")


class BatchFileError(AppError):
    """The whole file is rejected (too big, too many lines, not UTF-8, no lines): no line runs."""

    status = 422
    code = "batch_rejected"


@dataclass
class RawLine:
    line: int  # 1-based line number in the file (a CSV record: the line it starts on)
    fields: dict | None  # the parsed object, or None when the line could not be parsed
    error: str | None = None  # Korean reason when fields is None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}MB"


def check_size(size: int, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    if size > settings.batch_max_bytes:
        raise BatchFileError(
            f"파일이 너무 큽니다: {_mb(size)} (최대 {_mb(settings.batch_max_bytes)}). 여러 파일로 나눠 올려 주세요.",
            code="file_too_large", details={"size": size, "maxBytes": settings.batch_max_bytes})


def decode(data: bytes) -> str:
    """UTF-8 text (a leading BOM is dropped), or a Korean error naming the first bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BatchFileError(
            f"파일을 UTF-8 텍스트로 읽을 수 없습니다 ({line}번째 줄). UTF-8로 저장한 뒤 다시 올려 주세요.",
            code="undecodable", details={"line": line}) from None
    if "\x00" in text and all("\x00" in line for line in text.splitlines() if line.strip()):
        # NUL on every line: a binary or UTF-16 file, not a shot list with a few bad lines
        line = text[:text.index("\x00")].count("\n") + 1
        raise BatchFileError(
            f"파일에 텍스트가 아닌 내용이 있습니다 ({line}번째 줄). UTF-8 텍스트 파일만 올려 주세요.",
            code="undecodable", details={"line": line})
    return text


def _refused_column(raw: str) -> int | None:
    """1-based position of the first character the text rule refuses, None when there is none."""
    if not has_refused_characters(raw):
        return None
    return next(i for i, ch in enumerate(raw, start=1) if has_refused_characters(ch))


def _checked(number: int, fields: dict) -> RawLine:
    """The line, or its error row when a key or value holds what the text rule refuses (e.g. the
    JSON escapes \\u0000 or a lone \\ud800): the message names the field."""
    try:
        check_strings(fields)
    except ValidationError as exc:
        # a field is named by its key, and a hostile key must not reach results.jsonl either
        message = exc.message if not has_refused_characters(exc.message) else MSG_BAD_KEY
        return RawLine(number, None, message)
    return RawLine(number, fields)


def _jsonl_line(number: int, raw: str) -> RawLine:
    column = _refused_column(raw)
    if column is not None:
        return RawLine(number, None, MSG_BAD_CHARACTERS.format(column=column))
    try:
        check_json_depth(raw)
        value = json.loads(raw)
    except ValidationError:
        return RawLine(number, None, MSG_TOO_DEEP)
    except ValueError as exc:
        # json's own reason is English: only where it went wrong reaches the artist
        column = getattr(exc, "colno", None)
        where = f" ({column}번째 글자 근처)" if column else ""
        return RawLine(number, None, f"JSON 형식이 올바르지 않습니다{where}.")
    if not isinstance(value, dict):
        return RawLine(number, None, "각 줄은 JSON 객체({...})여야 합니다.")
    return _checked(number, value)


def _jsonl_lines(text: str) -> list[RawLine]:
    return [_jsonl_line(number, raw) for number, raw in enumerate(text.splitlines(), start=1) if raw.strip()]


def _csv_source(value: str):
    """A source written in a CSV cell as the request's JSON shape (anything else is left for the
    request's validation to refuse in Korean)."""
    if value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if re.fullmatch(r"[0-9a-f]{32}", value):
        return {"uploadId": value}
    instance, _, index = value.rpartition("/")
    if instance and re.fullmatch(r"\d{1,2}", index):
        return {"instanceId": instance, "index": int(index)}
    return value


def _csv_cell(field: str, value: str):
    value = value.strip()
    if field in SOURCE_FIELDS:
        return _csv_source(value)
    if field == "variations" and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if field == "review":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return value


def _csv_header(reader) -> list[str] | None:
    """The field names of the first row; None for an empty file, BatchFileError when unusable."""
    try:
        header = next(reader)
    except StopIteration:
        return None
    except csv.Error:  # its text is English
        raise BatchFileError(MSG_CSV_HEADER, code="malformed_csv") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise BatchFileError("CSV 첫 줄에 필드 이름(category, stage, keywords ...)이 있어야 합니다.",
                             code="malformed_csv")
    if not any(h in LINE_FIELDS for h in header):
        raise BatchFileError(
            "CSV 첫 줄(머리글)에 필드 이름이 없습니다. 예: category,stage,keywords,description", code="malformed_csv")
    return header


def _csv_record(line: int, header: list[str], record: list[str]) -> RawLine:
    if len(record) > len(header):
        return RawLine(line, None, f"칸 수({len(record)})가 머리글의 필드 수({len(header)})보다 많습니다.")
    fields = {name: _csv_cell(name, cell) for name, cell in zip(header, record, strict=False)
              if name and cell.strip()}
    return _checked(line, fields)


def _csv_lines(text: str) -> list[RawLine]:
    first, newline, rest = text.partition("\n")
    header = CSV_STYLE_HEADER.match(first.rstrip("\r"))
    if header and newline:  # the style line, then the shot list (line numbers stay the file's)
        rows = _csv_lines(rest)
        for row in rows:
            row.line += 1
        return _with_style(rows, _csv_source(header.group(1)))
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream)
    header = _csv_header(reader)
    if header is None:
        return []
    rows: list[RawLine] = []
    # Physical line where each record starts: csv.reader reports where a record ends.
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:  # its text is English
            rows.append(RawLine(start, None, MSG_CSV_RECORD))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in record):
            rows.append(_csv_record(line, header, record))
    return rows


def _with_style(rows: list[RawLine], style) -> list[RawLine]:
    """The lines with the header's style source, where a line names none of its own."""
    for row in rows:
        if row.fields is not None and row.fields.get(STYLE_SOURCE) in (None, ""):
            row.fields[STYLE_SOURCE] = style
    return rows


def _jsonl_style_header(rows: list[RawLine]) -> list[RawLine]:
    """A first line holding styleSource alone is the chapter's style, not a shot."""
    if rows and rows[0].fields is not None and set(rows[0].fields) == {STYLE_SOURCE}:
        return _with_style(rows[1:], rows[0].fields[STYLE_SOURCE])
    return rows


def parse(data: bytes, kind: str, settings: Settings | None = None) -> list[RawLine]:
    """The lines of a shot list, or a BatchFileError for the whole file (size, encoding, count)."""
    settings = settings or get_settings()
    check_size(len(data), settings)
    text = decode(data)
    if kind == "jsonl":
        rows = _jsonl_style_header(_jsonl_lines(text))
    elif kind == "csv":
        rows = _csv_lines(text)
    else:
        raise BatchFileError(f"지원하지 않는 파일 형식입니다: .{kind} (.jsonl 또는 .csv)", code="unsupported_format")
    if not rows:
        raise BatchFileError("파일에 생성 요청 줄이 없습니다.", code="empty")
    if len(rows) > settings.batch_max_lines:
        raise BatchFileError(
            f"줄이 너무 많습니다: {len(rows):,}줄 (최대 {settings.batch_max_lines:,}줄). 여러 파일로 나눠 올려 주세요.",
            code="too_many_lines", details={"lines": len(rows), "maxLines": settings.batch_max_lines})
    return rows
