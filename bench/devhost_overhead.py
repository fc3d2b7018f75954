"""devhost overhead: orchestration latency and activity throughput for no-op activities.

    .venv/bin/python bench/devhost_overhead.py [--runs 30]

Starts devhost (subprocess, free port, temporary data dir) with a tiny app, then measures over real
HTTP (one request to the Durable HTTP API's start-and-wait form, `orchestrators/{name}?timeout=60`,
which answers with the output as soon as the orchestration completes):
  - 5 sequential no-op activities: p50 latency, activities/s, host overhead per activity
  - a fan-out of 100 no-op activities: p50 latency, activities/s, overhead per activity
The baseline measured in the same run is the time to call the no-op activity function directly in
this process (the work a perfect host would do); host overhead per activity =
(p50 latency - N x direct call) / N. Goals: <= 5 ms overhead per activity (p50) and the fan-out of
100 within 1 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devhost.testing import DevHost  # noqa: E402

APP = textwrap.dedent('''
    import azure.durable_functions as df
    import azure.functions as func

    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.orchestration_trigger(context_name="context")
    def sequential(context):
        for i in range(context.get_input()["n"]):
            yield context.call_activity("noop", i)
        return "done"

    @app.orchestration_trigger(context_name="context")
    def fan_out(context):
        n = context.get_input()["n"]
        results = yield context.task_all([context.call_activity("noop", i) for i in range(n)])
        return len(results)

    @app.activity_trigger(input_name="value")
    def noop(value):
        return value
''')

HOST_JSON = {"version": "2.0", "extensions": {"http": {"routePrefix": "api"},
                                              "durableTask": {"hubName": "Bench",
                                                              "maxConcurrentActivityFunctions": 8}}}


def run_once(host: DevHost, name: str, n: int) -> float:
    """Start and wait for the output in one request (the API's createAndWaitOnNewInstance form)."""
    t0 = time.perf_counter()
    code, _, body = host.request("POST", f"/runtime/webhooks/durabletask/orchestrators/{name}?timeout=60",
                                 json.dumps({"n": n}))
    elapsed = time.perf_counter() - t0
    assert code == 200, body
    assert json.loads(body) == ("done" if name == "sequential" else n), body
    return elapsed


def direct_call_seconds() -> float:
    """Baseline in this process: decode input, call the no-op, encode output (what any host must do)."""
    from azure.functions import meta
    from azure.functions.durable_functions import ActivityTriggerConverter

    def noop(value):
        return value

    reps = 20000
    t0 = time.perf_counter()
    for i in range(reps):
        v = ActivityTriggerConverter.decode(meta.Datum(type="json", value=str(i)), trigger_metadata=None)
        ActivityTriggerConverter.encode(noop(v), expected_type=None)
    return (time.perf_counter() - t0) / reps


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="devhost-bench-") as tmp:
        app_dir = Path(tmp) / "app"
        app_dir.mkdir()
        (app_dir / "function_app.py").write_text(APP)
        (app_dir / "host.json").write_text(json.dumps(HOST_JSON))
        env = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
        with DevHost(app_dir, Path(tmp) / "data", env=env, log_path=None) as host:
            base = direct_call_seconds()
            print(f"baseline: direct no-op activity call in-process {base * 1e6:.1f} us")
            print(f"cores: {os.cpu_count()}, runs per case: {args.runs}")
            for label, name, n in (("5 sequential no-op activities", "sequential", 5),
                                   ("fan-out of 100 no-op activities", "fan_out", 100)):
                for _ in range(3):  # warm-up
                    run_once(host, name, n)
                samples = [run_once(host, name, n) for _ in range(args.runs)]
                p50 = statistics.median(samples)
                p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
                overhead = (p50 - n * base) / n
                print(f"{label}: p50 {p50 * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, "
                      f"{n / p50:.0f} activities/s, host overhead {overhead * 1000:.2f} ms/activity "
                      f"(goal <= 5 ms)" + (f", fan-out within 1 s: {'yes' if p50 <= 1.0 else 'NO'}"
                                           if n == 100 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
