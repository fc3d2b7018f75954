"""A storage outage mid-batch (issue 14): the real app on devhost against a private Azurite that is
killed with SIGKILL while lines run and restarted on the same folder and ports. Azurite saves its
blob index every few seconds, so blobs it acknowledged just before the kill can be gone afterwards.
The batch must still end with one row per line, each either completed with every file it names
present in batch-out, or failed with a Korean reason; none completed without its files."""

from __future__ import annotations

import re
import time

import pytest

import devstack
from shared.core import config
from tests.integration.batch.batch_helpers import BATCH_TRIGGER_ON, Blobs, jsonl, shot, wait_batch

pytestmark = pytest.mark.slow

LINES = 6
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture
def storage_that_dies(tmp_path):
    """A private Azurite: (connection string, kill, restart)."""
    location = tmp_path / "azurite"
    ports = (devstack.free_port(), devstack.free_port(), devstack.free_port())
    procs = [devstack.start_azurite(location, ports)]

    def kill() -> None:
        procs[-1].kill()  # SIGKILL: no chance to save what it acknowledged last
        procs[-1].wait(10)

    def restart() -> None:
        procs.append(devstack.start_azurite(location, ports))

    yield config.azurite_connection_string(*ports), kill, restart
    procs[-1].terminate()
    try:
        procs[-1].wait(10)
    except Exception:
        procs[-1].kill()


def test_storage_killed_mid_batch_leaves_no_line_completed_without_its_files(start_app_host, storage_that_dies):
    connection, kill, restart = storage_that_dies
    app = start_app_host(AzureWebJobsStorage=connection, BATCH_MAX_CONCURRENCY="2", **BATCH_TRIGGER_ON)
    host = app.devhost
    try:
        blobs = Blobs(connection)
        dropped = time.monotonic()
        blobs.drop("outage.jsonl", jsonl([shot(f"장면 {n}, 시장 골목", id=f"o{n}") for n in range(1, LINES + 1)]))
        wait_batch(host, "outage", until=lambda b: b.get("done", 0) >= 1 and b.get("running", 0) >= 1, timeout=300)
        time.sleep(max(0.0, 6.0 - (time.monotonic() - dropped)))  # the file and batch.json are saved by now
        kill()
        time.sleep(8)  # longer than the host's plain infra retry (3 attempts, 2 s apart)
        restart()

        deadline = time.monotonic() + 600
        while blobs.summary("outage") is None:
            assert time.monotonic() < deadline, f"no summary.json\n{host.log_text()[-4000:]}"
            time.sleep(0.5)
        summary, rows = blobs.summary("outage"), blobs.results("outage")
    finally:
        host.stop()

    assert [r["line"] for r in rows] == list(range(1, LINES + 1))
    assert {r["status"] for r in rows} <= {"completed", "failed"}
    for row in rows:
        if row["status"] == "failed":
            assert row["images"] == [] and HANGUL.search(row["error"]["message"]), row
            continue
        assert row["error"] is None and row["images"], row
        for image in row["images"]:
            assert blobs.read("batch-out", image["png"].partition("/")[2])[:8] == b"\x89PNG\r\n\x1a\n", row
            assert blobs.read("batch-out", image["psd"].partition("/")[2])[:4] == b"8BPS", row
    completed = sum(r["status"] == "completed" for r in rows)
    assert (summary["completed"], summary["failed"], summary["total"]) == (completed, LINES - completed, LINES)
    print(f"outage batch: {completed} completed with files, {LINES - completed} failed with a reason: "
          + ", ".join(f"{r['line']}:{r['error']['code']}" for r in rows if r["error"]))
