"""Batch runs that go wrong, on their own devhosts (the real app, Azurite, PostgreSQL):

- devhost killed with SIGKILL mid-batch and restarted: the batch finishes with exactly one result row
  per line and no duplicate outputs (child instances and blob names are fixed by the file and line);
- DELETE /api/batches/{name} with BATCH_MAX_CONCURRENCY=1: the running line finishes, no further line
  starts, the rest are reported as cancelled;
- a line whose generation fails (the image model refuses it) is recorded and the others still run.
"""

from __future__ import annotations

import json

import pytest

from shared.batch import names
from tests.fixtures_app import azure_openai_env
from tests.integration.batch.batch_helpers import (
    BATCH_TRIGGER_ON,
    Blobs,
    batch_status,
    instances,
    jsonl,
    shot,
    wait_batch,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def blobs(stack_env):
    return Blobs(stack_env["AzureWebJobsStorage"])


@pytest.fixture(scope="module")
def single_lane_host(start_app_host, fake_openai):
    """One line at a time, image model = the fake Azure OpenAI (scriptable refusals)."""
    app = start_app_host(**azure_openai_env(fake_openai), BATCH_MAX_CONCURRENCY="1", **BATCH_TRIGGER_ON)
    yield app.devhost
    app.devhost.stop()


@pytest.fixture
def two_lane_host(start_app_host):
    app = start_app_host(BATCH_MAX_CONCURRENCY="2", **BATCH_TRIGGER_ON)
    yield app.devhost
    app.devhost.stop()


def _child_exists(host, instance_id: str) -> bool:
    code, _ = host.status(instance_id)
    return code != 404


def test_killed_mid_batch_finishes_with_one_row_per_line_and_no_duplicates(two_lane_host, blobs):
    host = two_lane_host
    lines = [shot(f"장면 {n}, 골목, 오후", id=f"k{n}") for n in range(1, 7)]
    lines.insert(3, shot("", id="k-bad"))  # line 4: no keywords
    blobs.drop("crash.jsonl", jsonl(lines))

    # Kill once a line has completed and others are still running.
    wait_batch(host, "crash", until=lambda b: b.get("done", 0) >= 1 and b.get("running", 0) >= 1, timeout=300)
    host.kill()
    assert blobs.summary("crash") is None, "the batch must still have been running when killed"
    rows_before = blobs.names("batch-out", "crash/")

    host.start()
    body = wait_batch(host, "crash", timeout=600)
    instance = body["instanceId"]
    assert (body["total"], body["done"], body["invalid"], body["failed"]) == (7, 6, 1, 0)

    rows = blobs.results("crash")
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [r["status"] for r in rows] == ["completed"] * 3 + ["invalid"] + ["completed"] * 3
    good = [r for r in rows if r["status"] == "completed"]

    # One generate_background per good line, with the fixed ids: nothing started twice.
    children = sorted(i["instanceId"] for i in instances(host) if i["instanceId"].startswith(instance + "-L"))
    assert children == sorted(names.child_instance_id(instance, r["line"]) for r in good)
    assert all(i["runtimeStatus"] == "Completed" for i in instances(host) if i["instanceId"] in children)

    # The same set of files for every line in outputs/, none for any other id of this batch.
    output_names = blobs.names("outputs", instance)
    per_child = {}
    for name in output_names:
        child, _, file = name.partition("/")
        per_child.setdefault(child, set()).add(file)
    assert set(per_child) == set(children)
    assert len({frozenset(files) for files in per_child.values()}) == 1

    # batch-out holds exactly the results, the summary, the pointer and one PNG + PSD per good line.
    expected = {"crash/batch.json", "crash/results.jsonl", "crash/summary.json"}
    for r in good:
        folder = names.item_folder(r["line"], r["id"])
        expected |= {f"crash/{folder}/1.png", f"crash/{folder}/1.psd"}
        assert r["images"] == [{"index": 1, "png": f"batch-out/crash/{folder}/1.png",
                                "psd": f"batch-out/crash/{folder}/1.psd"}]
    assert set(blobs.names("batch-out", "crash/")) == expected
    assert set(rows_before) <= expected


def test_cancel_stops_starting_new_lines(single_lane_host, blobs):
    host = single_lane_host
    blobs.drop("cancel-me.jsonl", jsonl([shot(f"취소 장면 {n}", id=f"c{n}") for n in range(1, 6)]))
    running = wait_batch(host, "cancel-me", until=lambda b: b.get("running") == 1 and b.get("processed") == 0,
                         timeout=120)
    code, _, raw = host.request("DELETE", "/api/batches/cancel-me")
    assert code == 202, raw
    answer = json.loads(raw)
    assert answer["cancelRequested"] is True and "취소" in answer["message"]

    body = wait_batch(host, "cancel-me", timeout=300)
    assert body["summary"]["status"] == "cancelled"
    rows = blobs.results("cancel-me")
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5]
    statuses = [r["status"] for r in rows]
    started = statuses.count("completed")
    assert 1 <= started <= 2 and statuses == ["completed"] * started + ["cancelled"] * (5 - started)
    for r in rows[started:]:
        assert r["error"]["code"] == "cancelled" and "취소" in r["error"]["message"]
        assert r["instanceId"] is None and r["images"] == []
        assert not _child_exists(host, names.child_instance_id(running["instanceId"], r["line"]))
    assert (body["done"], body["cancelled"]) == (started, 5 - started)
    assert not blobs.names("batch-out", f"cancel-me/{names.item_folder(5, 'c5')}")

    code, _, raw = host.request("DELETE", "/api/batches/cancel-me")
    assert code == 409 and json.loads(raw)["error"]["code"] == "batch_finished"


def test_a_failing_line_is_recorded_and_the_others_run(single_lane_host, blobs, fake_openai):
    from shared.core.errors import ContentFiltered

    host = single_lane_host
    fake_openai.reset()
    fake_openai.content_filter_next(1, api="edits")  # the first image request (an edit: references found): line 1
    blobs.drop("one-fails.jsonl", jsonl([
        shot("전쟁터, 폭발", id="refused"),
        shot("경복궁", stage="채색(명암)"),
        shot("한강, 노을", id="fine"),
    ]))
    body = wait_batch(host, "one-fails", timeout=300)
    rows = blobs.results("one-fails")
    assert [r["status"] for r in rows] == ["failed", "invalid", "completed"]
    assert rows[0]["error"] == {"code": "generation_failed", "message": ContentFiltered().message}
    assert rows[0]["instanceId"] == names.child_instance_id(body["instanceId"], 1) and rows[0]["images"] == []
    assert rows[2]["images"] and rows[2]["error"] is None
    assert (body["failed"], body["invalid"], body["done"]) == (1, 1, 1)
    code, status = batch_status(host, "one-fails")
    assert code == 200 and status["summary"]["failed"] == 1
