"""Callers waiting for an instance to finish (createAndWaitOnNewInstance: POST ...?timeout=s)."""

from __future__ import annotations

import asyncio

from devhost.durable.protocol import TERMINAL
from devhost.store import Store


class TerminalWaiters:
    def __init__(self, store: Store):
        self.store = store
        self._waiters: dict[str, list[asyncio.Future]] = {}

    async def wait(self, instance_id: str, timeout: float):
        """The instance's row once it is Completed/Failed/Terminated, or None after `timeout` s."""
        row = self.store.instance(instance_id)
        if row is not None and row["status"] in TERMINAL:
            return row
        fut = asyncio.get_running_loop().create_future()
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

    def notify(self, instance_id: str) -> None:
        """Called on every status change: wakes the waiters once the instance has finished."""
        if instance_id not in self._waiters:
            return
        row = self.store.instance(instance_id)
        if row is not None and row["status"] in TERMINAL:
            for fut in self._waiters.pop(instance_id):
                if not fut.done():
                    fut.set_result(row)
