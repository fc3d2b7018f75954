"""The engine: schedules episodes, runs the client operations, commits each episode's plan in one
transaction and then adopts it in memory (timers armed, work dispatched, children registered)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from devhost.durable.activities import ActivityRunner, Completion
from devhost.durable.planner import Catalog, ChildStart, EpisodePlan, plan_episode
from devhost.durable.protocol import (
    EVENT_RAISED,
    EXECUTION_TERMINATED,
    REPLAY_SKIP,
    RESUMED,
    SUB_COMPLETED,
    SUB_FAILED,
    SUSPENDED,
    TERMINAL,
    event,
    execution_started,
    iso,
    utcnow,
)
from devhost.durable.replay import call_orchestrator, context_json, episode_events
from devhost.durable.state import InboxItem, Instance, in_flight, instance_from_row, new_book, select_batch
from devhost.durable.waiters import TerminalWaiters
from devhost.durable.writes import (
    StartRecord,
    add_inbox,
    append_history,
    purge_instances,
    write_episode,
    write_start,
)
from devhost.invocation import log_invocation
from devhost.store import Store, dumps

log = logging.getLogger("devhost")

# Replays at least this long (events) run on the orchestrator thread instead of the event loop.
OFFLOAD_REPLAY_EVENTS = int(os.environ.get("DEVHOST_OFFLOAD_REPLAY_EVENTS", "250"))


class Engine:
    def __init__(self, store: Store, functions, app_dir, max_activities: int, default_version: str = ""):
        self.store = store
        self.default_version = default_version  # host.json extensions.durableTask.defaultVersion
        self.orchestrators = {}
        activities = {}
        for f in functions:
            if f.trigger_type == "orchestrationTrigger":
                self.orchestrators[f.trigger.get("orchestration") or f.name] = f
                self.orchestrators.setdefault(f.name, f)
            elif f.trigger_type == "activityTrigger":
                activities[f.trigger.get("activity") or f.name] = f
                activities.setdefault(f.name, f)
        self.runner = ActivityRunner(activities, str(app_dir), max_activities, self._record_completions)
        self.catalog = Catalog(activities, self.orchestrators, self._is_running, default_version)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.instances: dict[str, Instance] = {}
        self.dirty: set[str] = set()
        self._drain_scheduled = False
        self.replay_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchestrator")
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()
        self.waiters = TerminalWaiters(store)

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.runner.start(self.loop)
        for row in self.store.active_instances():
            inst = instance_from_row(row)
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
            self.runner.dispatch(dict(row))
        for inst in self.instances.values():
            self._mark_dirty(inst.id)

    async def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.runner.stop()
        self.replay_pool.shutdown(wait=False, cancel_futures=True)

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
        self._timers[item.id] = self.loop.call_later(delay, self._timer_due, instance_id, item.id)

    def _timer_due(self, instance_id: str, item_id: int) -> None:
        self._timers.pop(item_id, None)
        self._mark_dirty(instance_id)

    def _disarm(self, item_ids) -> None:
        for item_id in item_ids:
            handle = self._timers.pop(item_id, None)
            if handle:
                handle.cancel()

    def _is_running(self, instance_id: str) -> bool:
        inst = self.instances.get(instance_id)
        return inst is not None and inst.status not in TERMINAL

    # -- client operations ---------------------------------------------------------------------
    def start_new(self, name: str, instance_id: str | None, input_text: str | None,
                  version: str | None = None) -> str:
        """Create (or replace) an instance; ExecutionStarted goes to its inbox. Returns the id.

        `version` None means host.json's defaultVersion, as with the extension."""
        instance_id = instance_id or uuid.uuid4().hex
        version = self.default_version if version is None else version
        with self.store.tx() as db:
            record = self._write_start(db, name, instance_id, input_text, None, version)
        self._register_start(record)
        return instance_id

    @staticmethod
    def _write_start(db, name: str, instance_id: str, input_text: str | None, parent: dict | None,
                     version: str) -> StartRecord:
        now = utcnow()
        execution_id = uuid.uuid4().hex
        started = execution_started(
            now, name, version, input_text, instance_id, execution_id,
            ParentInstance=({"Name": parent["name"], "OrchestrationInstance": {
                "InstanceId": parent["id"], "ExecutionId": parent["execution_id"]},
                "TaskScheduleId": parent["task_id"]} if parent else None))
        return write_start(db, instance_id, name, execution_id, input_text, parent, version, now, started)

    def _register_start(self, record: StartRecord) -> None:
        old = self.instances.pop(record.instance_id, None)
        if old:
            self._disarm(item.id for item in old.inbox)
        inst = Instance(id=record.instance_id, name=record.name, execution_id=record.execution_id,
                        status="Pending", input=record.input, parent=record.parent, book=new_book(),
                        version=record.version, last_ts=record.at)
        inst.inbox.append(record.started)
        self.instances[inst.id] = inst
        self._mark_dirty(inst.id)
        self.waiters.notify(inst.id)

    def _check_live(self, instance_id: str):
        """(row, outcome): outcome 'missing' | 'gone' when the instance cannot take the operation."""
        row = self.store.instance(instance_id)
        if row is None:
            return None, "missing"
        if row["status"] in TERMINAL:
            return row, "gone"
        return row, None

    def raise_event(self, instance_id: str, name: str, input_text: str | None) -> str:
        """'accepted' | 'gone' | 'missing'."""
        _, outcome = self._check_live(instance_id)
        if outcome:
            return outcome
        inst = self.instances.get(instance_id)
        if inst is None:
            return "gone"
        ev = event(EVENT_RAISED, utcnow(), Name=name, Input=input_text)
        with self.store.tx() as db:
            item = add_inbox(db, instance_id, None, ev)
        inst.inbox.append(item)
        self._mark_dirty(instance_id)
        return "accepted"

    def terminate(self, instance_id: str, reason: str | None) -> str:
        row, outcome = self._check_live(instance_id)
        if outcome:
            return outcome
        inst = self.instances.get(instance_id)
        now = utcnow()
        ev = event(EXECUTION_TERMINATED, now, Input=reason)
        delivery = None
        with self.store.tx() as db:
            append_history(db, instance_id, inst.history_len if inst else 0, [dumps({**ev, "IsPlayed": True})])
            db.execute("UPDATE instances SET status='Terminated', output=?, updated=? WHERE id=?",
                       (dumps(reason or ""), iso(now), instance_id))
            db.execute("DELETE FROM inbox WHERE instance_id=?", (instance_id,))
            if inst and inst.parent:
                delivery = self._write_to_parent(
                    db, inst, SUB_FAILED, now, Reason=f"Orchestration '{inst.name}' was terminated: {reason or ''}",
                    Details="")
        if inst:
            self._forget(inst)
        self._deliver(delivery)
        log_invocation("terminated", row["name"], instance_id, "Terminated", 0.0)
        self.waiters.notify(instance_id)
        return "accepted"

    def set_suspended(self, instance_id: str, suspend: bool, reason: str | None) -> str:
        row, outcome = self._check_live(instance_id)
        if outcome:
            return outcome
        inst = self.instances.get(instance_id)
        now = utcnow()
        if suspend:
            new_status = "Suspended"
        else:
            new_status = "Running" if inst and inst.history_len else "Pending"
        ev = event(SUSPENDED if suspend else RESUMED, now, Reason=reason)
        with self.store.tx() as db:
            if (row["status"] == "Suspended") != suspend:
                append_history(db, instance_id, inst.history_len if inst else 0, [dumps({**ev, "IsPlayed": True})])
                if inst:
                    inst.history_len += 1
            db.execute("UPDATE instances SET status=?, updated=? WHERE id=?", (new_status, iso(now), instance_id))
        if inst:
            inst.status = new_status
            if not suspend:
                self._mark_dirty(instance_id)
        self.waiters.notify(instance_id)
        return "accepted"

    def purge(self, instance_ids: list[str]) -> int:
        with self.store.tx() as db:
            n = purge_instances(db, instance_ids)
        for iid in instance_ids:
            inst = self.instances.pop(iid, None)
            if inst:
                self._forget(inst)
        return n

    def _forget(self, inst: Instance) -> None:
        self._disarm(item.id for item in inst.inbox)
        inst.inbox.clear()
        self.instances.pop(inst.id, None)

    # -- parent notification and activity completions --------------------------------------------
    def _write_to_parent(self, db, inst: Instance, event_type: int, ts, **fields):
        """The child's end, written to its parent's inbox: (parent, item) to deliver after commit."""
        parent = inst.parent
        pinst = self.instances.get(parent["id"])
        if pinst is None or pinst.execution_id != parent["execution_id"]:
            return None
        ev = event(event_type, ts, TaskScheduledId=parent["task_id"], **fields)
        return pinst, add_inbox(db, parent["id"], parent["execution_id"], ev)

    def _deliver(self, delivery) -> None:
        if delivery is not None:
            pinst, item = delivery
            pinst.inbox.append(item)
            self._mark_dirty(pinst.id)

    def _record_completions(self, batch: list[Completion]) -> None:
        """Finished activities become inbox events: one transaction for all available."""
        added = []
        with self.store.tx() as db:
            for work, ev in batch:
                db.execute("DELETE FROM work WHERE id=?", (work["id"],))
                inst = self.instances.get(work["instance_id"])
                if inst is None or inst.execution_id != work["execution_id"]:
                    continue
                added.append((inst, add_inbox(db, inst.id, inst.execution_id, ev)))
        for inst, item in added:
            inst.inbox.append(item)
            self._mark_dirty(inst.id)

    # -- episodes ------------------------------------------------------------------------------
    def _episode(self, inst: Instance) -> None:
        if inst.status in TERMINAL or inst.status == "Suspended" or inst.busy:
            return
        now_epoch = time.time()
        ready = [item for item in inst.inbox if item.visible_at <= now_epoch]
        if not ready:
            return
        if now_epoch < inst.next_allowed and in_flight(inst):
            # The last replay changed nothing while activities or sub-orchestrations are still
            # running (a fan-out filling up): wait a little so their completions arrive together
            # instead of one replay each.
            if not inst.deferred:
                inst.deferred = True
                self.loop.call_later(inst.next_allowed - now_epoch, self._undefer, inst.id)
            return
        batch, stale = select_batch(inst, ready)
        if not batch:
            return
        self._run_episode(inst, batch, stale)
        if not inst.busy and any(it.visible_at <= time.time() for it in inst.inbox):
            self._mark_dirty(inst.id)

    def _undefer(self, instance_id: str) -> None:
        inst = self.instances.get(instance_id)
        if inst is not None:
            inst.deferred = False
            self._mark_dirty(instance_id)

    def _run_episode(self, inst: Instance, batch: list[InboxItem], stale: list[InboxItem]) -> None:
        t0 = time.perf_counter()
        f = self.orchestrators.get(inst.name)
        ts, new_events = episode_events(inst, batch, utcnow())
        body = context_json(inst, batch, new_events) if f is not None else None
        if len(inst.replay) + len(new_events) >= OFFLOAD_REPLAY_EVENTS and f is not None:
            # A long history takes tens of ms to replay (the SDK parses every timestamp): replay it
            # on the orchestrator thread so HTTP and other instances are served meanwhile.
            inst.busy = True
            task = self.loop.create_task(self._offloaded(inst, batch, stale, f, ts, new_events, body, t0))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        state, error = call_orchestrator(f, inst.name, body)
        plan = plan_episode(inst, batch, stale, new_events, ts, state, error, self.catalog)
        self._finish(inst, plan, len(batch), t0, "")

    async def _offloaded(self, inst, batch, stale, f, ts, new_events, body, t0) -> None:
        try:
            state, error = await self.loop.run_in_executor(self.replay_pool, call_orchestrator, f, inst.name, body)
            if self.instances.get(inst.id) is not inst or inst.status in TERMINAL:
                return  # terminated, purged or replaced during the replay: its answer is void
            plan = plan_episode(inst, batch, stale, new_events, ts, state, error, self.catalog)
            self._finish(inst, plan, len(batch), t0, " replay=thread")
        except Exception:
            log.exception("devhost: episode of %s failed", inst.id)
        finally:
            inst.busy = False
            if self.instances.get(inst.id) is inst and any(it.visible_at <= time.time() for it in inst.inbox):
                self._mark_dirty(inst.id)

    def _finish(self, inst: Instance, plan: EpisodePlan, delivered: int, t0: float, detail: str) -> None:
        self._commit(inst, plan)
        elapsed = time.perf_counter() - t0
        if not plan.productive and in_flight(inst):
            inst.next_allowed = time.time() + max(0.002, 2 * elapsed)
        else:
            inst.next_allowed = 0.0
        log_invocation("orchestrator", inst.name, inst.id, plan.done_status or "Running", elapsed * 1000,
                       f"events={delivered}{detail}")
        self.waiters.notify(inst.id)

    def _commit(self, inst: Instance, plan: EpisodePlan) -> None:
        """Write the plan in one transaction (children and the parent's notification included), then act."""
        ts = plan.ts
        children: list[StartRecord] = []
        delivery = None
        with self.store.tx() as db:
            rows = write_episode(db, inst, plan, iso(ts))
            if plan.status not in TERMINAL and not plan.new_execution:
                children = [self._write_child(db, child) for child in plan.children]
            if plan.status in TERMINAL and inst.parent:
                if plan.status == "Completed":
                    delivery = self._write_to_parent(db, inst, SUB_COMPLETED, ts, Result=plan.output)
                else:
                    delivery = self._write_to_parent(db, inst, SUB_FAILED, ts, Reason=json.loads(plan.output),
                                                     Details="")
        self._adopt(inst, plan, ts)
        for item in rows.inbox:
            inst.inbox.append(item)
            self._arm(inst.id, item)
            if item.visible_at <= time.time():
                self._mark_dirty(inst.id)
        for w in rows.work:
            self.runner.dispatch(w)
        if plan.status in TERMINAL:
            self._forget(inst)
        for record in children:
            self._register_start(record)
        self._deliver(delivery)

    def _write_child(self, db, child: ChildStart) -> StartRecord:
        return self._write_start(db, child.name, child.instance_id, child.input, child.parent, child.version)

    def _adopt(self, inst: Instance, plan: EpisodePlan, ts) -> None:
        """The instance in memory takes the committed state."""
        consumed = set(plan.consumed)
        self._disarm(consumed)
        inst.inbox = [it for it in inst.inbox if it.id not in consumed]
        inst.last_ts = ts
        if plan.new_execution:
            inst.inbox = [it for it in inst.inbox if it.execution_id is None]
            inst.execution_id = plan.new_execution
            inst.history_len = 0
            inst.replay = []
            inst.book = new_book()
            inst.input = plan.continue_input
            inst.status = "Running"
            return
        persisted = plan.persisted
        inst.history_len += len(persisted)
        inst.replay.extend(p for p, e in zip(persisted, plan.events, strict=True) if e["EventType"] not in REPLAY_SKIP)
        inst.book = plan.book
        inst.status = plan.status
