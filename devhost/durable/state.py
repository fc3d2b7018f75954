"""An orchestration instance in memory, and which of its inbox events make up its next episode."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from devhost.durable.protocol import (
    COMPLETIONS,
    EXECUTION_STARTED,
    SUB_FAILED,
    TASK_FAILED,
    TIMER_FIRED,
    parse_time,
)


@dataclass
class InboxItem:
    id: int
    execution_id: str | None
    event: dict
    visible_at: float


@dataclass
class Instance:
    id: str
    name: str
    execution_id: str
    status: str
    input: str | None
    parent: dict | None
    book: dict  # next_seq (the SDK's task counter), known (actions seen), tasks (open task ids)
    version: str = ""  # the orchestration version, fixed at creation ("" = none)
    history_len: int = 0  # events in the persisted history (the store has them all)
    replay: list[str] = field(default_factory=list)  # the events the SDK replays (JSON, IsPlayed true)
    next_allowed: float = 0.0  # defer a replay until then (see Engine._episode)
    deferred: bool = False
    busy: bool = False  # a replay of this instance runs on the orchestrator thread
    inbox: list[InboxItem] = field(default_factory=list)
    last_ts: datetime | None = None


def new_book() -> dict:
    return {"next_seq": 0, "known": 0, "tasks": {}}


def instance_from_row(row) -> Instance:
    return Instance(
        id=row["id"], name=row["name"], execution_id=row["execution_id"], status=row["status"],
        input=row["input"], parent=json.loads(row["parent"]) if row["parent"] else None,
        book=json.loads(row["book"]), version=row["version"] or "", last_ts=parse_time(row["updated"]))


def drives_retry(inst: Instance, ev: dict) -> bool:
    """A failure of a call with retry options, or the back-off timer after one."""
    t = ev["EventType"]
    tasks = inst.book["tasks"]
    if t in (TASK_FAILED, SUB_FAILED):
        task = tasks.get(str(ev.get("TaskScheduledId")))
        if task and task.get("retry"):
            return True
    if t == TIMER_FIRED:
        task = tasks.get(str(ev.get("TimerId")))
        if task and task["k"] == "rt":
            return True
    return False


def in_flight(inst: Instance) -> int:
    """Activities and sub-orchestrations scheduled whose completion has not arrived yet."""
    pending = {k for k, t in inst.book["tasks"].items() if t["k"] in ("a", "s")}
    if not pending:
        return 0
    arrived = {str(it.event.get("TaskScheduledId")) for it in inst.inbox if it.event["EventType"] in COMPLETIONS}
    return len(pending - arrived)


def select_batch(inst: Instance, ready: list[InboxItem]) -> tuple[list[InboxItem], list[InboxItem]]:
    """(events for this episode, stale events of an older execution to drop) among the ready ones.

    ExecutionStarted comes first; an event that drives a retry is delivered alone, so the ids the SDK
    takes for it come before those of anything delivered later."""
    stale = [it for it in ready if it.execution_id is not None and it.execution_id != inst.execution_id]
    ready = [it for it in ready if it not in stale]
    if not inst.history_len:
        starts = [it for it in ready if it.event["EventType"] == EXECUTION_STARTED]
        if not starts:
            return [], stale
        ready = starts[:1] + [it for it in ready if it.event["EventType"] != EXECUTION_STARTED]
    batch: list[InboxItem] = []
    for it in ready:
        if drives_retry(inst, it.event):
            if not batch:
                batch = [it]
            break
        batch.append(it)
    return batch, stale
