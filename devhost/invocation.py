"""What every invocation gets: a `func.Context` when it asks for one, and one log line on stdout."""

from __future__ import annotations

import threading

import azure.functions as func


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


def log_invocation(kind: str, name: str, invocation_id: str, status: str, ms: float, detail: str = "") -> None:
    """`[devhost] <kind> <function> id=<id> status=<status> duration_ms=<ms> ...` (flushed by the host)."""
    extra = f" {detail}" if detail else ""
    print(f"[devhost] {kind} {name} id={invocation_id} status={status} duration_ms={ms:.1f}{extra}", flush=False)
