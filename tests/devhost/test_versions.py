"""Orchestration versions as the Durable extension carries them: host.json defaultVersion or the
client's start_new(version=) is stored with the instance, reported in its status (`version`), and
handed to the orchestration, its sub-orchestrations (their own version or the default) and its next
execution after continue_as_new."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3

import pytest
from azure.durable_functions import DurableOrchestrationClient
from azure.durable_functions.models.utils import http_utils

from devhost.durable.state import instance_from_row
from devhost.durable.status import status_json
from devhost.store import Store
from devhost.testing import DevHost
from tests.devhost.conftest import TESTAPP


@pytest.fixture(scope="module")
def versioned_host(azurite, tmp_path_factory):
    app = tmp_path_factory.mktemp("versioned-app")
    shutil.copy(TESTAPP / "function_app.py", app / "function_app.py")
    (app / "host.json").write_text(json.dumps({"version": "2.0", "extensions": {"durableTask": {
        "hubName": "DevhostVersions", "defaultVersion": "1.0"}}}))
    effects = tmp_path_factory.mktemp("versioned-effects")
    with DevHost(app, tmp_path_factory.mktemp("versioned-data"),
                 env={"AzureWebJobsStorage": azurite, "TESTAPP_EFFECTS_DIR": str(effects),
                      "AzureWebJobs.every_second.Disabled": "true", "AzureWebJobs.on_blob.Disabled": "true",
                      "AzureWebJobs.on_poison_blob.Disabled": "true", "AzureWebJobs.on_queue.Disabled": "true"}) as h:
        yield h


def rounds(version: str) -> dict:
    seen = {"own": version, "default_child": "1.0", "pinned_child": "9.9"}
    return {"round": 2, "round1": seen, "round2": seen}


def test_client_version_and_default_version(versioned_host):
    client = DurableOrchestrationClient(versioned_host.binding_json())

    async def scenario():
        try:
            pinned = await client.start_new("versioned", None, None, version="2.0")
            default = await client.start_new("versioned")
            return pinned, default, await client.get_status(pinned)
        finally:
            await http_utils._close_session()

    pinned, default, status = asyncio.run(scenario())
    assert status.version == "2.0"  # the SDK's status object carries the reported field
    done = versioned_host.wait_for(pinned)
    assert done["runtimeStatus"] == "Completed" and done["version"] == "2.0"
    assert done["output"] == rounds("2.0")
    done = versioned_host.wait_for(default)
    assert done["version"] == "1.0" and done["output"] == rounds("1.0")
    listed = json.loads(versioned_host.request(
        "GET", f"/runtime/webhooks/durabletask/instances?instanceIdPrefix={pinned}")[2])
    # the instance and its two children (ids <parent>:<task id>), each with its own version
    assert {s["instanceId"]: s["version"] for s in listed} == {pinned: "2.0", f"{pinned}:0": "1.0",
                                                               f"{pinned}:1": "9.9"}


def test_webhook_start_takes_a_version_and_history_records_it(versioned_host):
    code, _, body = versioned_host.request(
        "POST", "/runtime/webhooks/durabletask/orchestrators/version_of?version=3.1", b"")
    assert code == 202
    iid = json.loads(body)["id"]
    done = versioned_host.wait_for(iid)
    assert done["output"] == "3.1" and done["version"] == "3.1"
    _, st = versioned_host.status(iid, showHistory="true")
    assert st["historyEvents"][0]["EventType"] == "ExecutionStarted"


def test_no_version_anywhere_reports_none(host):
    """The shared test app has no defaultVersion: no `version` in the status, "" for the SDK."""
    code, _, body = host.request("POST", "/runtime/webhooks/durabletask/orchestrators/version_of", b"")
    assert code == 202
    done = host.wait_for(json.loads(body)["id"])
    assert done["output"] == "" and "version" not in done


def test_data_dir_from_before_versions_still_opens(tmp_path):
    """A data dir written before versions were stored gains the column; its instances have none."""
    path = tmp_path / "devhost.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE instances (id TEXT PRIMARY KEY, name TEXT NOT NULL, execution_id TEXT NOT NULL,"
                " status TEXT NOT NULL, input TEXT, output TEXT, custom_status TEXT, created TEXT NOT NULL,"
                " updated TEXT NOT NULL, parent TEXT, book TEXT NOT NULL)")
    old.execute("INSERT INTO instances VALUES ('old-1', 'waiter', 'e1', 'Running', NULL, NULL, NULL,"
                " '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', NULL,"
                " '{\"next_seq\":0,\"known\":0,\"tasks\":{}}')")
    old.commit()
    old.close()
    store = Store(path)
    try:
        row = store.instance("old-1")
        assert instance_from_row(row).version == ""
        assert "version" not in status_json(row) and status_json(row)["runtimeStatus"] == "Running"
    finally:
        store.close()
