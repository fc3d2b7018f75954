"""functions.http.handles_errors: known errors keep their Korean answer, anything else is a bare 500."""

from __future__ import annotations

import asyncio
import json

from functions.http import handles_errors
from shared.core.errors import INTERNAL_ERROR_MESSAGE, NotFound


def test_sync_and_async_triggers_answer_the_same_error_shapes():
    @handles_errors
    def crashes():
        raise RuntimeError("connection string with a secret")

    @handles_errors
    async def not_found():
        raise NotFound("찾을 수 없습니다.", code="thing_not_found")

    crashed = crashes()
    assert crashed.status_code == 500
    assert json.loads(crashed.get_body()) == {"error": {"code": "internal_error", "message": INTERNAL_ERROR_MESSAGE}}
    missing = asyncio.run(not_found())
    assert missing.status_code == 404
    assert json.loads(missing.get_body()) == {"error": {"code": "thing_not_found", "message": "찾을 수 없습니다."}}
