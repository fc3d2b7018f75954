"""Contract tests: the azure-functions / azure-functions-durable facts devhost relies on.

If an SDK upgrade changes one of these, this file fails before devhost misbehaves."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import azure.functions as func
import pytest
from aiohttp import web
from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.durable.protocol import REPLAY_SKIP, event, flatten_actions

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build_app():
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.orchestration_trigger(context_name="context")
    def fan(context):
        r = yield context.task_all([context.call_activity("a", i) for i in range(3)])
        return sum(r)

    @app.orchestration_trigger(context_name="context")
    def retry(context):
        opts = df.RetryOptions(first_retry_interval_in_milliseconds=500, max_number_of_attempts=2)
        try:
            return (yield context.call_activity_with_retry("a", opts, 1))
        except Exception as exc:
            return f"gave up: {exc}"

    @app.orchestration_trigger(context_name="context")
    def mixed(context):
        timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=5))
        event_task = context.wait_for_external_event("go")
        results = yield context.task_all([
            context.call_activity("a", "x"), timer,
            context.call_sub_orchestrator("fan", {"k": 1}, "child-1")])
        winner = yield context.task_any([event_task, context.create_timer(T0 + timedelta(days=1))])
        context.set_custom_status({"winner": winner.result})
        context.continue_as_new({"round": 2, "first": results[0]})
        return None

    @app.orchestration_trigger(context_name="context")
    def broken(context):
        yield context.call_activity("a", 1)
        raise ValueError("broken on purpose")

    @app.activity_trigger(input_name="x")
    def a(x):
        return x

    return app


APP = build_app()
FUNCS = {f.get_function_name(): f for f in APP.get_functions()}


def started(name="fan", input_text="null"):
    return [event(12, T0), event(0, T0, Name=name, Version="", Input=input_text,
                                 OrchestrationInstance={"InstanceId": "i1", "ExecutionId": "e1"})]


def run(name: str, history: list[dict], input_text: str | None = "null") -> dict:
    f = FUNCS[name]
    body = json.dumps({"history": history, "instanceId": "i1", "isReplaying": False, "parentInstanceId": None,
                       "input": input_text, "upperSchemaVersion": 1, "upperSchemaVersionNew": 2})
    return json.loads(f.get_user_function()(**{f.get_trigger().name: func.OrchestrationContext(body)}))


def test_get_functions_once_per_app():
    app = build_app()
    app.get_functions()
    with pytest.raises(ValueError, match="unique function name"):
        app.get_functions()


def test_trigger_metadata_shape():
    raw = {name: json.loads(f.get_function_json())["bindings"] for name, f in FUNCS.items()}
    assert raw["fan"][0] == {"direction": "IN", "type": "orchestrationTrigger", "name": "context"}
    assert raw["a"][0]["type"] == "activityTrigger" and raw["a"][0]["name"] == "x"


def test_schema_v3_actions_and_compound_shapes():
    out = run("mixed", started("mixed"))
    assert out["schemaVersion"] == 2 and out["isDone"] is False
    assert len(out["actions"]) == 1  # one outer list under V3
    top = out["actions"][0]
    assert top[0]["actionType"] == 12
    kinds = [a["actionType"] for a in top[0]["compoundActions"]]
    assert kinds == [0, 5, 2]
    activity, timer, sub = top[0]["compoundActions"]
    assert activity == {"actionType": 0, "functionName": "a", "input": '"x"'}
    assert set(timer) >= {"fireAt", "isCanceled"} and timer["isCanceled"] is False
    assert sub["functionName"] == "fan" and sub["instanceId"] == "child-1" and json.loads(sub["input"]) == {"k": 1}


def test_ids_follow_flattened_action_order_and_several_completions_in_one_episode():
    h = started("mixed") + [event(12, T0 + timedelta(seconds=6)),
                            event(5, T0, TaskScheduledId=0, Result='"X"'),
                            event(11, T0, TimerId=1, FireAt="2026-01-01T00:00:05.000000Z"),
                            event(8, T0, TaskScheduledId=2, Result="3")]
    out = run("mixed", h)
    flat = flatten_actions(out["actions"])
    # the task_any adds a wait (no id) and a timer (id 3)
    assert [a["actionType"] for a in flat] == [0, 5, 2, 6, 5]
    assert out["isDone"] is False
    h2 = h + [event(12, T0 + timedelta(seconds=7)), event(15, T0, Name="go", Input='{"ok": true}')]
    out2 = run("mixed", h2)
    assert out2["isDone"] is True and out2["customStatus"] == {"winner": {"ok": True}}
    can = [a for a in flatten_actions(out2["actions"]) if a["actionType"] == 4]
    assert json.loads(can[0]["input"]) == {"round": 2, "first": "X"}


def test_fan_out_completions_delivered_together():
    h = started() + [event(12, T0)] + [event(5, T0, TaskScheduledId=i, Result=str(i * 10)) for i in range(3)]
    out = run("fan", h)
    assert out["isDone"] is True and out["output"] == 30


def test_event_raised_before_wait_is_buffered():
    h = started("mixed") + [event(12, T0), event(15, T0, Name="go", Input='"early"'),
                            event(5, T0, TaskScheduledId=0, Result='"X"'),
                            event(11, T0, TimerId=1, FireAt="2026-01-01T00:00:05.000000Z"),
                            event(8, T0, TaskScheduledId=2, Result="3")]
    assert run("mixed", h)["customStatus"] == {"winner": "early"}


def test_retry_numbering_timer_then_rescheduled_task():
    h = started("retry") + [event(12, T0)]
    out = run("retry", h)
    action = flatten_actions(out["actions"])[0]
    assert action["actionType"] == 1
    assert action["retryOptions"] == {"firstRetryIntervalInMilliseconds": 500, "maxNumberOfAttempts": 2}
    assert out["actions"][0][0]["actionType"] == 12  # a retried call is a when-all holding it
    # attempt 1 (id 0) fails -> the SDK waits for timer id 1 -> attempt 2 is id 2
    h += [event(12, T0), event(6, T0, TaskScheduledId=0, Reason="r1", Details="d1")]
    assert run("retry", h)["isDone"] is False
    h += [event(12, T0), event(11, T0, TimerId=1, FireAt=T0.isoformat())]
    assert run("retry", h)["isDone"] is False
    ok = run("retry", h + [event(12, T0), event(5, T0, TaskScheduledId=2, Result='"fine"')])
    assert ok["isDone"] is True and ok["output"] == "fine"
    # attempt 2 fails too: one more timer (id 3) after the last attempt, then the error is raised
    h += [event(12, T0), event(6, T0, TaskScheduledId=2, Reason="r2", Details="d2")]
    assert run("retry", h)["isDone"] is False
    done = run("retry", h + [event(12, T0), event(11, T0, TimerId=3, FireAt=T0.isoformat())])
    assert done["isDone"] is True and done["output"] == "gave up: r2 \n d2"  # Reason and Details


def test_failure_raises_with_out_of_proc_state():
    h = started("broken") + [event(12, T0), event(5, T0, TaskScheduledId=0, Result="1")]
    with pytest.raises(Exception) as info:
        run("broken", h)
    message = str(info.value)
    assert "$OutOfProcData$:" in message
    head, _, tail = message.partition("\n\n$OutOfProcData$:")
    assert head == "broken on purpose"
    state = json.loads(tail)
    assert state["isDone"] is False and state["error"] == "broken on purpose"


def test_replay_ignores_the_events_devhost_leaves_out():
    """devhost replays without TaskScheduled/TimerCreated/...: the SDK must answer the same."""
    full = started("mixed") + [event(4, T0, 0, Name="a", Input='"x"'), event(10, T0, 1, FireAt=T0.isoformat()),
                               event(7, T0, 2, Name="fan", InstanceId="child-1", Input='{"k":1}'), event(13, T0),
                               event(12, T0 + timedelta(seconds=6)), event(5, T0, TaskScheduledId=0, Result='"X"'),
                               event(13, T0), event(19, T0), event(20, T0),
                               event(12, T0 + timedelta(seconds=6)),
                               event(11, T0, TimerId=1, FireAt="2026-01-01T00:00:05.000000Z"),
                               event(8, T0, TaskScheduledId=2, Result="3")]
    compact = [e for e in full if e["EventType"] not in REPLAY_SKIP]
    assert len(compact) < len(full)
    assert run("mixed", full) == run("mixed", compact)


def test_activity_converter_round_trip():
    value = ActivityTriggerConverter.decode(meta.Datum(type="json", value='{"a": [1, "가"]}'),
                                            trigger_metadata=None)
    assert value == {"a": [1, "가"]}
    assert ActivityTriggerConverter.decode(meta.Datum(type="json", value="null"), trigger_metadata=None) is None
    encoded = ActivityTriggerConverter.encode({"b": 2}, expected_type=None)
    assert encoded.type == "json" and json.loads(encoded.value) == {"b": 2}


def test_abstract_binding_types_need_concrete_classes():
    from azure.functions.blob import InputStream
    from azure.functions.timer import TimerRequest
    # func.InputStream / func.TimerRequest are the abstract bases (read() of the base returns None)
    assert func.InputStream is not InputStream and func.TimerRequest is not TimerRequest
    assert InputStream(data=b"abc", name="c/n", length=3).read() == b"abc"
    assert TimerRequest(past_due=True).past_due is True


def test_client_wire_format_against_a_recording_server():
    """start_new posts the input JSON encoded once more as a JSON string to {rpcBaseUrl}orchestrators/..;
    raise_event likewise; create_check_status_response rewrites the origin to the request's."""
    seen = []

    async def handler(request):
        seen.append((request.method, request.path_qs, await request.text()))
        if request.path.startswith("/durabletask/orchestrators/"):
            return web.json_response({"id": "abc"}, status=202)
        return web.json_response({}, status=202)

    async def scenario():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        from devhost.http_api import DurableApi
        binding = DurableApi(None, "Hub", None).binding_json(f"http://127.0.0.1:{port}")
        client = df.DurableOrchestrationClient(binding)
        try:
            assert await client.start_new("orch", "my-id", {"k": [1, 2]}) == "abc"
            await client.raise_event("my-id", "approve", {"ok": 1})
            req = func.HttpRequest("POST", "http://example.test:8080/api/start", body=b"")
            resp = client.create_check_status_response(req, "my-id")
            assert resp.status_code == 202 and resp.headers["Retry-After"]
            links = json.loads(resp.get_body())
            assert links["statusQueryGetUri"].startswith("http://example.test:8080/runtime/webhooks/durabletask/"
                                                         "instances/my-id")
            assert resp.headers["Location"] == links["statusQueryGetUri"]
        finally:
            from azure.durable_functions.models.utils import http_utils
            await http_utils._close_session()
            await runner.cleanup()

    asyncio.run(scenario())
    method, path, body = seen[0]
    assert (method, path) == ("POST", "/durabletask/orchestrators/orch/my-id")
    assert json.loads(json.loads(body)) == {"k": [1, 2]}
    method, path, body = seen[1]
    assert path == "/durabletask/instances/my-id/raiseEvent/approve"
    assert json.loads(json.loads(body)) == {"ok": 1}
