"""HTTP triggers, keys, host answers to bad input, and the static site, over real HTTP."""

from __future__ import annotations

import json
import socket

from tests.devhost.conftest import start


def test_route_parameters_and_constraints(host):
    code, headers, body = host.request("GET", "/api/hello/World")
    assert code == 200 and body.decode() == "hello-from-settings, World"  # local.settings.json Values
    assert headers["Content-Type"].startswith("text/plain")
    assert host.request("GET", "/api/hello/W0rld")[0] == 404  # {name:alpha}
    code, _, body = host.request("GET", "/api/files/a/b/c.txt")
    assert code == 200 and json.loads(body) == {"path": "a/b/c.txt"}
    code, _, body = host.request("GET", "/api/opt")
    assert json.loads(body) == {"name": None}
    code, _, body = host.request("GET", "/api/opt/zed")
    assert json.loads(body) == {"name": "zed"}


def test_function_and_admin_keys(host):
    assert host.request("GET", "/api/items/7")[0] == 401
    assert host.request("GET", "/api/items/7?code=wrong")[0] == 401
    assert host.request("GET", "/api/items/7", headers={"x-functions-key": "wrong"})[0] == 401
    code, _, body = host.request("GET", f"/api/items/7?code={host.function_key}&q=x")
    assert code == 200 and json.loads(body) == {"id": 7, "method": "GET", "q": "x"}
    code, _, body = host.request("DELETE", "/api/items/8", headers={"x-functions-key": host.master_key})
    assert code == 200 and json.loads(body)["method"] == "DELETE"
    assert host.request("GET", "/api/items/x7", headers={"x-functions-key": host.function_key})[0] == 404
    assert host.request("GET", "/api/admin/ping", headers={"x-functions-key": host.function_key})[0] == 401
    assert host.request("GET", "/api/admin/ping", headers={"x-functions-key": host.master_key})[0] == 200


def test_unknown_route_and_wrong_method(host):
    assert host.request("GET", "/api/no-such-function")[0] == 404
    code, headers, _ = host.request("PUT", "/api/echo", {"a": 1})
    assert code == 405 and "POST" in headers["Allow"]
    code, _, body = host.request("POST", "/api/echo", {"a": [1, "가"]}, headers={"x-test": "yes"})
    assert code == 200 and json.loads(body) == {"body": {"a": [1, "가"]}, "headers": {"x-test": "yes"}}


def test_context_argument_and_unhandled_errors(host):
    code, _, body = host.request("GET", "/api/whoami")
    data = json.loads(body)
    assert code == 200 and data["function"] == "whoami" and len(data["invocation"]) == 36
    code, _, body = host.request("GET", "/api/crash")
    assert code == 500 and b"unhandled" not in body  # no stack trace or message leaks
    assert "RuntimeError: unhandled in a function" in host.log_text()


def test_bad_input_gets_host_answers(host):
    # malformed JSON to a function (its own 400) and to the Durable API
    assert host.request("POST", "/api/echo", b"{not json")[0] == 400
    assert host.request("POST", "/runtime/webhooks/durabletask/orchestrators/sequence", b"{nope")[0] == 400
    # unknown orchestrator: public API 404; through the real client the RPC 400 becomes the app's 404
    assert host.request("POST", "/runtime/webhooks/durabletask/orchestrators/no_such", b"")[0] == 404
    code, _, body = host.request("POST", "/api/orchestrators/no_such", b"")
    assert code == 404 and "no_such" in json.loads(body)["error"]
    # unknown instance
    base = "/runtime/webhooks/durabletask/instances"
    assert host.request("GET", f"{base}/nope-404")[0] == 404
    assert host.request("POST", f"{base}/nope-404/raiseEvent/go", b"1")[0] == 404
    assert host.request("POST", f"{base}/nope-404/terminate?reason=x")[0] == 404
    assert host.request("DELETE", f"{base}/nope-404")[0] == 404
    # event to a finished instance
    data = start(host, "sequence", ["z"])
    host.wait_for(data["id"])
    code, _, _ = host.request("POST", data["sendEventPostUri"].replace("{eventName}", "go"), b"1")
    assert code == 410
    # event whose body is not JSON
    running = start(host, "waiter")
    code, _, _ = host.request("POST", running["sendEventPostUri"].replace("{eventName}", "go"), b"{bad")
    assert code == 400
    host.request("POST", running["terminatePostUri"].replace("{text}", "cleanup"))


def test_static_site(host):
    code, headers, body = host.request("GET", "/")
    assert code == 200 and headers["Content-Type"].startswith("text/html")
    assert "테스트 페이지" in body.decode("utf-8")
    code, headers, _ = host.request("GET", "/style.css")
    assert code == 200 and headers["Content-Type"].startswith("text/css")
    code, headers, _ = host.request("GET", "/app.js")
    assert code == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert host.request("GET", "/sub/note.txt")[0] == 200
    assert host.request("GET", "/sub/")[0] == 404  # no directory listing
    assert host.request("GET", "/missing.png")[0] == 404


def test_static_site_refuses_path_traversal(host):
    for raw in ("/../function_app.py", "/%2e%2e/function_app.py", "/sub/../../host.json",
                "/..%2f..%2fetc/passwd"):
        with socket.create_connection(("127.0.0.1", host.port), timeout=5) as s:
            s.sendall(f"GET {raw} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        status_line = reply.split(b"\r\n", 1)[0]
        assert status_line.split(b" ")[1] in (b"400", b"404"), (raw, status_line)  # refused, not served
        assert b"azure.functions" not in reply and b"extensions" not in reply


def test_listens_on_loopback_only(host):
    import subprocess
    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if f":{host.port} " in line]
    assert lines and all("127.0.0.1:" in line for line in lines)
