"""Waiting on something a test can observe (a file, a log line, a row), instead of a fixed sleep."""

from __future__ import annotations

import time


def wait_until(predicate, timeout: float = 30.0, what: str = "condition", host=None, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy (returned); fail with `what` (and the log
    tail of `host`, a devhost, when given) after `timeout` seconds, a safety stop, not a timing goal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    log = host.log_text()[-3000:] if host is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")
