"""Blob triggers (once per new or changed blob, receipts, durable client, poison) and timer triggers."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

from tests.devhost.conftest import wait_until


@pytest.fixture(scope="module")
def blobs(azurite):
    service = BlobServiceClient.from_connection_string(azurite)
    for name in ("devhost-in", "devhost-poison"):
        try:
            service.create_container(name)
        except ResourceExistsError:
            pass  # another test of the session made it
    return service


def test_blob_trigger_fires_once_per_new_or_changed_blob(host, blobs, effects):
    name = f"shots-{time.time_ns()}"
    container = blobs.get_container_client("devhost-in")
    container.upload_blob(f"{name}.jsonl", b'{"shot": 1}\n{"shot": 2}\n')
    container.upload_blob(f"{name}.csv", b"not matched")  # path pattern does not match
    full = f"devhost-in/{name}.jsonl"
    wait_until(lambda: effects.count("blob", name=full) == 1, what="blob trigger", host=host)
    st = host.wait_for(f"blob-{name}", timeout=30)
    assert st["output"] == [{"i": 0, "value": {"shot": 1}}, {"i": 1, "value": {"shot": 2}}]
    line = [x for x in effects.lines("blob") if x["name"] == full][0]
    assert line["param"] == name and line["length"] == 24 and line["uri"].endswith(f"/{full}")
    time.sleep(3)  # several more polls: no second invocation for the same blob version
    assert effects.count("blob", name=full) == 1
    assert effects.count("blob", name=f"devhost-in/{name}.csv") == 0
    container.upload_blob(f"{name}.jsonl", b'{"shot": 3}\n', overwrite=True)  # changed: fires again
    wait_until(lambda: effects.count("blob", name=full) == 2, what="blob trigger on change")


def test_failing_blob_function_gives_up_as_poison(host, blobs, effects):
    name = f"bad-{time.time_ns()}"
    blobs.get_container_client("devhost-poison").upload_blob(f"{name}.txt", b"x")
    full = f"devhost-poison/{name}.txt"
    wait_until(lambda: f"gave up on {full}" in host.log_text(), timeout=40, what="poison log line")
    assert effects.count("poison", name=full) == 5
    time.sleep(2.5)
    assert effects.count("poison", name=full) == 5


def test_queue_trigger_and_poison_queue(host, azurite, effects):
    import base64

    from azure.storage.queue import QueueClient
    q = QueueClient.from_connection_string(azurite, "devhost-jobs")
    try:
        q.create_queue()
    except ResourceExistsError:
        pass
    tag = str(time.time_ns())
    for text in (f"job-a-{tag}", f"job-b-{tag}", "fail"):
        q.send_message(base64.b64encode(text.encode()).decode())
    wait_until(lambda: effects.count("queue", body=f"job-a-{tag}") == 1
               and effects.count("queue", body=f"job-b-{tag}") == 1, what="queue messages", host=host)
    wait_until(lambda: effects.count("queue", body="fail") == 5, timeout=40, what="5 attempts", host=host)
    poison = QueueClient.from_connection_string(azurite, "devhost-jobs-poison")
    msgs = wait_until(lambda: list(poison.peek_messages(max_messages=5)), what="poison queue", host=host)
    assert base64.b64decode(msgs[0].content) == b"fail"
    time.sleep(2)
    assert effects.count("queue", body=f"job-a-{tag}") == 1 and effects.count("queue", body="fail") == 5
    assert [x["dequeue_count"] for x in effects.lines("queue") if x["body"] == "fail"] == [1, 2, 3, 4, 5]


def test_timer_trigger_fires_on_its_schedule(host, effects):
    before = effects.count("timer")
    wait_until(lambda: effects.count("timer") >= before + 4, timeout=15, what="timer trigger", host=host)
    ticks = effects.lines("timer")[-4:]
    # Each tick names the occurrence before it (ScheduleStatus.Last) and the one it expects next: the
    # scheduled occurrences are whole seconds of the "*/1 * * * * *" schedule, each fired once, in order,
    # and no tick fires before the occurrence the previous tick announced as Next.
    occurrences = [datetime.fromisoformat(x["last"].replace("Z", "+00:00")) for x in ticks[1:]]
    assert all(o.microsecond == 0 for o in occurrences), occurrences
    assert occurrences == sorted(set(occurrences)), occurrences  # once per scheduled second, never twice
    for tick, following in zip(ticks, occurrences[1:], strict=False):
        announced = datetime.fromisoformat(tick["next"].replace("Z", "+00:00"))
        assert following >= announced, (tick, following)
    assert sum(x["past_due"] for x in ticks[-3:]) <= 1  # late only under heavy load


def test_invocations_are_logged(host):
    host.request("GET", "/api/hello/Log")
    text = wait_until(lambda: "http hello" in host.log_text() and host.log_text(), timeout=5, what="log line")
    line = [x for x in text.splitlines() if "http hello" in x][-1]
    assert "status=Succeeded" in line and "duration_ms=" in line and "id=" in line
    assert any("activity" in x and "status=" in x for x in text.splitlines())
