"""Batch lines count against their owner's quota (issue 14), on the real app on devhost with
GENERATIONS_PER_HOUR=2: a batch of four lines from one owner completes two and fails the other two
with the quota's Korean reason; the quota is the owner's own (another user's batch is not held back)."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.batch.batch_helpers import BATCH_TRIGGER_ON, Blobs, jsonl, shot, wait_batch
from tests.integration.generation.generation_client import principal

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def host(start_app_host):
    app = start_app_host(GENERATIONS_PER_HOUR="2", BATCH_MAX_CONCURRENCY="1", **BATCH_TRIGGER_ON)
    yield app.devhost
    app.devhost.stop()


def test_lines_beyond_the_owners_quota_fail_with_its_reason(host, stack_env):
    blobs = Blobs(stack_env["AzureWebJobsStorage"])
    owner, other = f"quota-{uuid.uuid4().hex[:8]}", f"quota-{uuid.uuid4().hex[:8]}"
    blobs.drop("over-quota.jsonl", jsonl([shot(f"장면 {n}, 항구", id=f"q{n}") for n in range(1, 5)]),
               metadata={"owner": owner})
    body = wait_batch(host, "over-quota", headers=principal(owner))
    rows = blobs.results("over-quota")
    assert [r["status"] for r in rows] == ["completed", "completed", "failed", "failed"]
    for row in rows[2:]:
        assert row["error"]["code"] == "quota_exceeded" and "한 시간" in row["error"]["message"]
        assert row["instanceId"] is None and row["images"] == []
    assert (body["done"], body["failed"]) == (2, 2)

    blobs.drop("own-quota.jsonl", jsonl([shot("등대, 새벽", id="x1")]), metadata={"owner": other})
    assert wait_batch(host, "own-quota", headers=principal(other))["done"] == 1
