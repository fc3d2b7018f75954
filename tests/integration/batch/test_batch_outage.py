"""A storage outage mid-batch (issue 14): the real app on devhost against a private Azurite that is
killed with SIGKILL while lines run and restarted on the same folder and ports. Azurite saves its
blob index every few seconds, so blobs it acknowledged just before the kill can be gone afterwards,
or listed with their content gone (a read of one then stalls): the kill comes just after a line was
done past Azurite's last save, with most lines still to run.
The batch must still end with one row per line, each either completed with every file it names
present in batch-out, or failed with a Korean reason; none completed without its files."""

from __future__ import annotations

import re
import time

import pytest

import devstack
from shared.core import config
from tests.integration.batch.batch_helpers import BATCH_TRIGGER_ON, Blobs, instances, jsonl, shot, wait_batch

pytestmark = pytest.mark.slow

LINES = 16  # enough that lines are still to run when storage dies, however fast this machine is
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture
def storage_that_dies(tmp_path):
    """A private Azurite: (connection string, kill, restart, saved_since(wall-clock time))."""
    location = tmp_path / "azurite"
    ports = (devstack.free_port(), devstack.free_port(), devstack.free_port())
    procs = [devstack.start_azurite(location, ports)]

    def kill() -> None:
        procs[-1].kill()  # SIGKILL: no chance to save what it acknowledged last
        procs[-1].wait(10)

    def restart() -> None:
        procs.append(devstack.start_azurite(location, ports))

    def saved_since(moment: float) -> bool:
        """Whether Azurite has written its blob index to disk after `moment`."""
        index = location / "__azurite_db_blob__.json"
        return index.exists() and index.stat().st_mtime > moment

    yield config.azurite_connection_string(*ports), kill, restart, saved_since
    procs[-1].terminate()
    try:
        procs[-1].wait(10)
    except Exception:
        procs[-1].kill()


def _batch_state(host) -> str | None:
    return next((i["runtimeStatus"] for i in instances(host) if i["instanceId"].startswith("batch-")
                 and i["instanceId"].count("-") == 1), None)


def _states(host) -> list[tuple]:
    return [(i.get("instanceId"), i.get("runtimeStatus"), i.get("customStatus")) for i in instances(host)]


def test_storage_killed_mid_batch_leaves_no_line_completed_without_its_files(start_app_host, storage_that_dies):
    connection, kill, restart, saved_since = storage_that_dies
    app = start_app_host(AzureWebJobsStorage=connection, BATCH_MAX_CONCURRENCY="2", **BATCH_TRIGGER_ON)
    host = app.devhost
    try:
        blobs = Blobs(connection)
        blobs.drop("outage.jsonl", jsonl([shot(f"장면 {n}, 시장 골목", id=f"o{n}") for n in range(1, LINES + 1)]))
        wait_batch(host, "outage", until=lambda b: b.get("done", 0) >= 1 and b.get("running", 0) >= 1, timeout=300)
        running_at = time.time()  # the file and batch.json were written before any line ran
        deadline = time.monotonic() + 30
        while not saved_since(running_at):  # Azurite saves its index every few seconds
            assert time.monotonic() < deadline, "Azurite did not save its blob index within 30 s"
            time.sleep(0.1)
        # One more line done after that save: its files are likely written after it, so lost in the kill.
        done_at_save = wait_batch(host, "outage", until=lambda b: True).get("done", 0)
        wait_batch(host, "outage", until=lambda b: b.get("done", 0) > done_at_save, timeout=60)
        kill()
        assert _batch_state(host) == "Running", f"the batch ended before storage died: {_states(host)}"
        time.sleep(8)  # longer than the host's plain infra retry (3 attempts, 2 s apart)
        restart()

        deadline = time.monotonic() + 420  # before pytest's timeout, so the failure shows the host's log
        while blobs.summary("outage") is None:
            assert time.monotonic() < deadline, (f"no summary.json; instances: {_states(host)}\n"
                                                 f"{host.log_text()[-6000:]}")
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
