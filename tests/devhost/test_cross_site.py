"""The Durable HTTP API and the client RPC endpoint refuse what a web page in the developer's browser
could send (cross-site POSTs, DNS-rebound hosts); same-origin JSON calls, calls with the master key and
the real SDK client still work."""

from __future__ import annotations

import asyncio
import json

import pytest
from azure.durable_functions import DurableOrchestrationClient
from azure.durable_functions.models.utils import http_utils

from tests.devhost.conftest import start

BASES = ("/runtime/webhooks/durabletask", "/durabletask")
EVIL = "http://evil.example"


@pytest.fixture
def running(host):
    data = start(host, "waiter")
    yield data["id"]
    host.request("POST", f"/runtime/webhooks/durabletask/instances/{data['id']}/terminate?reason=cleanup")


def status_of(host, iid: str) -> str:
    code, st = host.status(iid)
    assert code in (200, 202), code
    return st["runtimeStatus"]


@pytest.mark.parametrize("base", BASES)
def test_cross_site_form_post_cannot_terminate(host, running, base):
    url = f"{base}/instances/{running}/terminate?reason=evil"
    # what a <form method=post enctype=text/plain> on another site sends
    code, _, body = host.request("POST", url, b"x=1", headers={"Origin": EVIL, "Content-Type": "text/plain"})
    assert code == 403, body
    # the same with the Origin header stripped (an extension or an old browser): still no JSON type
    code, _, body = host.request("POST", url, b"x=1", headers={"Content-Type": "text/plain"})
    assert code == 415, body
    code, _, body = host.request("POST", url, b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 415, body
    # a no-cors fetch without a body still carries the browser's markers
    code, _, _ = host.request("POST", url, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"})
    assert code == 403
    code, _, _ = host.request("POST", url, headers={"Origin": "null"})
    assert code == 403
    assert status_of(host, running) == "Running"


@pytest.mark.parametrize("base", BASES)
def test_cross_site_purge_and_event_are_refused(host, running, base):
    assert host.request("DELETE", f"{base}/instances/{running}", headers={"Origin": EVIL})[0] == 403
    assert host.request("DELETE", f"{base}/instances?instanceIdPrefix={running}",
                        headers={"Sec-Fetch-Site": "same-site"})[0] == 403  # another localhost port
    code, _, _ = host.request("POST", f"{base}/instances/{running}/raiseEvent/go", b"1",
                              headers={"Origin": EVIL, "Content-Type": "text/plain"})
    assert code == 403
    assert host.request("POST", f"{base}/orchestrators/waiter", b"{}", headers={"Origin": EVIL})[0] == 403
    assert status_of(host, running) == "Running"
    assert host.request("GET", f"{base}/instances/{running}")[0] == 202  # nothing was purged


def test_dns_rebound_host_is_refused(host, running):
    for method, path in (("GET", f"/runtime/webhooks/durabletask/instances/{running}"),
                         ("POST", f"/durabletask/instances/{running}/terminate?reason=rebound")):
        code, _, _ = host.request(method, path, headers={"Host": f"rebind.evil.example:{host.port}"})
        assert code == 403
    assert status_of(host, running) == "Running"


def test_same_origin_json_and_master_key_are_accepted(host, running):
    base = "/runtime/webhooks/durabletask"
    code, _, _ = host.request("POST", f"{base}/instances/{running}/raiseEvent/go", {"n": 1},
                              headers={"Origin": host.base_url, "Sec-Fetch-Site": "same-origin"})
    assert code == 202
    code, _, _ = host.request("POST", f"{base}/instances/{running}/terminate?reason=key", b"x",
                              headers={"Content-Type": "text/plain", "x-functions-key": host.master_key})
    assert code == 202
    assert status_of(host, running) == "Terminated"
    code, _, _ = host.request("POST", f"{base}/instances/{running}/terminate?reason=x", b"x",
                              headers={"Content-Type": "text/plain", "x-functions-key": host.function_key})
    assert code == 415  # a function key is not the system key


def test_real_client_still_works_through_the_guard(host):
    client = DurableOrchestrationClient(host.binding_json())

    async def scenario():
        try:
            iid = await client.start_new("waiter", None, None)  # no body at all
            await client.raise_event(iid, "go", {"a": 1})        # JSON body
            await client.raise_event(iid, "go", None)            # no body
            for _ in range(1500):  # a safety stop of about 30 s, not a timing goal
                st = await client.get_status(iid)
                if st.runtime_status and st.runtime_status.value == "Completed":
                    break
                await asyncio.sleep(0.02)
            assert st.output == [{"a": 1}, None]
            iid2 = await client.start_new("waiter", None, {"x": 1})
            await client.terminate(iid2, "done")                 # POST without a body
            purged = await client.purge_instance_history(iid2)   # DELETE
            assert purged.instances_deleted == 1
        finally:
            await http_utils._close_session()

    asyncio.run(scenario())
    code, _, body = host.request("GET", "/runtime/webhooks/durabletask/instances?top=1")
    assert code == 200 and isinstance(json.loads(body), list)
