"""kill -9 in the middle of work, restart on the same data dir: everything unfinished resumes and
completes once in its output; finished work stays queryable; no blob fires twice."""

from __future__ import annotations

import json
import time

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

from devhost.testing import DevHost
from tests.devhost.conftest import TESTAPP, Effects, start, wait_until


@pytest.fixture
def crash_host(azurite, tmp_path):
    effects_dir = tmp_path / "effects"
    host = DevHost(TESTAPP, tmp_path / "data", env={"AzureWebJobsStorage": azurite,
                                                     "TESTAPP_EFFECTS_DIR": str(effects_dir)})
    host.start()
    yield host, Effects(effects_dir)
    host.stop()


EXPECTED_STEPS = [{"i": i, "value": None} for i in range(6)] + [{"i": 100 + k, "value": None} for k in range(3)]


def test_kill_during_orchestration_resumes_after_restart(crash_host):
    host, effects = crash_host
    done = start(host, "sequence", ["keep"])  # finished before the crash: must stay queryable
    host.wait_for(done["id"])
    data = start(host, "slow_steps", {"steps": 6, "sleep": 0.3})
    parent_id = f"crash-parent-{time.time_ns()}"
    start(host, "slow_parent", {}, instance_id=parent_id)
    iid = data["id"]
    wait_until(lambda: effects.count("slow_record", tag=iid) >= 2, what="two steps done")
    host.kill()  # SIGKILL while an activity of each orchestration runs
    before = effects.count("slow_record", tag=iid)
    assert before < 9
    host.start()
    # the final durable timer is pending at some point: kill once more while it may be armed
    wait_until(lambda: effects.count("slow_record", tag=iid, i=102) >= 1, what="fan-out done")
    host.kill()
    host.start()
    st = host.wait_for(iid, timeout=60)
    assert st["runtimeStatus"] == "Completed", st
    assert st["output"] == EXPECTED_STEPS  # each step exactly once in the output
    for i in [*range(6), 100, 101, 102]:
        runs = effects.count("slow_record", tag=iid, i=i)
        assert 1 <= runs <= 2, (i, runs)  # at-least-once: only an activity cut off by the kill re-runs
    pst = host.wait_for(parent_id, timeout=60)
    assert pst["runtimeStatus"] == "Completed", pst
    assert pst["output"] == {"child_results": [{"i": i, "value": None} for i in range(4)]
                             + [{"i": 100 + k, "value": None} for k in range(3)]}
    code, old = host.status(done["id"])
    assert code == 200 and old["output"] == ["KEEP"]


def test_kill_during_blob_triggered_orchestration(crash_host, azurite):
    host, effects = crash_host
    service = BlobServiceClient.from_connection_string(azurite)
    try:
        service.create_container("devhost-in")
    except ResourceExistsError:
        pass  # another test of the session made it
    name = f"crash-{time.time_ns()}"
    lines = [{"shot": k} for k in range(5)]
    service.get_container_client("devhost-in").upload_blob(
        f"{name}.jsonl", "\n".join(json.dumps(x) for x in lines).encode())
    iid = f"blob-{name}"
    full = f"devhost-in/{name}.jsonl"
    wait_until(lambda: effects.count("slow_record", tag=iid) >= 1, what="blob orchestration running")
    assert effects.count("blob", name=full) == 1
    host.kill()
    host.start()
    st = host.wait_for(iid, timeout=60)
    assert st["runtimeStatus"] == "Completed", st
    assert st["output"] == [{"i": i, "value": lines[i]} for i in range(5)]
    time.sleep(3)  # several polls after the restart: the receipt survived, no second trigger
    assert effects.count("blob", name=full) == 1
    host.stop()
    host.start()
    time.sleep(2.5)
    assert effects.count("blob", name=full) == 1
    assert host.status(iid)[1]["output"] == st["output"]


def test_timer_missed_while_down_fires_once_past_due(crash_host):
    host, effects = crash_host
    wait_until(lambda: effects.count("timer") >= 1, what="first timer tick")
    host.kill()
    time.sleep(2.5)  # at least two scheduled seconds pass while devhost is down
    before = effects.count("timer")
    host.start()
    wait_until(lambda: effects.count("timer") >= before + 2, what="ticks after restart")
    after = effects.lines("timer")[before:]
    assert after[0]["past_due"] is True
    assert after[1:] and not all(x["past_due"] for x in after[1:])  # then back on schedule


def test_disabled_function_setting(azurite, tmp_path):
    env = {"AzureWebJobsStorage": azurite, "TESTAPP_EFFECTS_DIR": str(tmp_path / "fx"),
           "AzureWebJobs.hello.Disabled": "true", "AzureWebJobs_every_second_Disabled": "1"}
    with DevHost(TESTAPP, tmp_path / "data", env=env) as host:
        assert host.request("GET", "/api/hello/World")[0] == 404
        assert host.request("GET", "/api/opt/x")[0] == 200
        banner = host.log_text()  # the host lists the functions it loaded
        assert "  on_queue: queueTrigger" in banner
        assert "  every_second:" not in banner and "  hello:" not in banner
        time.sleep(2.2)  # two scheduled seconds: a timer that ran anyway would have written by now
        assert Effects(tmp_path / "fx").count("timer") == 0
