"""page and pageSize of GET /api/generations, read at the edge (the history takes plain integers)."""

from __future__ import annotations

from collections.abc import Mapping

from shared.core.errors import ValidationError
from shared.db.history import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    """(page, pageSize): 1-based page at most MAX_PAGE, pageSize 1..MAX_PAGE_SIZE; else a Korean 400."""
    values = {}
    for name, default, low, high in (("page", 1, 1, MAX_PAGE), ("pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)):
        raw = params.get(name)
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValidationError(f"{name} 값은 {low}에서 {high} 사이의 정수여야 합니다.", details={"field": name})
        values[name] = value
    return values["page"], values["pageSize"]
