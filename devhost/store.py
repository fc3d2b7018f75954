"""Durable state on disk: one SQLite database in WAL mode (synchronous=NORMAL).

Every change an orchestration episode or an activity completion makes is written in one transaction
BEFORE devhost acts on it, so after a crash (kill -9) the inbox and work tables say exactly what is
still to be done. Used from the event-loop thread only.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    parent TEXT,
    book TEXT NOT NULL,
    version TEXT
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    event TEXT NOT NULL,
    visible_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_instance ON inbox(instance_id);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT
);
CREATE TABLE IF NOT EXISTS schedules (
    function TEXT PRIMARY KEY,
    last TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    key TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    updated TEXT NOT NULL
);
"""


class Store:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(instances)")}
        if "version" not in columns:  # a data dir from before orchestration versions
            self.db.execute("ALTER TABLE instances ADD COLUMN version TEXT")

    @contextmanager
    def tx(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self):
        self.db.close()

    # -- reads ---------------------------------------------------------------------------------
    def instance(self, instance_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM instances WHERE id=?", (instance_id,)).fetchone()

    def history(self, instance_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT event FROM history WHERE instance_id=? ORDER BY seq", (instance_id,)).fetchall()
        return [r[0] for r in rows]

    def active_instances(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM instances WHERE status NOT IN ('Completed','Failed','Terminated')").fetchall()

    def all_inbox(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM inbox ORDER BY id").fetchall()

    def all_work(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM work ORDER BY id").fetchall()

    def query(self, *, statuses=None, created_from=None, created_to=None, prefix=None,
              after=None, limit=None) -> list[sqlite3.Row]:
        sql, args = "SELECT * FROM instances WHERE 1=1", []
        if statuses:
            sql += " AND status IN ({})".format(",".join("?" * len(statuses)))
            args += list(statuses)
        if created_from:
            sql += " AND created >= ?"
            args.append(created_from)
        if created_to:
            sql += " AND created <= ?"
            args.append(created_to)
        if prefix:
            sql += " AND substr(id, 1, ?) = ?"
            args += [len(prefix), prefix]
        if after:
            sql += " AND (created, id) > (?, ?)"
            args += list(after)
        sql += " ORDER BY created, id"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return self.db.execute(sql, args).fetchall()

    # -- receipts (blob triggers) ---------------------------------------------------------------
    def receipt(self, key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM receipts WHERE key=?", (key,)).fetchone()

    def put_receipt(self, key: str, function: str, status: str, attempts: int, now: str) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO receipts(key, function, status, attempts, updated) VALUES (?,?,?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET status=excluded.status, attempts=excluded.attempts, "
                "updated=excluded.updated", (key, function, status, attempts, now))


def get_schedule_last(store: Store, function: str) -> str | None:
    row = store.db.execute("SELECT last FROM schedules WHERE function=?", (function,)).fetchone()
    return row[0] if row else None


def set_schedule_last(store: Store, function: str, last: str) -> None:
    with store.tx() as db:
        db.execute("INSERT INTO schedules(function, last) VALUES (?, ?) "
                   "ON CONFLICT(function) DO UPDATE SET last=excluded.last", (function, last))


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
