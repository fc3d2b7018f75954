"""shared.db.history against the real embedded PostgreSQL: the row written by store_outputs (or, for a
failed or cancelled generation, by record_outcome) is written once however often the activity runs,
and each user sees only their own rows, newest first, paged."""

from __future__ import annotations

import uuid

import pytest

from shared.db import history
from shared.generation import job, output, steps

REQUEST = {"category": "음식", "stage": "배경", "keywords": "떡볶이", "description": "", "aspect": "square"}


def _record(instance_id: str, user: str, title: str = "제목") -> bool:
    return history.record(
        instance_id=instance_id, user_id=user, request=REQUEST, title=title, prompt="a plate",
        images=[{"index": 1, "png": f"outputs/{instance_id}/1.png", "psd": f"outputs/{instance_id}/1.psd",
                 "thumbnail": f"outputs/{instance_id}/1-thumb.webp", "width": 1024, "height": 1024}],
        reference_ids=[3, 5], timings={"generate_image": 10}, warnings=[],
    )


def test_record_is_idempotent_by_instance(app_env):
    user = f"user-{uuid.uuid4().hex[:8]}"
    instance = uuid.uuid4().hex
    assert _record(instance, user, "처음") is True
    assert _record(instance, user, "다시") is False  # the activity ran twice
    page = history.list_for_user(user)
    assert page.total == 1 and page.items[0]["title"] == "처음"


def test_listing_is_per_user_newest_first_and_paged(app_env):
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    ids = [f"a{n}-{uuid.uuid4().hex[:6]}" for n in range(5)]
    for n, instance in enumerate(ids):
        _record(instance, alice, f"앨리스 {n}")
    _record(f"b-{uuid.uuid4().hex}", bob, "밥")

    first = history.list_for_user(alice, page=1, page_size=2)
    second = history.list_for_user(alice, page=2, page_size=2)
    third = history.list_for_user(alice, page=3, page_size=2)
    assert first.total == second.total == 5
    listed = [i["instanceId"] for i in first.items + second.items + third.items]
    assert listed == list(reversed(ids))
    assert all(i["title"].startswith("앨리스") for i in first.items + second.items + third.items)
    assert [i["title"] for i in history.list_for_user(bob).items] == ["밥"]

    body = output.history_json(first)
    image = body["items"][0]["images"][0]
    assert image["psd"] == {"assetUrl": f"/api/assets/outputs/{ids[-1]}/1.psd"}
    assert image["thumbnail"]["assetUrl"].endswith("1-thumb.webp")
    assert body["page"] == 1 and body["pageSize"] == 2 and body["total"] == 5


def test_failed_and_cancelled_rows_carry_their_error(app_env):
    user = f"user-{uuid.uuid4().hex[:8]}"
    failed, cancelled, completed = (uuid.uuid4().hex for _ in range(3))
    _record(completed, user, "완성된 것")
    refused = {"code": "content_filtered", "message": "요청한 내용이 안전 정책에 걸려 이미지를 만들 수 없습니다."}
    for instance, status, error in ((failed, "failed", refused),
                                    (cancelled, "cancelled", job.cancelled_error())):
        request = {**REQUEST, "user_id": user}
        args = dict(instance_id=instance, request=request, status=status, error=error,
                    draft={"prompt": "a plate of tteokbokki", "title": "떡볶이", "avoid": []}, prompt=None,
                    references=[{"id": 7}], timings={"write_prompt": 3}, warnings=[])
        assert steps.record_outcome(job.RecordOutcome.from_dict(args)) == {"recorded": True}
        assert steps.record_outcome(job.RecordOutcome.from_dict({**args, "status": "failed"})) == {"recorded": False}  # once

    items = {item["instanceId"]: item for item in history.list_for_user(user).items}
    assert {k: items[k]["status"] for k in items} == {completed: "completed", failed: "failed",
                                                      cancelled: "cancelled"}
    assert items[failed]["error"] == refused and items[failed]["images"] == []
    assert items[failed]["title"] == "떡볶이" and items[failed]["prompt"] == "a plate of tteokbokki"
    assert items[cancelled]["error"]["code"] == "cancelled" and items[completed]["error"] is None
    with pytest.raises(ValueError):
        history.record(instance_id=uuid.uuid4().hex, user_id=user, request=REQUEST, title="", prompt="",
                       images=[], reference_ids=[], timings={}, warnings=[], status="lost")
