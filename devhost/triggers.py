"""Blob triggers (polling, receipts on disk) and timer triggers (NCRONTAB, seconds first)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import re
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.blob import (
    InputStream as BlobInputStream,  # the concrete class (func.InputStream is abstract)
)
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest  # the concrete class (func.TimerRequest is abstract)
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient
from croniter import croniter

from devhost.config import connection_string
from devhost.durable.protocol import iso, parse_time
from devhost.store import get_schedule_last, set_schedule_last

log = logging.getLogger("devhost")


async def _guarded(name: str, coro) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("devhost: trigger loop %s stopped", name)


def start_trigger_loops(host) -> list[asyncio.Task]:
    loop = asyncio.get_running_loop()
    tasks = []
    for info in host.functions:
        if info.trigger_type == "blobTrigger":
            tasks.append(loop.create_task(_guarded(info.name, BlobWatcher(host, info).run())))
        elif info.trigger_type == "timerTrigger":
            tasks.append(loop.create_task(_guarded(info.name, timer_loop(host, info))))
        elif info.trigger_type == "queueTrigger":
            tasks.append(loop.create_task(_guarded(info.name, QueueWatcher(host, info).run())))
    return tasks


def blob_pattern(path: str) -> tuple[str, str, re.Pattern, list[str]]:
    """'batch-in/{name}.jsonl' -> container, name prefix, regex over blob names, parameter names."""
    container, _, rest = path.partition("/")
    names: list[str] = []
    regex, pos = [], 0
    for m in re.finditer(r"\{([^{}]+)\}", rest):
        regex.append(re.escape(rest[pos:m.start()]))
        name = m.group(1)
        names.append(name)
        regex.append(f"(?P<{name}>.+?)")
        pos = m.end()
    regex.append(re.escape(rest[pos:]))
    prefix = rest.split("{", 1)[0]
    return container, prefix, re.compile("^" + "".join(regex) + "$"), names


class BlobWatcher:
    def __init__(self, host, info):
        self.host = host
        self.info = info
        self.container, self.prefix, self.regex, self.names = blob_pattern(info.trigger["path"])
        self.in_flight: set[str] = set()
        self._client = None

    def _container_client(self):
        if self._client is None:
            conn = connection_string(self.info.trigger.get("connection"))
            self._client = BlobServiceClient.from_connection_string(conn).get_container_client(self.container)
        return self._client

    def _list(self):
        try:
            return [(b.name, b.etag, b.size) for b in
                    self._container_client().list_blobs(name_starts_with=self.prefix or None)]
        except ResourceNotFoundError:
            return []

    def _download(self, name: str) -> tuple[bytes, str]:
        blob = self._container_client().get_blob_client(name)
        return blob.download_blob().readall(), blob.url

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.host.cfg
        warned = False
        while True:
            try:
                blobs = await loop.run_in_executor(self.host.pool, self._list)
                warned = False
                for name, etag, _size in blobs:
                    m = self.regex.match(name)
                    if not m:
                        continue
                    key = f"{self.info.name}|{self.container}/{name}|{etag}"
                    if key in self.in_flight:
                        continue
                    receipt = self.host.store.receipt(key)
                    if receipt is not None and receipt["status"] in ("done", "poison"):
                        continue
                    attempts = receipt["attempts"] if receipt is not None else 0
                    self.in_flight.add(key)
                    task = loop.create_task(self._fire(key, name, m.groupdict(), attempts))
                    task.add_done_callback(lambda _t, k=key: self.in_flight.discard(k))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not warned:
                    print(f"devhost: blob trigger {self.info.name}: cannot poll {self.container}: {exc}", flush=True)
                    warned = True
            await asyncio.sleep(cfg.blob_poll_seconds)

    async def _fire(self, key: str, name: str, params: dict, attempts: int) -> None:
        loop = asyncio.get_running_loop()
        store = self.host.store
        now = iso(datetime.now(UTC))
        attempts += 1
        store.put_receipt(key, self.info.name, "running", attempts, now)  # before acting
        try:
            data, uri = await loop.run_in_executor(self.host.pool, self._download, name)
            stream = BlobInputStream(data=data, name=f"{self.container}/{name}", uri=uri, length=len(data))
            kwargs = {self.info.trigger_param: stream}
            for pname, value in params.items():
                if pname in self.info.params and pname not in kwargs:
                    kwargs[pname] = value
            await self.host.invoke(self.info, kwargs, "blob", f"blob={self.container}/{name}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if attempts >= self.host.cfg.blob_max_attempts:
                store.put_receipt(key, self.info.name, "poison", attempts, iso(datetime.now(UTC)))
                print(f"devhost: blob trigger {self.info.name} gave up on {self.container}/{name} after "
                      f"{attempts} attempts (poison): {type(exc).__name__}: {exc}", flush=True)
            else:
                store.put_receipt(key, self.info.name, "failed", attempts, iso(datetime.now(UTC)))
                print(f"devhost: blob trigger {self.info.name} failed on {self.container}/{name} "
                      f"(attempt {attempts}): {type(exc).__name__}: {exc}", flush=True)
            return
        store.put_receipt(key, self.info.name, "done", attempts, iso(datetime.now(UTC)))


class QueueWatcher:
    """Storage queue trigger: poll, invoke, delete on success; after 5 dequeues move the message to
    `<queue>-poison`, as the host does (messages are base64 text, host.json's default encoding)."""

    max_dequeue = 5

    def __init__(self, host, info):
        self.host = host
        self.info = info
        self.queue = resolve_schedule(info.trigger["queueName"])  # may be a %setting%
        self._client = None
        self._poison = None

    def _clients(self):
        if self._client is None:
            conn = connection_string(self.info.trigger.get("connection"))
            self._client = QueueClient.from_connection_string(conn, self.queue)
            self._poison = QueueClient.from_connection_string(conn, f"{self.queue}-poison")
            try:
                self._client.create_queue()
            except ResourceExistsError:
                pass
        return self._client, self._poison

    def _receive(self):
        client, _ = self._clients()
        return list(client.receive_messages(max_messages=16, messages_per_page=16, visibility_timeout=300))

    def _settle(self, msg, ok: bool) -> str:
        client, poison = self._clients()
        if ok:
            client.delete_message(msg)
            return "done"
        if (msg.dequeue_count or 0) >= self.max_dequeue:
            try:
                poison.create_queue()
            except ResourceExistsError:
                pass
            poison.send_message(msg.content)
            client.delete_message(msg)
            return "poison"
        client.update_message(msg, visibility_timeout=0)
        return "retry"

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        warned = False
        while True:
            try:
                messages = await loop.run_in_executor(self.host.pool, self._receive)
                warned = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not warned:
                    print(f"devhost: queue trigger {self.info.name}: cannot poll {self.queue}: {exc}", flush=True)
                    warned = True
                messages = []
            for msg in messages:
                content = msg.content or ""
                try:
                    body = base64.b64decode(content, validate=True)
                except (binascii.Error, ValueError):
                    body = content.encode("utf-8")
                qm = QueueMessage(id=msg.id, body=body, dequeue_count=msg.dequeue_count,
                                  expiration_time=msg.expires_on, insertion_time=msg.inserted_on,
                                  time_next_visible=msg.next_visible_on, pop_receipt=msg.pop_receipt)
                ok = True
                try:
                    await self.host.invoke(self.info, {self.info.trigger_param: qm}, "queue",
                                           f"queue={self.queue} dequeue_count={msg.dequeue_count}")
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    ok = False
                    print(f"devhost: queue trigger {self.info.name} failed on message {msg.id} "
                          f"(dequeue {msg.dequeue_count}): {type(exc).__name__}: {exc}", flush=True)
                try:
                    outcome = await loop.run_in_executor(self.host.pool, self._settle, msg, ok)
                    if outcome == "poison":
                        print(f"devhost: queue trigger {self.info.name} moved message {msg.id} to "
                              f"{self.queue}-poison after {msg.dequeue_count} attempts", flush=True)
                except Exception as exc:
                    print(f"devhost: queue trigger {self.info.name}: cannot settle {msg.id}: {exc}", flush=True)
            if not messages:
                await asyncio.sleep(self.host.cfg.blob_poll_seconds)


def resolve_schedule(schedule: str) -> str:
    m = re.fullmatch(r"%([^%]+)%", schedule.strip())
    if m:
        return os.environ.get(m.group(1), "")
    return schedule


async def timer_loop(host, info) -> None:
    """Fire on the NCRONTAB schedule (6 fields, seconds first; 5 fields also accepted), in UTC.

    The last scheduled occurrence is kept on disk: if one was missed while devhost was down, it fires
    once at start with past_due=True, as the Functions host does."""
    schedule = resolve_schedule(str(info.trigger.get("schedule", "")))
    six = len(schedule.split()) == 6

    def next_after(moment: datetime) -> datetime:
        nxt = croniter(schedule, moment, second_at_beginning=six).get_next(datetime)
        return nxt if nxt.tzinfo else nxt.replace(tzinfo=UTC)

    last_text = get_schedule_last(host.store, info.name)
    last = parse_time(last_text) if last_text else None

    async def fire(past_due: bool, occurrence: datetime) -> None:
        nonlocal last
        following = next_after(max(occurrence, datetime.now(UTC)))
        req = TimerRequest(past_due=past_due, schedule_status={
            "Last": iso(last) if last else None, "Next": iso(following),
            "LastUpdated": iso(datetime.now(UTC))}, schedule={"AdjustForDST": True})
        set_schedule_last(host.store, info.name, iso(occurrence))
        last = occurrence
        try:
            await host.invoke(info, {info.trigger_param: req}, "timer")
        except Exception as exc:
            print(f"devhost: timer {info.name} failed: {type(exc).__name__}: {exc}", flush=True)

    now = datetime.now(UTC)
    if last is not None and next_after(last) < now - timedelta(seconds=1):
        await fire(True, now)  # missed while down
    elif info.trigger.get("runOnStartup"):
        await fire(False, now)
    while True:
        nxt = next_after(max(datetime.now(UTC), last or datetime.now(UTC)))
        delay = (nxt - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        late = (datetime.now(UTC) - nxt).total_seconds()
        await fire(late > 1.0, nxt)
