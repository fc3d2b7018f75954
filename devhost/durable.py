"""The Durable Task engine: orchestrations replayed through the real azure-functions-durable SDK.

Model (the wire facts are in docs/durable-protocol.md):
- an instance has a history (events already played) and an inbox (events not yet delivered:
  ExecutionStarted, TaskCompleted/Failed, TimerFired (visible at its fire time), EventRaised,
  SubOrchestrationInstanceCompleted/Failed);
- an episode delivers ready inbox events after a new OrchestratorStarted, calls the orchestrator's
  `handle` with the context JSON, and turns the new actions it returns into history events, work
  (activities), timers and child instances, all written in one transaction before acting;
- the SDK numbers tasks by a counter it rebuilds on every replay, so devhost mirrors it: new
  actions take ids in the order they appear in the flattened cumulative action list, after any id
  the SDK took for a retry (timer after a failed attempt, the rescheduled attempt after the timer).
  An event that drives a retry is delivered alone in its episode; other completions that are
  already available are delivered together (a fan-out completes in few episodes).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import os
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import azure.functions as func
from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.store import Store, dumps

log = logging.getLogger("devhost")

TERMINAL = ("Completed", "Failed", "Terminated")
OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"

# History event types (EventType integers).
EXECUTION_STARTED, EXECUTION_COMPLETED, EXECUTION_FAILED, EXECUTION_TERMINATED = 0, 1, 2, 3
TASK_SCHEDULED, TASK_COMPLETED, TASK_FAILED = 4, 5, 6
SUB_CREATED, SUB_COMPLETED, SUB_FAILED = 7, 8, 9
TIMER_CREATED, TIMER_FIRED = 10, 11
ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED = 12, 13
EVENT_RAISED, CONTINUE_AS_NEW = 15, 16
SUSPENDED, RESUMED = 19, 20
EVENT_NAMES = {
    0: "ExecutionStarted", 1: "ExecutionCompleted", 2: "ExecutionFailed", 3: "ExecutionTerminated",
    4: "TaskScheduled", 5: "TaskCompleted", 6: "TaskFailed", 7: "SubOrchestrationInstanceCreated",
    8: "SubOrchestrationInstanceCompleted", 9: "SubOrchestrationInstanceFailed", 10: "TimerCreated",
    11: "TimerFired", 12: "OrchestratorStarted", 13: "OrchestratorCompleted", 14: "EventSent",
    15: "EventRaised", 16: "ContinueAsNew", 19: "ExecutionSuspended", 20: "ExecutionResumed",
}

# Events the SDK's replay ignores (TaskOrchestrationExecutor.process_event acts only on
# OrchestratorStarted, ExecutionStarted, ContinueAsNew, EventSent and completions): kept in the stored
# history, left out of the replay payload because the SDK parses every event's timestamp with dateutil
# (~70 us each). tests/devhost/test_sdk_contract.py checks the SDK still gives the same answer.
REPLAY_SKIP = {4, 7, 10, 13, 1, 2, 3, 19, 20}

# Replays at least this long (events) run on the orchestrator thread instead of the event loop.
OFFLOAD_REPLAY_EVENTS = int(os.environ.get("DEVHOST_OFFLOAD_REPLAY_EVENTS", "250"))

# Action types in the SDK's output.
A_ACTIVITY, A_ACTIVITY_RETRY, A_SUB, A_SUB_RETRY, A_CONTINUE_AS_NEW, A_TIMER, A_WAIT_EVENT = 0, 1, 2, 3, 4, 5, 6
A_CALL_ENTITY, A_CALL_HTTP, A_SIGNAL_ENTITY = 7, 8, 9
ID_TAKING_ACTIONS = {A_ACTIVITY, A_ACTIVITY_RETRY, A_SUB, A_SUB_RETRY, A_TIMER, A_CALL_ENTITY, A_CALL_HTTP,
                     A_SIGNAL_ENTITY}


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def event(event_type: int, ts: datetime, event_id: int = -1, **fields) -> dict:
    return {"EventType": event_type, "EventId": event_id, "IsPlayed": False, "Timestamp": iso(ts), **fields}


def flatten_actions(actions) -> list[dict]:
    out: list[dict] = []

    def walk(a):
        if isinstance(a, list):
            for x in a:
                walk(x)
        elif "compoundActions" in a:
            for x in a["compoundActions"]:
                walk(x)
        else:
            out.append(a)

    walk(actions or [])
    return out


class Context(func.Context):
    """The `context` argument for functions that ask for one."""

    def __init__(self, function_name: str, function_directory: str, invocation_id: str):
        self._function_name = function_name
        self._function_directory = function_directory
        self._invocation_id = invocation_id

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self):
        import threading
        return threading.local()

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self):
        return None

    @property
    def retry_context(self):
        return None


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
    created: str
    parent: dict | None
    book: dict
    history_len: int = 0  # events in the persisted history (the store has them all)
    replay: list[str] = field(default_factory=list)  # the events the SDK replays (JSON, IsPlayed true)
    next_allowed: float = 0.0  # defer a replay until then (see _episode)
    deferred: bool = False
    busy: bool = False  # a replay of this instance runs on the orchestrator thread
    inbox: list[InboxItem] = field(default_factory=list)
    last_ts: datetime | None = None


def new_book() -> dict:
    return {"next_seq": 0, "known": 0, "tasks": {}}


class InvocationLog:
    """One line per invocation on stdout: function, id, status, duration."""

    @staticmethod
    def line(kind: str, name: str, invocation_id: str, status: str, ms: float, detail: str = "") -> None:
        extra = f" {detail}" if detail else ""
        print(f"[devhost] {kind} {name} id={invocation_id} status={status} duration_ms={ms:.1f}{extra}",
              flush=False)


class Engine:
    def __init__(self, store: Store, functions, app_dir, max_activities: int, loop=None):
        self.store = store
        self.app_dir = str(app_dir)
        self.orchestrators = {}
        self.activities = {}
        for f in functions:
            if f.trigger_type == "orchestrationTrigger":
                self.orchestrators[f.trigger.get("orchestration") or f.name] = f
                self.orchestrators.setdefault(f.name, f)
            elif f.trigger_type == "activityTrigger":
                self.activities[f.trigger.get("activity") or f.name] = f
                self.activities.setdefault(f.name, f)
        self.loop = loop
        self.instances: dict[str, Instance] = {}
        self.dirty: set[str] = set()
        self._drain_scheduled = False
        self._completions: list[tuple[int, str, str | None, dict]] = []
        self._flush_scheduled = False
        self.activity_pool = ThreadPoolExecutor(max_workers=max_activities, thread_name_prefix="activity")
        self.activity_sem: asyncio.Semaphore | None = None
        self.replay_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchestrator")
        self.max_activities = max_activities
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()
        self.listeners: list = []  # callables(instance_id) on every status change (for waiters)
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self._productive = True
        self._post: list = []  # in-memory effects to apply after the current transaction commits

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.activity_sem = asyncio.Semaphore(self.max_activities)
        for row in self.store.active_instances():
            inst = self._from_row(row)
            events = self.store.history(inst.id)
            inst.history_len = len(events)
            inst.replay = [e for e in events if json.loads(e)["EventType"] not in REPLAY_SKIP]
            self.instances[inst.id] = inst
        for row in self.store.all_inbox():
            inst = self.instances.get(row["instance_id"])
            if inst is None:
                continue
            item = InboxItem(row["id"], row["execution_id"], json.loads(row["event"]), row["visible_at"])
            inst.inbox.append(item)
            self._arm(inst.id, item)
        for row in self.store.all_work():
            inst = self.instances.get(row["instance_id"])
            if inst is None or inst.execution_id != row["execution_id"]:
                with self.store.tx() as db:
                    db.execute("DELETE FROM work WHERE id=?", (row["id"],))
                continue
            self._dispatch_work(dict(row))
        for inst in self.instances.values():
            self._mark_dirty(inst.id)

    async def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.activity_pool.shutdown(wait=False, cancel_futures=True)
        self.replay_pool.shutdown(wait=False, cancel_futures=True)

    def _from_row(self, row) -> Instance:
        inst = Instance(
            id=row["id"], name=row["name"], execution_id=row["execution_id"], status=row["status"],
            input=row["input"], created=row["created"],
            parent=json.loads(row["parent"]) if row["parent"] else None, book=json.loads(row["book"]))
        inst.last_ts = parse_time(row["updated"])
        return inst

    # -- scheduling ----------------------------------------------------------------------------
    def _mark_dirty(self, instance_id: str) -> None:
        self.dirty.add(instance_id)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.loop.call_soon(self._drain)

    def _drain(self) -> None:
        self._drain_scheduled = False
        batch, self.dirty = self.dirty, set()
        for instance_id in batch:
            inst = self.instances.get(instance_id)
            if inst is None:
                continue
            try:
                self._episode(inst)
            except Exception:
                log.exception("devhost: episode of %s failed", instance_id)

    def _arm(self, instance_id: str, item: InboxItem) -> None:
        delay = item.visible_at - time.time()
        if delay <= 0:
            return
        handle = self.loop.call_later(delay, self._timer_due, instance_id, item.id)
        self._timers[item.id] = handle

    def _timer_due(self, instance_id: str, item_id: int) -> None:
        self._timers.pop(item_id, None)
        self._mark_dirty(instance_id)

    async def wait_terminal(self, instance_id: str, timeout: float):
        """The instance's row once it is Completed/Failed/Terminated, or None after `timeout` s."""
        row = self.store.instance(instance_id)
        if row is not None and row["status"] in TERMINAL:
            return row
        fut = self.loop.create_future()
        self._waiters.setdefault(instance_id, []).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(instance_id)
            if waiters and fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    del self._waiters[instance_id]

    def _notify(self, instance_id: str) -> None:
        if instance_id in self._waiters:
            row = self.store.instance(instance_id)
            if row is not None and row["status"] in TERMINAL:
                for fut in self._waiters.pop(instance_id):
                    if not fut.done():
                        fut.set_result(row)
        for cb in list(self.listeners):
            try:
                cb(instance_id)
            except Exception:
                log.exception("listener failed")

    # -- client operations ---------------------------------------------------------------------
    def start_new(self, name: str, instance_id: str | None, input_text: str | None,
                  parent: dict | None = None, db=None) -> str:
        """Create (or replace) an instance; ExecutionStarted goes to its inbox. Returns the id."""
        instance_id = instance_id or uuid.uuid4().hex
        now = utcnow()
        execution_id = uuid.uuid4().hex
        started = event(EXECUTION_STARTED, now, Name=name, Version="", Input=input_text,
                        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
                        ParentInstance=({"Name": parent["name"], "OrchestrationInstance": {
                            "InstanceId": parent["id"], "ExecutionId": parent["execution_id"]},
                            "TaskScheduleId": parent["task_id"]} if parent else None))

        def write(db):
            db.execute("DELETE FROM history WHERE instance_id=?", (instance_id,))
            db.execute("DELETE FROM inbox WHERE instance_id=?", (instance_id,))
            db.execute(
                "INSERT OR REPLACE INTO instances(id, name, execution_id, status, input, output, custom_status,"
                " created, updated, parent, book) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (instance_id, name, execution_id, "Pending", input_text, None, None, iso(now), iso(now),
                 dumps(parent) if parent else None, dumps(new_book())))
            cur = db.execute("INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                             (instance_id, None, dumps(started), 0.0))
            return cur.lastrowid

        if db is None:
            with self.store.tx() as tdb:
                item_id = write(tdb)
            self._after_start(instance_id, name, execution_id, input_text, now, parent, item_id, started)
        else:
            item_id = write(db)
            self._post.append(lambda: self._after_start(
                instance_id, name, execution_id, input_text, now, parent, item_id, started))
        return instance_id

    def _after_start(self, instance_id, name, execution_id, input_text, now, parent, item_id, started):
        old = self.instances.pop(instance_id, None)
        if old:
            for item in old.inbox:
                h = self._timers.pop(item.id, None)
                if h:
                    h.cancel()
        inst = Instance(id=instance_id, name=name, execution_id=execution_id, status="Pending",
                        input=input_text, created=iso(now), parent=parent, book=new_book(), last_ts=now)
        inst.inbox.append(InboxItem(item_id, None, started, 0.0))
        self.instances[instance_id] = inst
        self._mark_dirty(instance_id)
        self._notify(instance_id)

    def raise_event(self, instance_id: str, name: str, input_text: str | None) -> str:
        """'accepted' | 'gone' | 'missing'."""
        row = self.store.instance(instance_id)
        if row is None:
            return "missing"
        if row["status"] in TERMINAL:
            return "gone"
        inst = self.instances.get(instance_id)
        if inst is None:
            return "gone"
        ev = event(EVENT_RAISED, utcnow(), Name=name, Input=input_text)
        with self.store.tx() as db:
            cur = db.execute("INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                             (instance_id, None, dumps(ev), 0.0))
        inst.inbox.append(InboxItem(cur.lastrowid, None, ev, 0.0))
        self._mark_dirty(instance_id)
        return "accepted"

    def terminate(self, instance_id: str, reason: str | None) -> str:
        row = self.store.instance(instance_id)
        if row is None:
            return "missing"
        if row["status"] in TERMINAL:
            return "gone"
        inst = self.instances.get(instance_id)
        now = utcnow()
        output = dumps(reason or "")
        ev = event(EXECUTION_TERMINATED, now, Input=reason)
        with self.store.tx() as db:
            seq = inst.history_len if inst else 0
            db.execute("INSERT OR REPLACE INTO history(instance_id, seq, event) VALUES (?,?,?)",
                       (instance_id, seq, dumps({**ev, "IsPlayed": True})))
            db.execute("UPDATE instances SET status='Terminated', output=?, updated=? WHERE id=?",
                       (output, iso(now), instance_id))
            db.execute("DELETE FROM inbox WHERE instance_id=?", (instance_id,))
            self._post = []
            if inst and inst.parent:
                self._send_to_parent(db, inst, SUB_FAILED, now,
                                     Reason=f"Orchestration '{inst.name}' was terminated: {reason or ''}",
                                     Details="")
            post, self._post = self._post, []
        if inst:
            self._forget(inst)
        for fn in post:
            fn()
        self._log_instance("terminated", row["name"], instance_id, "Terminated", 0.0)
        self._notify(instance_id)
        return "accepted"

    def set_suspended(self, instance_id: str, suspend: bool, reason: str | None) -> str:
        row = self.store.instance(instance_id)
        if row is None:
            return "missing"
        if row["status"] in TERMINAL:
            return "gone"
        inst = self.instances.get(instance_id)
        now = utcnow()
        if suspend:
            new_status = "Suspended"
        else:
            new_status = "Running" if inst and inst.history_len else "Pending"
        ev = event(SUSPENDED if suspend else RESUMED, now, Reason=reason)
        with self.store.tx() as db:
            seq = inst.history_len if inst else 0
            if (row["status"] == "Suspended") != suspend:
                db.execute("INSERT OR REPLACE INTO history(instance_id, seq, event) VALUES (?,?,?)",
                           (instance_id, seq, dumps({**ev, "IsPlayed": True})))
                if inst:
                    inst.history_len += 1
            db.execute("UPDATE instances SET status=?, updated=? WHERE id=?", (new_status, iso(now), instance_id))
        if inst:
            inst.status = new_status
            if not suspend:
                self._mark_dirty(instance_id)
        self._notify(instance_id)
        return "accepted"

    def purge(self, instance_ids: list[str]) -> int:
        with self.store.tx() as db:
            n = 0
            for iid in instance_ids:
                n += db.execute("DELETE FROM instances WHERE id=?", (iid,)).rowcount
                db.execute("DELETE FROM history WHERE instance_id=?", (iid,))
                db.execute("DELETE FROM inbox WHERE instance_id=?", (iid,))
                db.execute("DELETE FROM work WHERE instance_id=?", (iid,))
        for iid in instance_ids:
            inst = self.instances.pop(iid, None)
            if inst:
                self._forget(inst)
        return n

    def _forget(self, inst: Instance) -> None:
        for item in inst.inbox:
            h = self._timers.pop(item.id, None)
            if h:
                h.cancel()
        inst.inbox.clear()
        self.instances.pop(inst.id, None)

    # -- activities ----------------------------------------------------------------------------
    def _dispatch_work(self, work: dict) -> None:
        task = self.loop.create_task(self._run_activity(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_activity(self, work: dict) -> None:
        f = self.activities.get(work["name"])
        async with self.activity_sem:
            t0 = time.perf_counter()
            invocation_id = str(uuid.uuid4())
            try:
                value = ActivityTriggerConverter.decode(
                    meta.Datum(type="json", value=work["input"] if work["input"] is not None else "null"),
                    trigger_metadata=None)
                kwargs = {f.trigger_param: value}
                if "context" in f.params and "context" not in kwargs:
                    kwargs["context"] = Context(f.name, self.app_dir, invocation_id)
                if f.is_async:
                    result = await f.fn(**kwargs)
                else:
                    result = await self.loop.run_in_executor(self.activity_pool, functools.partial(f.fn, **kwargs))
                encoded = ActivityTriggerConverter.encode(result, expected_type=None).value
                ev = event(TASK_COMPLETED, utcnow(), TaskScheduledId=work["task_id"], Result=encoded)
                status = "Succeeded"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                ev = event(TASK_FAILED, utcnow(), TaskScheduledId=work["task_id"],
                           Reason=f"Activity function '{work['name']}' failed: {type(exc).__name__}: {exc}",
                           Details="".join(traceback.format_exception_only(type(exc), exc)).strip())
                status = "Failed"
            InvocationLog.line("activity", work["name"], invocation_id, status,
                               (time.perf_counter() - t0) * 1000, f"instance={work['instance_id']}")
        self._completions.append((work["id"], work["instance_id"], work["execution_id"], ev))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush_completions)

    def _flush_completions(self) -> None:
        """Turn finished activities into inbox events: one transaction for all available."""
        self._flush_scheduled = False
        batch, self._completions = self._completions, []
        if not batch:
            return
        added = []
        with self.store.tx() as db:
            for work_id, iid, eid, ev in batch:
                db.execute("DELETE FROM work WHERE id=?", (work_id,))
                inst = self.instances.get(iid)
                if inst is None or inst.execution_id != eid:
                    continue
                cur = db.execute(
                    "INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                    (iid, eid, dumps(ev), 0.0))
                added.append((inst, InboxItem(cur.lastrowid, eid, ev, 0.0)))
        for inst, item in added:
            inst.inbox.append(item)
            self._mark_dirty(inst.id)

    # -- episodes ------------------------------------------------------------------------------
    def _classify(self, inst: Instance, ev: dict) -> str:
        t = ev["EventType"]
        tasks = inst.book["tasks"]
        if t in (TASK_FAILED, SUB_FAILED):
            task = tasks.get(str(ev.get("TaskScheduledId")))
            if task and task.get("retry"):
                return "retry"
        if t == TIMER_FIRED:
            task = tasks.get(str(ev.get("TimerId")))
            if task and task["k"] == "rt":
                return "retry"
        return "plain"

    def _episode(self, inst: Instance) -> None:
        if inst.status in TERMINAL or inst.status == "Suspended" or inst.busy:
            return
        now_epoch = time.time()
        ready = []
        for item in inst.inbox:
            if item.visible_at <= now_epoch:
                ready.append(item)
        if not ready:
            return
        if now_epoch < inst.next_allowed and self._in_flight(inst):
            # The last replay changed nothing while activities or sub-orchestrations are still
            # running (a fan-out filling up): wait a little so their completions arrive together
            # instead of one replay each.
            if not inst.deferred:
                inst.deferred = True
                self.loop.call_later(inst.next_allowed - now_epoch, self._undefer, inst.id)
            return
        stale = [it for it in ready if it.execution_id is not None and it.execution_id != inst.execution_id]
        ready = [it for it in ready if it not in stale]
        if not inst.history_len:
            starts = [it for it in ready if it.event["EventType"] == EXECUTION_STARTED]
            if not starts:
                return
            ready = starts[:1] + [it for it in ready if it.event["EventType"] != EXECUTION_STARTED]
        batch: list[InboxItem] = []
        for it in ready:
            if self._classify(inst, it.event) == "retry":
                if not batch:
                    batch = [it]
                break
            batch.append(it)
        if not batch:
            return
        self._run_episode(inst, batch, stale)
        if not inst.busy and any(it.visible_at <= time.time() for it in inst.inbox):
            self._mark_dirty(inst.id)

    @staticmethod
    def _in_flight(inst: Instance) -> int:
        """Activities and sub-orchestrations scheduled whose completion has not arrived yet."""
        pending = {k for k, t in inst.book["tasks"].items() if t["k"] in ("a", "s")}
        if not pending:
            return 0
        arrived = {str(it.event.get("TaskScheduledId")) for it in inst.inbox
                   if it.event["EventType"] in (TASK_COMPLETED, TASK_FAILED, SUB_COMPLETED, SUB_FAILED)}
        return len(pending - arrived)

    def _undefer(self, instance_id: str) -> None:
        inst = self.instances.get(instance_id)
        if inst is not None:
            inst.deferred = False
            self._mark_dirty(instance_id)

    def _prepare(self, inst: Instance, batch: list[InboxItem]):
        """(timestamp, new events, context JSON or None when the orchestrator is unknown)."""
        f = self.orchestrators.get(inst.name)
        now = utcnow()
        ts = max(now, inst.last_ts or now)
        for it in batch:
            if it.event["EventType"] == TIMER_FIRED and it.event.get("FireAt"):
                ts = max(ts, parse_time(it.event["FireAt"]))
        new_events = [event(ORCHESTRATOR_STARTED, ts)] + [dict(it.event, IsPlayed=False) for it in batch]
        input_text = inst.input
        for it in batch:
            if it.event["EventType"] == EXECUTION_STARTED:
                input_text = it.event.get("Input")
        body = None
        if f is not None:
            history_json = "[" + ",".join(inst.replay + [dumps(e) for e in new_events]) + "]"
            body = ('{"history":' + history_json + ',"instanceId":' + dumps(inst.id) + ',"isReplaying":false,'
                    '"parentInstanceId":' + dumps(inst.parent["id"] if inst.parent else None)
                    + ',"input":' + dumps(input_text) + ',"upperSchemaVersion":1,"upperSchemaVersionNew":2}')
        return f, ts, new_events, body

    @staticmethod
    def _call_orchestrator(f, name: str, body: str | None):
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

    def _run_episode(self, inst: Instance, batch: list[InboxItem], stale: list[InboxItem]) -> None:
        t0 = time.perf_counter()
        f, ts, new_events, body = self._prepare(inst, batch)
        if len(inst.replay) + len(new_events) >= OFFLOAD_REPLAY_EVENTS and f is not None:
            # A long history takes tens of ms to replay (the SDK parses every timestamp): replay it
            # on the orchestrator thread so HTTP and other instances are served meanwhile.
            inst.busy = True
            task = self.loop.create_task(self._offloaded(inst, batch, stale, f, ts, new_events, body, t0))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        state, error = self._call_orchestrator(f, inst.name, body)
        self._finish(inst, batch, stale, new_events, ts, state, error, t0, "")

    async def _offloaded(self, inst, batch, stale, f, ts, new_events, body, t0) -> None:
        try:
            state, error = await self.loop.run_in_executor(self.replay_pool, self._call_orchestrator, f,
                                                           inst.name, body)
            if self.instances.get(inst.id) is not inst or inst.status in TERMINAL:
                return  # terminated, purged or replaced during the replay: its answer is void
            self._finish(inst, batch, stale, new_events, ts, state, error, t0, " replay=thread")
        except Exception:
            log.exception("devhost: episode of %s failed", inst.id)
        finally:
            inst.busy = False
            if self.instances.get(inst.id) is inst and any(it.visible_at <= time.time() for it in inst.inbox):
                self._mark_dirty(inst.id)

    def _finish(self, inst, batch, stale, new_events, ts, state, error, t0, detail) -> None:
        self._post = []
        done_status = self._commit_episode(inst, batch, stale, new_events, ts, state, error)
        for fn in self._post:
            fn()
        self._post = []
        elapsed = time.perf_counter() - t0
        if not self._productive and self._in_flight(inst):
            inst.next_allowed = time.time() + max(0.002, 2 * elapsed)
        else:
            inst.next_allowed = 0.0
        self._log_instance("orchestrator", inst.name, inst.id, done_status or "Running", elapsed * 1000,
                           f"events={len(batch)}{detail}")
        self._notify(inst.id)

    def _log_instance(self, kind, name, iid, status, ms, detail=""):
        InvocationLog.line(kind, name, iid, status, ms, detail)

    def _commit_episode(self, inst, batch, stale, new_events, ts, state, error) -> str | None:
        book = json.loads(dumps(inst.book))  # work on a copy; adopt after commit
        tasks = book["tasks"]
        out_events: list[dict] = list(new_events)
        new_inbox: list[tuple[str, str | None, dict, float]] = []  # (instance, execution, event, visible_at)
        new_work: list[dict] = []
        cancel_items: list[int] = []
        children: list[tuple] = []
        done_status = None
        custom = (state or {}).get("customStatus")

        def schedule_activity(sid: int, name: str, input_text, retry, attempt):
            tasks[str(sid)] = {"k": "a", "name": name, "input": input_text, "retry": retry, "attempt": attempt}
            out_events.append(event(TASK_SCHEDULED, ts, sid, Name=name, Input=input_text))
            if name not in self.activities:
                new_inbox.append((inst.id, inst.execution_id, event(
                    TASK_FAILED, ts, TaskScheduledId=sid,
                    Reason=f"The activity function '{name}' doesn't exist.", Details=""), 0.0))
            else:
                new_work.append({"instance_id": inst.id, "execution_id": inst.execution_id, "task_id": sid,
                                 "name": name, "input": input_text})

        def schedule_sub(sid: int, name: str, input_text, fixed_id, retry, attempt):
            child_id = fixed_id or f"{inst.id}:{sid}"
            tasks[str(sid)] = {"k": "s", "name": name, "input": input_text, "retry": retry, "attempt": attempt,
                               "fixed_id": fixed_id, "child": child_id}
            out_events.append(event(SUB_CREATED, ts, sid, Name=name, InstanceId=child_id, Input=input_text))
            existing = self.instances.get(child_id)
            if name not in self.orchestrators:
                new_inbox.append((inst.id, inst.execution_id, event(
                    SUB_FAILED, ts, TaskScheduledId=sid,
                    Reason=f"The orchestrator function '{name}' doesn't exist.", Details=""), 0.0))
            elif existing is not None and existing.status not in TERMINAL and child_id != inst.id:
                new_inbox.append((inst.id, inst.execution_id, event(
                    SUB_FAILED, ts, TaskScheduledId=sid,
                    Reason=f"An orchestration with instance ID '{child_id}' already exists.", Details=""), 0.0))
            else:
                children.append((name, child_id, input_text, {
                    "id": inst.id, "execution_id": inst.execution_id, "task_id": sid, "name": inst.name}))

        # 1. completions delivered in this episode; retries the SDK numbered before new actions.
        for it in batch:
            ev = it.event
            t = ev["EventType"]
            if t in (TASK_COMPLETED, TASK_FAILED, SUB_COMPLETED, SUB_FAILED):
                task = tasks.pop(str(ev.get("TaskScheduledId")), None)
                if task and task.get("retry") and t in (TASK_FAILED, SUB_FAILED):
                    tid = book["next_seq"]
                    book["next_seq"] += 1
                    delay = task["retry"].get("firstRetryIntervalInMilliseconds", 1000) / 1000.0
                    fire_at = ts.timestamp() + delay
                    fire_iso = iso(datetime.fromtimestamp(fire_at, UTC))
                    tasks[str(tid)] = {"k": "rt", "call": task}
                    out_events.append(event(TIMER_CREATED, ts, tid, FireAt=fire_iso))
                    new_inbox.append((inst.id, inst.execution_id,
                                      event(TIMER_FIRED, ts, TimerId=tid, FireAt=fire_iso), fire_at))
            elif t == TIMER_FIRED:
                task = tasks.pop(str(ev.get("TimerId")), None)
                if task and task["k"] == "rt":
                    call = task["call"]
                    if call["attempt"] < int(call["retry"].get("maxNumberOfAttempts", 1)):
                        nid = book["next_seq"]
                        book["next_seq"] += 1
                        if call["k"] == "a":
                            schedule_activity(nid, call["name"], call["input"], call["retry"], call["attempt"] + 1)
                        else:
                            schedule_sub(nid, call["name"], call["input"], call.get("fixed_id"), call["retry"],
                                         call["attempt"] + 1)

        # 2. the orchestrator's answer.
        continue_input = None
        if error is None and state is not None:
            flat = flatten_actions(state.get("actions"))
            if not state.get("isDone"):
                for idx in range(book["known"], len(flat)):
                    a = flat[idx]
                    at = a.get("actionType")
                    if at not in ID_TAKING_ACTIONS:
                        continue
                    sid = book["next_seq"]
                    book["next_seq"] += 1
                    if at in (A_ACTIVITY, A_ACTIVITY_RETRY):
                        schedule_activity(sid, a["functionName"], a.get("input"),
                                          a.get("retryOptions") if at == A_ACTIVITY_RETRY else None, 1)
                    elif at in (A_SUB, A_SUB_RETRY):
                        schedule_sub(sid, a["functionName"], a.get("input"), a.get("instanceId"),
                                     a.get("retryOptions") if at == A_SUB_RETRY else None, 1)
                    elif at == A_TIMER:
                        fire_dt = parse_time(a["fireAt"])
                        tasks[str(sid)] = {"k": "t", "idx": idx}
                        out_events.append(event(TIMER_CREATED, ts, sid, FireAt=a["fireAt"]))
                        if not a.get("isCanceled"):
                            new_inbox.append((inst.id, inst.execution_id,
                                              event(TIMER_FIRED, ts, TimerId=sid, FireAt=a["fireAt"]),
                                              fire_dt.timestamp()))
                    else:
                        error = f"devhost does not support durable entities or call_http (action type {at})"
                        break
                book["known"] = len(flat)
                # Timers the orchestrator cancelled (task_any won by another task) never fire.
                for key, task in list(tasks.items()):
                    if task["k"] == "t" and task["idx"] < len(flat) and flat[task["idx"]].get("isCanceled"):
                        del tasks[key]
                        for item in inst.inbox:
                            if item.event.get("TimerId") == int(key) and item.event["EventType"] == TIMER_FIRED:
                                cancel_items.append(item.id)
            else:
                can = next((a for a in flat if a.get("actionType") == A_CONTINUE_AS_NEW), None)
                if can is not None:
                    continue_input = can.get("input")
                    done_status = "ContinuedAsNew"
                else:
                    done_status = "Completed"
        if error is not None:
            done_status = "Failed"
        elif state is None:
            error = "orchestrator returned no state"
            done_status = "Failed"

        # 3. write everything, then act.
        now_iso = iso(ts)
        consumed = [it.id for it in batch] + [it.id for it in stale] + cancel_items
        out_events.append(event(ORCHESTRATOR_COMPLETED, ts))
        output = None
        if done_status == "Completed":
            output = dumps(state.get("output"))
            out_events.append(event(EXECUTION_COMPLETED, ts, OrchestrationStatus="Completed", Result=output))
        elif done_status == "Failed":
            message = f"Orchestrator function '{inst.name}' failed: {error}"
            output = dumps(message)
            out_events.append(event(EXECUTION_FAILED, ts, OrchestrationStatus="Failed", Reason=message))
        elif done_status == "ContinuedAsNew":
            out_events.append(event(CONTINUE_AS_NEW, ts, Input=continue_input))
        persisted = [dumps({**e, "IsPlayed": True}) for e in out_events]
        status = done_status if done_status in TERMINAL else ("Suspended" if inst.status == "Suspended" else "Running")
        new_execution = uuid.uuid4().hex if done_status == "ContinuedAsNew" else None
        inbox_rows: list[tuple[Instance, InboxItem]] = []
        work_rows: list[dict] = []
        with self.store.tx() as db:
            if consumed:
                db.executemany("DELETE FROM inbox WHERE id=?", [(i,) for i in consumed])
            if new_execution:
                db.execute("DELETE FROM history WHERE instance_id=?", (inst.id,))
                # stale completions of the old execution are dropped; raised events carry over
                db.execute("DELETE FROM inbox WHERE instance_id=? AND execution_id IS NOT NULL", (inst.id,))
                started = event(EXECUTION_STARTED, ts, Name=inst.name, Version="", Input=continue_input,
                                OrchestrationInstance={"InstanceId": inst.id, "ExecutionId": new_execution})
                cur = db.execute("INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                                 (inst.id, None, dumps(started), 0.0))
                inbox_rows.append((inst, InboxItem(cur.lastrowid, None, started, 0.0)))
                db.execute("UPDATE instances SET execution_id=?, status='Running', input=?, custom_status=?, "
                           "updated=?, book=? WHERE id=?",
                           (new_execution, continue_input, dumps(custom) if custom is not None else None,
                            now_iso, dumps(new_book()), inst.id))
            else:
                base = inst.history_len
                db.executemany("INSERT OR REPLACE INTO history(instance_id, seq, event) VALUES (?,?,?)",
                               [(inst.id, base + i, e) for i, e in enumerate(persisted)])
                db.execute("UPDATE instances SET status=?, output=?, custom_status=?, updated=?, book=? "
                           "WHERE id=?",
                           (status, output, dumps(custom) if custom is not None else None, now_iso,
                            dumps(book), inst.id))
                if status in TERMINAL:
                    db.execute("DELETE FROM inbox WHERE instance_id=?", (inst.id,))
            if status not in TERMINAL and not new_execution:
                for iid, eid, ev, vis in new_inbox:
                    cur = db.execute(
                        "INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                        (iid, eid, dumps(ev), vis))
                    inbox_rows.append((inst, InboxItem(cur.lastrowid, eid, ev, vis)))
                for w in new_work:
                    cur = db.execute("INSERT INTO work(instance_id, execution_id, task_id, name, input) "
                                     "VALUES (?,?,?,?,?)",
                                     (w["instance_id"], w["execution_id"], w["task_id"], w["name"], w["input"]))
                    work_rows.append({**w, "id": cur.lastrowid})
                for name, child_id, input_text, parent in children:
                    self.start_new(name, child_id, input_text, parent=parent, db=db)
            if status in TERMINAL and inst.parent:
                if status == "Completed":
                    self._send_to_parent(db, inst, SUB_COMPLETED, ts, Result=output)
                else:
                    self._send_to_parent(db, inst, SUB_FAILED, ts,
                                         Reason=json.loads(output), Details="")

        self._productive = bool(new_work or new_inbox or children or done_status or cancel_items)
        # adopt the new state in memory
        consumed_set = set(consumed)
        for i in consumed_set:
            h = self._timers.pop(i, None)
            if h:
                h.cancel()
        inst.inbox = [it for it in inst.inbox if it.id not in consumed_set]
        inst.last_ts = ts
        if new_execution:
            inst.inbox = [it for it in inst.inbox if it.execution_id is None]
            inst.execution_id = new_execution
            inst.history_len = 0
            inst.replay = []
            inst.book = new_book()
            inst.input = continue_input
            inst.status = "Running"
        else:
            inst.history_len += len(persisted)
            inst.replay.extend(p for p, e in zip(persisted, out_events, strict=True)
                               if e["EventType"] not in REPLAY_SKIP)
            inst.book = book
            inst.status = status
        for owner, item in inbox_rows:
            owner.inbox.append(item)
            self._arm(owner.id, item)
            if item.visible_at <= time.time():
                self._mark_dirty(owner.id)
        for w in work_rows:
            self._dispatch_work(w)
        if status in TERMINAL:
            self._forget(inst)
        return done_status

    def _send_to_parent(self, db, inst: Instance, event_type: int, ts: datetime, **fields) -> None:
        parent = inst.parent
        ev = event(event_type, ts, TaskScheduledId=parent["task_id"], **fields)
        pinst = self.instances.get(parent["id"])
        if pinst is None or pinst.execution_id != parent["execution_id"]:
            return
        cur = db.execute("INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                         (parent["id"], parent["execution_id"], dumps(ev), 0.0))
        item = InboxItem(cur.lastrowid, parent["execution_id"], ev, 0.0)

        def deliver():
            pinst.inbox.append(item)
            self._mark_dirty(pinst.id)

        self._post.append(deliver)


def status_json(row, *, show_input: bool = True, history: list[dict] | None = None) -> dict:
    def load(text):
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    out = {
        "name": row["name"],
        "instanceId": row["id"],
        "runtimeStatus": row["status"],
        "input": load(row["input"]) if show_input else None,
        "customStatus": load(row["custom_status"]),
        "output": load(row["output"]),
        "createdTime": row["created"][:19] + "Z",
        "lastUpdatedTime": row["updated"][:19] + "Z",
    }
    if history is not None:
        out["historyEvents"] = history
    return out


def public_history(events: list[str], show_output: bool) -> list[dict]:
    out = []
    for text in events:
        e = json.loads(text)
        t = e["EventType"]
        if t in (ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED):
            continue
        item = {"EventType": EVENT_NAMES.get(t, str(t)), "Timestamp": e["Timestamp"][:23] + "Z"}
        for key in ("Name", "InstanceId", "FireAt", "TaskScheduledId", "TimerId", "OrchestrationStatus",
                    "Reason"):
            if e.get(key) is not None:
                item["FunctionName" if key == "Name" and t in (0, 4, 7) else key] = e[key]
        if e.get("EventId", -1) >= 0:
            item["EventId"] = e["EventId"]
        if show_output:
            for key in ("Result", "Input"):
                if e.get(key) is not None:
                    try:
                        item[key] = json.loads(e[key])
                    except (ValueError, TypeError):
                        item[key] = e[key]
        out.append(item)
    return out


def is_coroutine(fn) -> bool:
    return inspect.iscoroutinefunction(fn)
