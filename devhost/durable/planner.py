"""Plan an episode: the orchestrator's answer and the delivered events in, an EpisodePlan out.

Pure: it reads the instance and a Catalog of what exists, changes neither, and writes nothing; the
engine commits the plan in one transaction and then adopts it in memory."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from devhost.durable.protocol import (
    A_ACTIVITY,
    A_ACTIVITY_RETRY,
    A_CONTINUE_AS_NEW,
    A_SUB,
    A_SUB_RETRY,
    A_TIMER,
    COMPLETIONS,
    CONTINUE_AS_NEW,
    EXECUTION_COMPLETED,
    EXECUTION_FAILED,
    ID_TAKING_ACTIONS,
    ORCHESTRATOR_COMPLETED,
    SUB_CREATED,
    SUB_FAILED,
    TASK_FAILED,
    TASK_SCHEDULED,
    TERMINAL,
    TIMER_CREATED,
    TIMER_FIRED,
    event,
    execution_started,
    flatten_actions,
    iso,
    parse_time,
)
from devhost.durable.state import InboxItem, Instance
from devhost.store import dumps


@dataclass
class Catalog:
    """What the planner needs to know of the world outside the instance."""
    activities: Container[str]
    orchestrators: Container[str]
    is_running: Callable[[str], bool]  # an instance with this id exists and has not finished
    default_version: str = ""  # the version of a sub-orchestration whose call names none


@dataclass
class ChildStart:
    name: str
    instance_id: str
    input: str | None
    parent: dict  # id, execution_id, task_id, name
    version: str


@dataclass
class EpisodePlan:
    ts: datetime  # the episode's timestamp (its OrchestratorStarted)
    book: dict  # the instance's book after the episode
    events: list[dict]  # history events the episode appends
    status: str = "Running"  # the instance's status after the episode
    done_status: str | None = None  # Completed, Failed or ContinuedAsNew when the execution ends
    output: str | None = None
    custom: object = None
    inbox: list[tuple[dict, float]] = field(default_factory=list)  # (event, visible_at) for this execution
    work: list[dict] = field(default_factory=list)  # activities to run: task_id, name, input
    children: list[ChildStart] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)  # inbox items of timers that will never fire
    consumed: list[int] = field(default_factory=list)  # inbox items this episode removes
    continue_input: str | None = None
    new_execution: str | None = None  # continue-as-new: the next execution's id ...
    next_start: dict | None = None  # ... and its ExecutionStarted

    @property
    def productive(self) -> bool:
        """The episode started or ended something (else a replay changed nothing)."""
        return bool(self.work or self.inbox or self.children or self.done_status or self.cancelled)

    @cached_property
    def persisted(self) -> list[str]:
        """`events` as stored (IsPlayed true), serialized once for the history and the replay list."""
        return [dumps({**e, "IsPlayed": True}) for e in self.events]


class _Planner:
    def __init__(self, inst: Instance, ts: datetime, new_events: list[dict], catalog: Catalog):
        self.inst = inst
        self.ts = ts
        self.catalog = catalog
        self.plan = EpisodePlan(ts=ts, book=json.loads(dumps(inst.book)), events=list(new_events))
        self.tasks = self.plan.book["tasks"]

    def _next_id(self) -> int:
        book = self.plan.book
        sid = book["next_seq"]
        book["next_seq"] += 1
        return sid

    def schedule_activity(self, sid: int, name: str, input_text, retry, attempt) -> None:
        ts, plan = self.ts, self.plan
        self.tasks[str(sid)] = {"k": "a", "name": name, "input": input_text, "retry": retry, "attempt": attempt}
        plan.events.append(event(TASK_SCHEDULED, ts, sid, Name=name, Input=input_text))
        if name not in self.catalog.activities:
            plan.inbox.append((event(TASK_FAILED, ts, TaskScheduledId=sid,
                                     Reason=f"The activity function '{name}' doesn't exist.", Details=""), 0.0))
        else:
            plan.work.append({"task_id": sid, "name": name, "input": input_text})

    def schedule_sub(self, sid: int, name: str, input_text, fixed_id, retry, attempt, version) -> None:
        inst, ts, plan = self.inst, self.ts, self.plan
        child_id = fixed_id or f"{inst.id}:{sid}"
        version = self.catalog.default_version if version is None else version
        self.tasks[str(sid)] = {"k": "s", "name": name, "input": input_text, "retry": retry, "attempt": attempt,
                                "fixed_id": fixed_id, "child": child_id, "version": version}
        plan.events.append(event(SUB_CREATED, ts, sid, Name=name, InstanceId=child_id, Input=input_text))
        if name not in self.catalog.orchestrators:
            reason = f"The orchestrator function '{name}' doesn't exist."
        elif child_id != inst.id and self.catalog.is_running(child_id):
            reason = f"An orchestration with instance ID '{child_id}' already exists."
        else:
            plan.children.append(ChildStart(name, child_id, input_text, {
                "id": inst.id, "execution_id": inst.execution_id, "task_id": sid, "name": inst.name}, version))
            return
        plan.inbox.append((event(SUB_FAILED, ts, TaskScheduledId=sid, Reason=reason, Details=""), 0.0))

    def deliver(self, batch: list[InboxItem]) -> None:
        """Completions delivered in this episode; the retries the SDK numbers before new actions."""
        ts = self.ts
        for it in batch:
            ev = it.event
            t = ev["EventType"]
            if t in COMPLETIONS:
                task = self.tasks.pop(str(ev.get("TaskScheduledId")), None)
                if task and task.get("retry") and t in (TASK_FAILED, SUB_FAILED):
                    tid = self._next_id()
                    delay = task["retry"].get("firstRetryIntervalInMilliseconds", 1000) / 1000.0
                    fire_at = ts.timestamp() + delay
                    fire_iso = iso(datetime.fromtimestamp(fire_at, UTC))
                    self.tasks[str(tid)] = {"k": "rt", "call": task}
                    self.plan.events.append(event(TIMER_CREATED, ts, tid, FireAt=fire_iso))
                    self.plan.inbox.append((event(TIMER_FIRED, ts, TimerId=tid, FireAt=fire_iso), fire_at))
            elif t == TIMER_FIRED:
                task = self.tasks.pop(str(ev.get("TimerId")), None)
                if task and task["k"] == "rt":
                    self._retry(task["call"])

    def _retry(self, call: dict) -> None:
        if call["attempt"] >= int(call["retry"].get("maxNumberOfAttempts", 1)):
            return
        nid = self._next_id()
        if call["k"] == "a":
            self.schedule_activity(nid, call["name"], call["input"], call["retry"], call["attempt"] + 1)
        else:
            self.schedule_sub(nid, call["name"], call["input"], call.get("fixed_id"), call["retry"],
                              call["attempt"] + 1, call.get("version"))

    def take_actions(self, flat: list[dict]) -> str | None:
        """Schedule the actions the SDK added since the last episode; an error for unsupported ones."""
        book, ts = self.plan.book, self.ts
        error = None
        for idx in range(book["known"], len(flat)):
            a = flat[idx]
            at = a.get("actionType")
            if at not in ID_TAKING_ACTIONS:
                continue
            sid = self._next_id()
            if at in (A_ACTIVITY, A_ACTIVITY_RETRY):
                self.schedule_activity(sid, a["functionName"], a.get("input"),
                                       a.get("retryOptions") if at == A_ACTIVITY_RETRY else None, 1)
            elif at in (A_SUB, A_SUB_RETRY):
                self.schedule_sub(sid, a["functionName"], a.get("input"), a.get("instanceId"),
                                  a.get("retryOptions") if at == A_SUB_RETRY else None, 1, a.get("version"))
            elif at == A_TIMER:
                fire_at = parse_time(a["fireAt"]).timestamp()
                self.tasks[str(sid)] = {"k": "t", "idx": idx}
                self.plan.events.append(event(TIMER_CREATED, ts, sid, FireAt=a["fireAt"]))
                if not a.get("isCanceled"):
                    self.plan.inbox.append((event(TIMER_FIRED, ts, TimerId=sid, FireAt=a["fireAt"]), fire_at))
            else:
                error = f"devhost does not support durable entities or call_http (action type {at})"
                break
        book["known"] = len(flat)
        self._cancel_timers(flat)
        return error

    def _cancel_timers(self, flat: list[dict]) -> None:
        """Timers the orchestrator cancelled (task_any won by another task) never fire."""
        for key, task in list(self.tasks.items()):
            if task["k"] == "t" and task["idx"] < len(flat) and flat[task["idx"]].get("isCanceled"):
                del self.tasks[key]
                for item in self.inst.inbox:
                    if item.event.get("TimerId") == int(key) and item.event["EventType"] == TIMER_FIRED:
                        self.plan.cancelled.append(item.id)

    def answer(self, state: dict | None, error: str | None) -> str | None:
        """Read the orchestrator's answer: sets done_status and continue_input; returns the error."""
        plan = self.plan
        if error is None and state is not None:
            flat = flatten_actions(state.get("actions"))
            if not state.get("isDone"):
                error = self.take_actions(flat)
            else:
                can = next((a for a in flat if a.get("actionType") == A_CONTINUE_AS_NEW), None)
                if can is not None:
                    plan.continue_input = can.get("input")
                    plan.done_status = "ContinuedAsNew"
                else:
                    plan.done_status = "Completed"
        if error is not None:
            plan.done_status = "Failed"
        elif state is None:
            error = "orchestrator returned no state"
            plan.done_status = "Failed"
        return error

    def conclude(self, batch, stale, state: dict | None, error: str | None) -> EpisodePlan:
        """The closing events, output and status of the episode."""
        inst, ts, plan = self.inst, self.ts, self.plan
        plan.custom = (state or {}).get("customStatus")
        plan.consumed = [it.id for it in batch] + [it.id for it in stale] + plan.cancelled
        plan.events.append(event(ORCHESTRATOR_COMPLETED, ts))
        if plan.done_status == "Completed":
            plan.output = dumps(state.get("output"))
            plan.events.append(event(EXECUTION_COMPLETED, ts, OrchestrationStatus="Completed", Result=plan.output))
        elif plan.done_status == "Failed":
            message = f"Orchestrator function '{inst.name}' failed: {error}"
            plan.output = dumps(message)
            plan.events.append(event(EXECUTION_FAILED, ts, OrchestrationStatus="Failed", Reason=message))
        elif plan.done_status == "ContinuedAsNew":
            plan.events.append(event(CONTINUE_AS_NEW, ts, Input=plan.continue_input))
            plan.new_execution = uuid.uuid4().hex
            plan.next_start = execution_started(ts, inst.name, inst.version, plan.continue_input, inst.id,
                                                plan.new_execution)  # the version stays
        if plan.done_status in TERMINAL:
            plan.status = plan.done_status
        else:
            plan.status = "Suspended" if inst.status == "Suspended" else "Running"
        return plan



def plan_episode(inst: Instance, batch: list[InboxItem], stale: list[InboxItem], new_events: list[dict],
                 ts: datetime, state: dict | None, error: str | None, catalog: Catalog) -> EpisodePlan:
    """What an episode does, given the events it delivered and the orchestrator's (state, error)."""
    planner = _Planner(inst, ts, new_events, catalog)
    planner.deliver(batch)
    error = planner.answer(state, error)
    return planner.conclude(batch, stale, state, error)
