"""Running activity functions: input decoded and output encoded as the Functions host does, sync ones in a
thread pool, async ones on the loop, at most maxConcurrentActivityFunctions at once."""

from __future__ import annotations

import asyncio
import functools
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.durable.protocol import TASK_COMPLETED, TASK_FAILED, event, utcnow
from devhost.invocation import Context, log_invocation

# (work row, TaskCompleted or TaskFailed event) for each activity that finished
Completion = tuple[dict, dict]


class ActivityRunner:
    def __init__(self, activities: dict, app_dir: str, max_activities: int,
                 on_complete: Callable[[list[Completion]], None]):
        self.activities = activities
        self.app_dir = app_dir
        self.max_activities = max_activities
        self.on_complete = on_complete  # called on the loop with every completion available
        self.pool = ThreadPoolExecutor(max_workers=max_activities, thread_name_prefix="activity")
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sem: asyncio.Semaphore | None = None
        self.tasks: set[asyncio.Task] = set()
        self._completions: list[Completion] = []
        self._flush_scheduled = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sem = asyncio.Semaphore(self.max_activities)

    def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def dispatch(self, work: dict) -> None:
        task = self.loop.create_task(self._run(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _call(self, f, work: dict, invocation_id: str):
        value = ActivityTriggerConverter.decode(
            meta.Datum(type="json", value=work["input"] if work["input"] is not None else "null"),
            trigger_metadata=None)
        kwargs = {f.trigger_param: value}
        if "context" in f.params and "context" not in kwargs:
            kwargs["context"] = Context(f.name, self.app_dir, invocation_id)
        if f.is_async:
            return await f.fn(**kwargs)
        return await self.loop.run_in_executor(self.pool, functools.partial(f.fn, **kwargs))

    async def _run(self, work: dict) -> None:
        f = self.activities.get(work["name"])
        async with self.sem:
            t0 = time.perf_counter()
            invocation_id = str(uuid.uuid4())
            try:
                result = await self._call(f, work, invocation_id)
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
            log_invocation("activity", work["name"], invocation_id, status, (time.perf_counter() - t0) * 1000,
                           f"instance={work['instance_id']}")
        self._completions.append((work, ev))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Hand over every completion available at once: one transaction for all of them."""
        self._flush_scheduled = False
        batch, self._completions = self._completions, []
        if batch:
            self.on_complete(batch)
