"""One replay: the context JSON the SDK's `handle` takes, and calling it."""

from __future__ import annotations

import json
from datetime import datetime

import azure.functions as func

from devhost.durable.protocol import (
    EXECUTION_STARTED,
    ORCHESTRATOR_STARTED,
    OUT_OF_PROC_MARKER,
    TIMER_FIRED,
    event,
    parse_time,
)
from devhost.durable.state import InboxItem, Instance
from devhost.store import dumps


def episode_events(inst: Instance, batch: list[InboxItem], now: datetime) -> tuple[datetime, list[dict]]:
    """(the episode's timestamp, its new events: OrchestratorStarted, then the delivered ones)."""
    ts = max(now, inst.last_ts or now)
    for it in batch:
        if it.event["EventType"] == TIMER_FIRED and it.event.get("FireAt"):
            ts = max(ts, parse_time(it.event["FireAt"]))
    return ts, [event(ORCHESTRATOR_STARTED, ts)] + [dict(it.event, IsPlayed=False) for it in batch]


def context_json(inst: Instance, batch: list[InboxItem], new_events: list[dict]) -> str:
    """The orchestration trigger's input (replay schema V3), built from pre-serialized history."""
    input_text = inst.input
    for it in batch:
        if it.event["EventType"] == EXECUTION_STARTED:
            input_text = it.event.get("Input")
    history_json = "[" + ",".join(inst.replay + [dumps(e) for e in new_events]) + "]"
    return ('{"history":' + history_json + ',"instanceId":' + dumps(inst.id) + ',"isReplaying":false,'
            '"parentInstanceId":' + dumps(inst.parent["id"] if inst.parent else None)
            + ',"input":' + dumps(input_text) + ',"upperSchemaVersion":1,"upperSchemaVersionNew":2}')


def call_orchestrator(f, name: str, body: str | None) -> tuple[dict | None, str | None]:
    """Run the orchestrator's `handle` on the context JSON: (state dict or None, error or None)."""
    if f is None or body is None:
        return None, f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
    state, error = None, None
    try:
        result = f.fn(**{f.trigger_param: func.OrchestrationContext(body)})
        state = json.loads(result) if isinstance(result, str) else result
    except Exception as exc:
        msg = str(exc)
        if OUT_OF_PROC_MARKER in msg:
            head, _, tail = msg.partition(OUT_OF_PROC_MARKER)
            try:
                state = json.loads(tail)
            except ValueError:
                state = None
            error = (state or {}).get("error") or head
        else:
            error = f"{type(exc).__name__}: {msg}"
        state = state if isinstance(state, dict) else None
    return state, error
