"""Every orchestration pattern of the test app, run on devhost over real HTTP."""

from __future__ import annotations

import json
import time
from datetime import datetime

from tests.devhost.conftest import start, wait_until


def history(host, iid) -> list[dict]:
    code, st = host.status(iid, showHistory="true")
    assert code in (200, 202), (code, st)
    return st.get("historyEvents") or []


def kinds_of(host, iid) -> list[str]:
    return [e["EventType"] for e in history(host, iid)]


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_sequence_with_custom_status(host):
    data = start(host, "sequence", ["ab", "cd", "ef"])
    st = host.wait_for(data["id"])
    assert st["runtimeStatus"] == "Completed"
    assert st["output"] == ["AB", "CD", "EF"]
    assert st["customStatus"] == {"step": 3, "of": 3}
    assert st["input"] == ["ab", "cd", "ef"]


def test_status_uri_answers_202_while_running_and_200_when_done(host):
    data = start(host, "waiter")
    code, headers, body = host.request("GET", data["statusQueryGetUri"])
    assert code == 202
    assert headers["Location"] and int(headers["Retry-After"]) >= 1
    assert json.loads(body)["runtimeStatus"] in ("Pending", "Running")
    for value in ({"n": 1}, "second"):
        code, _, _ = host.request("POST", data["sendEventPostUri"].replace("{eventName}", "go"),
                                  json.dumps(value))
        assert code == 202
    st = host.wait_for(data["id"])
    assert st["output"] == [{"n": 1}, "second"]
    code, headers, body = host.request("GET", data["statusQueryGetUri"])
    assert code == 200 and "Location" not in headers
    assert json.loads(body)["runtimeStatus"] == "Completed"


def test_fan_out_and_async_activity(host):
    data = start(host, "fan_out", {"n": 25})
    st = host.wait_for(data["id"])
    expected = sum(i * i for i in range(25))
    assert st["output"] == {"sum": expected, "doubled": 2 * expected, "n": 25}


def test_long_histories_replay_on_the_orchestrator_thread(host):
    data = start(host, "fan_out", {"n": 300})
    st = host.wait_for(data["id"], timeout=60)
    expected = sum(i * i for i in range(300))
    assert st["output"] == {"sum": expected, "doubled": 2 * expected, "n": 300}
    lines = [x for x in host.log_text().splitlines() if f"id={data['id']}" in x and "orchestrator" in x]
    assert any("replay=thread" in x for x in lines)
    assert any("replay=thread" not in x for x in lines)  # the first, short replay ran inline


def max_overlap(spans) -> int:
    points = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda p: (p[0], p[1]))
    best = cur = 0
    for _, delta in points:
        cur += delta
        best = max(best, cur)
    return best


def test_activities_run_concurrently_within_the_host_json_bound(host):
    data = start(host, "concurrency", {"n": 20})
    out = host.wait_for(data["id"], timeout=60)["output"]
    for kind in ("sync", "async"):
        spans = out[kind]
        assert len(spans) == 20
        overlap = max_overlap(spans)
        assert 2 <= overlap <= 8, (kind, overlap)  # maxConcurrentActivityFunctions = 8


def test_retries_with_backoff(host, effects):
    data = start(host, "retrying", {"fail_times": 2})
    st = host.wait_for(data["id"])
    assert st["runtimeStatus"] == "Completed", st
    out = st["output"]
    assert out["ok"] == {"attempts": 3}
    assert "flaky attempt 2" in out["exhausted"]  # the last attempt's failure reaches the orchestrator
    assert out["more"] == [9, {"attempts": 2}, 16]
    iid = data["id"]
    assert effects.count("flaky", key=f"{iid}-ok") == 3
    assert effects.count("flaky", key=f"{iid}-never") == 2
    assert effects.count("flaky", key=f"{iid}-fan") == 2
    code, hist = host.status(iid, showHistory="true")
    kinds = [e["EventType"] for e in hist["historyEvents"]]
    # failed attempt -> back-off timer -> rescheduled task
    assert kinds.count("TaskFailed") == 2 + 2 + 1
    assert kinds.count("TimerFired") == 2 + 2 + 1  # the exhausted retry waits one more timer, then raises
    first_fail = kinds.index("TaskFailed")
    assert kinds[first_fail:first_fail + 4] == ["TaskFailed", "TimerCreated", "TimerFired", "TaskScheduled"]


def test_external_event_beats_timer(host):
    data = start(host, "racing", {"timeout": 30})
    # The orchestrator has run and waits on both the timer and the event.
    wait_until(lambda: "TimerCreated" in kinds_of(host, data["id"]), what="racing waits", host=host)
    code, _, _ = host.request("POST", data["sendEventPostUri"].replace("{eventName}", "approve"),
                              {"by": "editor"})
    assert code == 202
    st = host.wait_for(data["id"], timeout=10)
    assert st["output"] == {"outcome": "approved", "data": {"by": "editor"}}
    assert "TimerFired" not in kinds_of(host, data["id"])  # the 30 s timer lost the race


def test_timer_beats_external_event(host):
    data = start(host, "racing", {"timeout": 1})
    st = host.wait_for(data["id"], timeout=15)
    assert st["output"] == {"outcome": "timeout"}
    # A real-time durable timer: due one second after the start, fired, and the instance finished
    # no earlier than it was due (the host's own records, not a clock in the test).
    events = history(host, data["id"])
    by_kind = {e["EventType"]: e for e in events}
    assert "EventRaised" not in by_kind and "TimerFired" in by_kind, events
    fire_at = moment(by_kind["TimerCreated"]["FireAt"])
    started = moment(by_kind["ExecutionStarted"]["Timestamp"])
    assert (fire_at - started).total_seconds() >= 0.99, (started, fire_at)
    assert by_kind["TimerFired"]["FireAt"] == by_kind["TimerCreated"]["FireAt"]
    finished = moment(by_kind["ExecutionCompleted"]["Timestamp"])  # history times are to the millisecond
    assert finished >= fire_at.replace(microsecond=fire_at.microsecond // 1000 * 1000), (fire_at, finished)


def test_durable_timer_advances_orchestration_time(host):
    data = start(host, "timed")
    st = host.wait_for(data["id"], timeout=15)
    assert st["output"]["elapsed"] >= 1.0


def test_sub_orchestrations(host, effects):
    iid = "parent-" + str(time.time_ns())
    start(host, "parent", {}, instance_id=iid)
    st = host.wait_for(iid, timeout=30)
    assert st["runtimeStatus"] == "Completed", st
    out = st["output"]
    assert out["a"] == {"child": f"{iid}-child-a", "parent": iid, "square": 4}
    assert out["b"]["square"] == 25 and out["b"]["parent"] == iid and out["b"]["child"] != out["a"]["child"]
    assert out["c"] == {"attempts": 2, "square": 4}
    assert effects.count("flaky", key=f"{iid}-sub") == 2
    assert "child broke" in out["failed"]
    code, child = host.status(f"{iid}-child-a")
    assert code == 200 and child["runtimeStatus"] == "Completed"
    code, flaky = host.status(f"{iid}-flaky")
    assert code == 200 and flaky["runtimeStatus"] == "Completed"


def test_continue_as_new(host):
    data = start(host, "counter")
    st = host.wait_for(data["id"])
    assert st["output"] == {"n": 3, "seen": [data["id"]] * 3}


def test_failure_carries_message(host):
    data = start(host, "failing", {"msg": "the reason 42"})
    st = host.wait_for(data["id"])
    assert st["runtimeStatus"] == "Failed"
    assert "the reason 42" in st["output"]
    code, _, body = host.request("GET", data["statusQueryGetUri"])
    assert code == 200
    code, _, body = host.request("GET", data["statusQueryGetUri"] + "&returnInternalServerErrorOnFailure=true")
    assert code == 500


def test_caller_chosen_instance_id(host):
    iid = "my-own-id-" + str(time.time_ns())
    data = start(host, "sequence", ["x"], instance_id=iid)
    assert data["id"] == iid
    assert host.wait_for(iid)["output"] == ["X"]


def test_terminate_suspend_resume_through_public_api(host):
    data = start(host, "waiter")
    iid = data["id"]
    code, _, _ = host.request("POST", data["suspendPostUri"].replace("{text}", "pause"))
    assert code == 202
    assert host.wait_for(iid, statuses=("Suspended",))["runtimeStatus"] == "Suspended"
    host.request("POST", data["sendEventPostUri"].replace("{eventName}", "go"), 1)
    time.sleep(0.3)
    assert host.status(iid)[1]["runtimeStatus"] == "Suspended"  # events wait while suspended
    code, _, _ = host.request("POST", data["resumePostUri"].replace("{text}", "go"))
    assert code == 202
    host.request("POST", data["sendEventPostUri"].replace("{eventName}", "go"), 2)
    assert host.wait_for(iid)["output"] == [1, 2]

    data = start(host, "waiter")
    code, _, _ = host.request("POST", data["terminatePostUri"].replace("{text}", "enough"))
    assert code == 202
    st = host.wait_for(data["id"])
    assert st["runtimeStatus"] == "Terminated" and st["output"] == "enough"
    code, _, _ = host.request("POST", data["terminatePostUri"].replace("{text}", "again"))
    assert code == 410


def test_list_filter_paginate_and_purge(host):
    prefix = f"lst{time.time_ns()}-"
    for i in range(5):
        start(host, "sequence", ["q"], instance_id=f"{prefix}{i}")
    for i in range(5):
        host.wait_for(f"{prefix}{i}")
    base = "/runtime/webhooks/durabletask/instances"
    seen, token = [], None
    while True:
        headers = {"x-ms-continuation-token": token} if token else {}
        code, hdrs, body = host.request("GET", f"{base}?instanceIdPrefix={prefix}&top=2", headers=headers)
        assert code == 200
        page = json.loads(body)
        assert len(page) <= 2
        seen += [p["instanceId"] for p in page]
        token = hdrs.get("x-ms-continuation-token")
        if not token:
            break
    assert sorted(seen) == [f"{prefix}{i}" for i in range(5)]
    code, _, body = host.request("GET", f"{base}?instanceIdPrefix={prefix}&runtimeStatus=Running,Pending")
    assert json.loads(body) == []
    code, _, body = host.request("GET", f"{base}?instanceIdPrefix={prefix}&runtimeStatus=Completed"
                                 "&createdTimeFrom=2000-01-01T00:00:00Z")
    assert len(json.loads(body)) == 5
    code, _, body = host.request("DELETE", f"{base}/{prefix}0")
    assert code == 200 and json.loads(body) == {"instancesDeleted": 1}
    assert host.status(f"{prefix}0")[0] == 404
    code, _, body = host.request("DELETE", f"{base}?instanceIdPrefix={prefix}&runtimeStatus=Completed")
    assert code == 200 and json.loads(body)["instancesDeleted"] == 4
    code, _, body = host.request("GET", f"{base}?instanceIdPrefix={prefix}")
    assert json.loads(body) == []


def test_show_history_and_input(host):
    data = start(host, "sequence", ["h"])
    host.wait_for(data["id"])
    code, st = host.status(data["id"], showHistory="true", showHistoryOutput="true", showInput="false")
    assert st["input"] is None
    events = st["historyEvents"]
    assert events[0]["EventType"] == "ExecutionStarted"
    assert events[-1]["EventType"] == "ExecutionCompleted" and events[-1]["Result"] == ["H"]
    assert any(e["EventType"] == "TaskCompleted" and e.get("Result") == "H" for e in events)


def test_terminate_while_an_activity_runs_discards_its_result(host, effects):
    data = start(host, "slow_steps", {"steps": 3, "sleep": 0.6})
    iid = data["id"]
    wait_until(lambda: "TaskScheduled" in kinds_of(host, iid), what="first activity scheduled", host=host)
    code, _, _ = host.request("POST", data["terminatePostUri"].replace("{text}", "stop-now"))
    assert code == 202
    assert host.wait_for(iid, timeout=10)["runtimeStatus"] == "Terminated"
    # The activity that was running finishes (its side effect appears); its completion must not
    # revive the instance nor schedule the next step.
    wait_until(lambda: effects.count("slow_record", tag=iid, i=0) == 1, what="running activity done", host=host)
    time.sleep(1.0)  # room for the completion to be (wrongly) processed
    code, st = host.status(iid)
    assert st["runtimeStatus"] == "Terminated" and st["output"] == "stop-now"
    assert effects.count("slow_record", tag=iid) == 1


def test_starting_an_existing_id_replaces_the_running_instance(host):
    iid = f"replace-{time.time_ns()}"
    start(host, "waiter", instance_id=iid)
    host.wait_for(iid, statuses=("Running",))  # the first instance is really running
    start(host, "sequence", ["new"], instance_id=iid)
    st = host.wait_for(iid)
    assert st["name"] == "sequence" and st["output"] == ["NEW"]


def test_event_raised_before_the_orchestrator_waits_is_kept(host):
    iid = f"early-{time.time_ns()}"
    data = start(host, "waiter", instance_id=iid)
    for value in ("one", "two"):  # may arrive before the first replay has even run
        code, _, _ = host.request("POST", data["sendEventPostUri"].replace("{eventName}", "go"),
                                  json.dumps(value))
        assert code == 202
    assert host.wait_for(iid)["output"] == ["one", "two"]


def test_suspended_instance_holds_its_timer_until_resumed(host):
    data = start(host, "racing", {"timeout": 0.5})
    iid = data["id"]
    host.request("POST", data["suspendPostUri"].replace("{text}", "hold"))
    time.sleep(1.2)
    assert host.status(iid)[1]["runtimeStatus"] == "Suspended"
    host.request("POST", data["resumePostUri"].replace("{text}", "go"))
    assert host.wait_for(iid, timeout=10)["output"] == {"outcome": "timeout"}


def test_unknown_activity_fails_the_orchestration_with_its_name(host):
    data = start(host, "calls_missing")
    st = host.wait_for(data["id"])
    assert st["runtimeStatus"] == "Failed" and "no_such_activity" in st["output"]


def test_retries_failing_together_inside_a_task_any_loop_all_settle(host, effects):
    data = start(host, "retry_race", {"n": 4, "cap": 2, "fail_times": 2, "interval_ms": 200})
    st = host.wait_for(data["id"], timeout=60)
    assert st["runtimeStatus"] == "Completed", st
    assert st["output"] == [[i, "then", "ok"] for i in range(4)]
    assert effects.count("flaky", key=f"{data['id']}-a0") == 3
