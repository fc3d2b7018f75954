"""The SQL of the durable state changes. Each function writes inside the caller's transaction and
returns what it added (row ids with their values), so the engine adopts exactly that after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devhost.durable.planner import EpisodePlan
from devhost.durable.protocol import TERMINAL, iso
from devhost.durable.state import InboxItem, Instance, new_book
from devhost.store import dumps


@dataclass
class StartRecord:
    """A created (or replaced) instance, with its ExecutionStarted in the inbox."""
    instance_id: str
    name: str
    execution_id: str
    input: str | None
    parent: dict | None
    version: str
    started: InboxItem
    at: datetime


def add_inbox(db, instance_id: str, execution_id: str | None, ev: dict, visible_at: float = 0.0) -> InboxItem:
    cur = db.execute("INSERT INTO inbox(instance_id, execution_id, event, visible_at) VALUES (?,?,?,?)",
                     (instance_id, execution_id, dumps(ev), visible_at))
    return InboxItem(cur.lastrowid, execution_id, ev, visible_at)


def write_start(db, instance_id: str, name: str, execution_id: str, input_text: str | None,
                parent: dict | None, version: str, now: datetime, started: dict) -> StartRecord:
    now_iso = iso(now)
    db.execute("DELETE FROM history WHERE instance_id=?", (instance_id,))
    db.execute("DELETE FROM inbox WHERE instance_id=?", (instance_id,))
    db.execute(
        "INSERT OR REPLACE INTO instances(id, name, execution_id, status, input, output, custom_status,"
        " created, updated, parent, book, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (instance_id, name, execution_id, "Pending", input_text, None, None, now_iso, now_iso,
         dumps(parent) if parent else None, dumps(new_book()), version))
    item = add_inbox(db, instance_id, None, started)
    return StartRecord(instance_id, name, execution_id, input_text, parent, version, item, now)


def append_history(db, instance_id: str, seq: int, persisted: list[str]) -> None:
    db.executemany("INSERT OR REPLACE INTO history(instance_id, seq, event) VALUES (?,?,?)",
                   [(instance_id, seq + i, e) for i, e in enumerate(persisted)])


def purge_instances(db, instance_ids: list[str]) -> int:
    n = 0
    for iid in instance_ids:
        n += db.execute("DELETE FROM instances WHERE id=?", (iid,)).rowcount
        db.execute("DELETE FROM history WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM inbox WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM work WHERE instance_id=?", (iid,))
    return n


@dataclass
class EpisodeRows:
    """What an episode's transaction added: inbox items of the instance, work rows to run."""
    inbox: list[InboxItem]
    work: list[dict]


def write_episode(db, inst: Instance, plan: EpisodePlan, now_iso: str) -> EpisodeRows:
    """The plan's own rows (children and the parent's notification are the engine's)."""
    rows = EpisodeRows([], [])
    custom = dumps(plan.custom) if plan.custom is not None else None
    if plan.consumed:
        db.executemany("DELETE FROM inbox WHERE id=?", [(i,) for i in plan.consumed])
    if plan.new_execution:
        db.execute("DELETE FROM history WHERE instance_id=?", (inst.id,))
        # stale completions of the old execution are dropped; raised events carry over
        db.execute("DELETE FROM inbox WHERE instance_id=? AND execution_id IS NOT NULL", (inst.id,))
        rows.inbox.append(add_inbox(db, inst.id, None, plan.next_start))
        db.execute("UPDATE instances SET execution_id=?, status='Running', input=?, custom_status=?, "
                   "updated=?, book=? WHERE id=?",
                   (plan.new_execution, plan.continue_input, custom, now_iso, dumps(new_book()), inst.id))
        return rows
    append_history(db, inst.id, inst.history_len, plan.persisted)
    db.execute("UPDATE instances SET status=?, output=?, custom_status=?, updated=?, book=? WHERE id=?",
               (plan.status, plan.output, custom, now_iso, dumps(plan.book), inst.id))
    if plan.status in TERMINAL:
        db.execute("DELETE FROM inbox WHERE instance_id=?", (inst.id,))
        return rows
    for ev, visible_at in plan.inbox:
        rows.inbox.append(add_inbox(db, inst.id, inst.execution_id, ev, visible_at))
    for w in plan.work:
        row = {"instance_id": inst.id, "execution_id": inst.execution_id, **w}
        cur = db.execute("INSERT INTO work(instance_id, execution_id, task_id, name, input) VALUES (?,?,?,?,?)",
                         (row["instance_id"], row["execution_id"], row["task_id"], row["name"], row["input"]))
        rows.work.append({**row, "id": cur.lastrowid})
    return rows

