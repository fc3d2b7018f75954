"""functions.orchestrator.paging: page and pageSize of GET /api/generations."""

from __future__ import annotations

import pytest

from functions.orchestrator.paging import paging
from shared.core.errors import ValidationError


def test_paging():
    assert paging({}) == (1, 20)
    assert paging({"page": "3", "pageSize": "5"}) == (3, 5)
    for bad in ({"page": "0"}, {"page": "x"}, {"pageSize": "101"}):
        with pytest.raises(ValidationError):
            paging(bad)
