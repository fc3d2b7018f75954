"""Test app for devhost: every trigger and orchestration pattern devhost must host.

Side effects (activity runs, blob and timer invocations) are appended, one JSON line each, to files
in $TESTAPP_EFFECTS_DIR so tests can count how often something really ran.
"""

import asyncio
import json
import os
import time
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def record(kind: str, **data) -> int:
    """Append one line to the effects file `kind`; return how many lines it now has."""
    folder = Path(os.environ.get("TESTAPP_EFFECTS_DIR") or ".")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.jsonl"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(data) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return sum(1 for _ in open(path, encoding="utf-8"))


def count(kind: str, **match) -> int:
    path = Path(os.environ.get("TESTAPP_EFFECTS_DIR") or ".") / f"{kind}.jsonl"
    if not path.exists():
        return 0
    n = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if all(item.get(k) == v for k, v in match.items()):
            n += 1
    return n


def json_response(body, status=200, headers=None):
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json",
                             headers=headers)


# --- HTTP triggers -------------------------------------------------------------------------------

@app.route(route="hello/{name:alpha}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    greeting = os.environ.get("TESTAPP_GREETING", "hi")
    return func.HttpResponse(f"{greeting}, {req.route_params['name']}", mimetype="text/plain")


@app.route(route="items/{id:int}", methods=["GET", "DELETE"], auth_level=func.AuthLevel.FUNCTION)
def item(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"id": int(req.route_params["id"]), "method": req.method,
                          "q": req.params.get("q")})


@app.route(route="admin/ping", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
def admin_ping(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"pong": True})


@app.route(route="files/{*path}", methods=["GET"])
def files(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"path": req.route_params.get("path")})


@app.route(route="opt/{name?}", methods=["GET"])
def optional(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"name": req.route_params.get("name")})


@app.route(route="echo", methods=["POST"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    try:
        body = req.get_json()
    except ValueError:
        return json_response({"error": "malformed JSON"}, 400)
    return json_response({"body": body, "headers": {"x-test": req.headers.get("x-test")}})


@app.route(route="whoami", methods=["GET"])
def whoami(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return json_response({"function": context.function_name, "invocation": context.invocation_id})


@app.route(route="crash", methods=["GET"])
def crash(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("unhandled in a function")


@app.route(route="orchestrators/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        payload = req.get_json() if req.get_body() else None
    except ValueError:
        return json_response({"error": "malformed JSON"}, 400)
    try:
        instance_id = await client.start_new(req.route_params["name"], req.params.get("instance_id"), payload)
    except Exception as exc:  # the client raises the host's 400 message for an unknown orchestrator
        return json_response({"error": str(exc)}, 404)
    return client.create_check_status_response(req, instance_id)


@app.route(route="instances/{id}/{op}", methods=["POST", "GET"])
@app.durable_client_input(client_name="client")
async def manage(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Drives the client from inside the host: status, raise, terminate, suspend, resume."""
    iid, op = req.route_params["id"], req.route_params["op"]
    try:
        if op == "status":
            st = await client.get_status(iid, show_history=True, show_history_output=True)
            if not st:
                return json_response({"error": "not found"}, 404)
            return json_response({"runtimeStatus": st.runtime_status.value if st.runtime_status else None,
                                  "output": st.output, "customStatus": st.custom_status})
        if op == "raise":
            await client.raise_event(iid, req.params["event"], req.get_json())
        elif op == "terminate":
            await client.terminate(iid, req.params.get("reason", "stopped"))
        elif op == "suspend":
            await client.suspend(iid, "pause")
        elif op == "resume":
            await client.resume(iid, "go on")
        else:
            return json_response({"error": "unknown op"}, 400)
    except Exception as exc:
        return json_response({"error": str(exc)}, 409)
    return json_response({"ok": True}, 202)


# --- orchestrations ------------------------------------------------------------------------------

@app.orchestration_trigger(context_name="context")
def sequence(context: df.DurableOrchestrationContext):
    words = context.get_input() or ["a", "b", "c"]
    out = []
    for i, w in enumerate(words):
        context.set_custom_status({"step": i + 1, "of": len(words)})
        out.append((yield context.call_activity("shout", w)))
    return out


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    n = (context.get_input() or {}).get("n", 10)
    results = yield context.task_all([context.call_activity("square", i) for i in range(n)])
    doubled = yield context.call_activity("async_double", sum(results))
    return {"sum": sum(results), "doubled": doubled, "n": len(results)}


@app.orchestration_trigger(context_name="context")
def concurrency(context: df.DurableOrchestrationContext):
    n = (context.get_input() or {}).get("n", 20)
    spans = yield context.task_all([context.call_activity("probe", 0.25) for _ in range(n)])
    async_spans = yield context.task_all([context.call_activity("async_probe", 0.25) for _ in range(n)])
    return {"sync": spans, "async": async_spans}


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    ok = yield context.call_activity_with_retry(
        "flaky", df.RetryOptions(first_retry_interval_in_milliseconds=200, max_number_of_attempts=4),
        {"key": f"{context.instance_id}-ok", "fail_times": spec["fail_times"]})
    try:
        yield context.call_activity_with_retry(
            "flaky", df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=2),
            {"key": f"{context.instance_id}-never", "fail_times": 99})
        exhausted = "no error"
    except Exception as exc:
        exhausted = str(exc)
    # a retried call inside a fan-out, next to plain calls
    more = yield context.task_all([
        context.call_activity("square", 3),
        context.call_activity_with_retry(
            "flaky", df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=3),
            {"key": f"{context.instance_id}-fan", "fail_times": 1}),
        context.call_activity("square", 4),
    ])
    return {"ok": ok, "exhausted": exhausted, "more": more}


@app.orchestration_trigger(context_name="context")
def retry_race(context: df.DurableOrchestrationContext):
    """Several retried calls failing at the same moments, awaited one by one with task_any while new
    ones start (the batch chunk's pattern): every one must settle."""
    spec = context.get_input()
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=spec.get("interval_ms", 300),
                            max_number_of_attempts=spec.get("attempts", 4))
    waiting = list(range(spec["n"]))
    running, done = {}, []
    while waiting or running:
        while waiting and len(running) < spec.get("cap", 2):
            i = waiting.pop(0)
            task = context.call_activity_with_retry(
                "flaky", retry, {"key": f"{context.instance_id}-a{i}", "fail_times": spec["fail_times"]})
            running[task] = ("first", i)
        winner = yield context.task_any(list(running))
        stage, i = running.pop(winner)
        failed = isinstance(winner.result, Exception)
        if stage == "first" and not failed:
            then = context.call_activity_with_retry(
                "flaky", retry, {"key": f"{context.instance_id}-b{i}", "fail_times": spec["fail_times"]})
            running[then] = ("then", i)
        else:
            done.append([i, stage, "failed" if failed else "ok"])
    return sorted(done)


@app.orchestration_trigger(context_name="context")
def racing(context: df.DurableOrchestrationContext):
    seconds = (context.get_input() or {}).get("timeout", 2)
    timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    approval = context.wait_for_external_event("approve")
    winner = yield context.task_any([approval, timer])
    if winner == approval:
        timer.cancel()
        return {"outcome": "approved", "data": approval.result}
    return {"outcome": "timeout"}


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting")
    first = yield context.wait_for_external_event("go")
    second = yield context.wait_for_external_event("go")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def timed(context: df.DurableOrchestrationContext):
    start = context.current_utc_datetime
    yield context.create_timer(start + timedelta(seconds=1))
    after = context.current_utc_datetime
    return {"elapsed": (after - start).total_seconds()}


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    a = yield context.call_sub_orchestrator("child", {"x": 2}, f"{context.instance_id}-child-a")
    b = yield context.call_sub_orchestrator("child", {"x": 5})
    c = yield context.call_sub_orchestrator_with_retry(
        "flaky_child", df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=3),
        {"key": f"{context.instance_id}-sub", "fail_times": 1}, f"{context.instance_id}-flaky")
    try:
        yield context.call_sub_orchestrator("failing", {"msg": "child broke"})
        failed = None
    except Exception as exc:
        failed = str(exc)
    return {"a": a, "b": b, "c": c, "failed": failed}


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext):
    x = context.get_input()["x"]
    y = yield context.call_activity("square", x)
    return {"child": context.instance_id, "parent": context.parent_instance_id, "square": y}


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    result = yield context.call_activity("flaky", spec)  # fails the whole child on its first run
    value = yield context.call_activity("square", result["attempts"])
    return {"attempts": result["attempts"], "square": value}


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    state = context.get_input() or {"n": 0, "seen": []}
    state["n"] += 1
    state["seen"].append(context.instance_id)
    yield context.call_activity("square", state["n"])
    if state["n"] < 3:
        context.continue_as_new(state)
        return None
    return state


@app.orchestration_trigger(context_name="context")
def versioned(context: df.DurableOrchestrationContext):
    """The versions the SDK hands to an orchestration, its children and its next execution."""
    state = context.get_input() or {"round": 1}
    default_child = yield context.call_sub_orchestrator("version_of", None)
    pinned_child = yield context.call_sub_orchestrator("version_of", None, version="9.9")
    state[f"round{state['round']}"] = {"own": context.version, "default_child": default_child,
                                       "pinned_child": pinned_child}
    if state["round"] < 2:
        state["round"] += 1
        context.continue_as_new(state)
        return None
    return state


@app.orchestration_trigger(context_name="context")
def version_of(context: df.DurableOrchestrationContext):
    yield context.call_activity("square", 1)
    return context.version


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    spec = context.get_input() or {}
    yield context.call_activity("explode", spec.get("msg", "boom"))
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def calls_missing(context: df.DurableOrchestrationContext):
    yield context.call_activity("no_such_activity", 1)
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def slow_steps(context: df.DurableOrchestrationContext):
    """Used by the crash tests: several slow steps, each recorded as a side effect."""
    spec = context.get_input() or {}
    steps = spec.get("steps", 6)
    out = []
    for i in range(steps):
        out.append((yield context.call_activity("slow_record", {"tag": context.instance_id, "i": i,
                                                                 "sleep": spec.get("sleep", 0.3)})))
    more = yield context.task_all([
        context.call_activity("slow_record", {"tag": context.instance_id, "i": 100 + k, "sleep": 0.2})
        for k in range(3)])
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=0.5))
    return out + more


@app.orchestration_trigger(context_name="context")
def slow_parent(context: df.DurableOrchestrationContext):
    result = yield context.call_sub_orchestrator("slow_steps", {"steps": 4, "sleep": 0.3},
                                                 f"{context.instance_id}-child")
    return {"child_results": result}


@app.orchestration_trigger(context_name="context")
def blob_job(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    out = []
    for i, line in enumerate(spec["lines"]):
        out.append((yield context.call_activity("slow_record", {"tag": context.instance_id, "i": i,
                                                                 "value": line, "sleep": 0.3})))
    return out


# --- activities ----------------------------------------------------------------------------------

@app.activity_trigger(input_name="word")
def shout(word: str) -> str:
    return word.upper()


@app.activity_trigger(input_name="n")
def square(n: int) -> int:
    return n * n


@app.activity_trigger(input_name="seconds")
def probe(seconds: float) -> list:
    start = time.time()
    time.sleep(seconds)
    return [start, time.time()]


@app.activity_trigger(input_name="seconds")
async def async_probe(seconds: float) -> list:
    start = time.time()
    await asyncio.sleep(seconds)
    return [start, time.time()]


@app.activity_trigger(input_name="n")
async def async_double(n: int) -> int:
    await asyncio.sleep(0.01)
    return 2 * n


@app.activity_trigger(input_name="spec")
def flaky(spec: dict) -> dict:
    record("flaky", key=spec["key"])
    n = count("flaky", key=spec["key"])
    if n <= spec["fail_times"]:
        raise RuntimeError(f"flaky attempt {n} of {spec['key']}")
    return {"attempts": n}


@app.activity_trigger(input_name="msg")
def explode(msg: str):
    raise ValueError(msg)


@app.activity_trigger(input_name="spec")
def slow_record(spec: dict) -> dict:
    time.sleep(spec.get("sleep", 0.3))
    record("slow_record", tag=spec["tag"], i=spec["i"])
    return {"i": spec["i"], "value": spec.get("value")}


@app.activity_trigger(input_name="ignored")
def noop(ignored):
    return None


# --- blob and timer triggers ---------------------------------------------------------------------

@app.blob_trigger(arg_name="blob", path="devhost-in/{name}.jsonl", connection="AzureWebJobsStorage",
                  source="EventGrid")
@app.durable_client_input(client_name="client")
async def on_blob(blob: func.InputStream, client: df.DurableOrchestrationClient, name: str = None):
    lines = [json.loads(x) for x in blob.read().decode("utf-8").splitlines() if x.strip()]
    record("blob", name=blob.name, length=blob.length, param=name, uri=blob.uri)
    await client.start_new("blob_job", f"blob-{name}", {"lines": lines})


@app.blob_trigger(arg_name="blob", path="devhost-poison/{name}.txt", connection="AzureWebJobsStorage")
def on_poison_blob(blob: func.InputStream):
    record("poison", name=blob.name)
    raise RuntimeError("this blob always fails")


@app.queue_trigger(arg_name="msg", queue_name="devhost-jobs", connection="AzureWebJobsStorage")
def on_queue(msg: func.QueueMessage) -> None:
    text = msg.get_body().decode("utf-8")
    record("queue", body=text, dequeue_count=msg.dequeue_count)
    if text == "fail":
        raise RuntimeError("this message always fails")


@app.schedule(schedule="*/1 * * * * *", arg_name="timer", run_on_startup=False)
def every_second(timer: func.TimerRequest) -> None:
    status = timer.schedule_status or {}
    record("timer", past_due=timer.past_due, t=time.time(), last=status.get("Last"), next=status.get("Next"))
