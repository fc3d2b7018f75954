"""The real, unpatched DurableOrchestrationClient against devhost over real HTTP: used from inside a
hosted function (the app's starter/manage functions) and from this test process with the binding
JSON devhost hands to functions."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from azure.durable_functions import DurableOrchestrationClient
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from devhost.durable.engine import Engine  # noqa: F401  (import check: devhost is importable in tests)
from devhost.http_api import DurableApi
from tests.devhost.conftest import start


def binding_json(host) -> str:
    text = host.binding_json()
    assert json.loads(text)["taskHubName"] == "DevhostTestHub"
    assert text == DurableApi(engine=None, hub_name="DevhostTestHub", origin_fn=None).binding_json(host.base_url)
    return text


def run(coro):
    async def wrapper():
        try:
            return await coro
        finally:
            from azure.durable_functions.models.utils import http_utils
            await http_utils._close_session()
    return asyncio.run(wrapper())


def test_client_in_test_process(host):
    client = DurableOrchestrationClient(binding_json(host))

    async def scenario():
        iid = await client.start_new("waiter", None, {"ignored": True})
        st = await client.get_status(iid)
        assert st.runtime_status in (OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running)
        for _ in range(1500):  # a safety stop of about 30 s, not a timing goal
            st = await client.get_status(iid)
            if st.custom_status == "waiting":
                break
            await asyncio.sleep(0.02)
        assert st.custom_status == "waiting"  # the orchestrator ran and set its status
        assert st.input_ == {"ignored": True}
        await client.raise_event(iid, "go", {"first": 1})
        await client.raise_event(iid, "go", [2, "둘"])
        for _ in range(1500):
            st = await client.get_status(iid, show_history=True)
            if st.runtime_status == OrchestrationRuntimeStatus.Completed:
                break
            await asyncio.sleep(0.02)
        assert st.output == [{"first": 1}, [2, "둘"]]
        with pytest.raises(Exception, match="gone"):
            await client.raise_event(iid, "go", 3)

        iid2 = await client.start_new("waiter", f"client-{time.time_ns()}")
        await client.terminate(iid2, "by test")
        st2 = await client.get_status(iid2)
        assert st2.runtime_status == OrchestrationRuntimeStatus.Terminated and st2.output == "by test"

        missing = await client.get_status("no-such-instance")
        assert not missing
        with pytest.raises(Exception, match="No instance"):
            await client.raise_event("no-such-instance", "go", 1)
        with pytest.raises(Exception, match="doesn't exist"):
            await client.start_new("no_such_orchestrator")

        listed = await client.get_status_by(runtime_status=[OrchestrationRuntimeStatus.Terminated])
        assert iid2 in [s.instance_id for s in listed]
        purged = await client.purge_instance_history(iid2)
        assert purged.instances_deleted == 1
        assert not await client.get_status(iid2)

    run(scenario())


def test_client_inside_hosted_function(host):
    data = start(host, "waiter")
    iid = data["id"]
    code, _, body = host.request("GET", f"/api/instances/{iid}/status")
    assert code == 200 and json.loads(body)["runtimeStatus"] in ("Pending", "Running")
    code, _, _ = host.request("POST", f"/api/instances/{iid}/suspend")
    assert code == 202
    assert host.wait_for(iid, statuses=("Suspended",))["runtimeStatus"] == "Suspended"
    code, _, _ = host.request("POST", f"/api/instances/{iid}/resume")
    assert code == 202
    for value in ("a", "b"):
        code, _, body = host.request("POST", f"/api/instances/{iid}/raise?event=go", json.dumps(value))
        assert code == 202, body
    assert host.wait_for(iid)["output"] == ["a", "b"]
    code, _, body = host.request("GET", f"/api/instances/{iid}/status")
    assert json.loads(body) == {"runtimeStatus": "Completed", "output": ["a", "b"], "customStatus": "waiting"}
    # raising to a finished instance: the client raises the 410 as an error
    code, _, body = host.request("POST", f"/api/instances/{iid}/raise?event=go", "1")
    assert code == 409 and "gone" in json.loads(body)["error"]

    data = start(host, "waiter")
    code, _, _ = host.request("POST", f"/api/instances/{data['id']}/terminate?reason=halt")
    assert code == 202
    st = host.wait_for(data["id"])
    assert st["runtimeStatus"] == "Terminated" and st["output"] == "halt"
