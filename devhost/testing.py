"""Run devhost as a subprocess in tests: start on a free port, wait until it answers, kill/restart.

    from devhost.testing import DevHost

    with DevHost(app_dir=PROJECT_ROOT, data_dir=tmp_path / "devhost",
                 env={"AzureWebJobsStorage": azurite_conn}) as host:
        requests.post(host.base_url + "/api/generations", json=...)
        host.kill()      # SIGKILL, as a crash
        host.restart()   # same port, same data dir: unfinished work resumes

`host.function_key` / `host.master_key` are fixed for the run (passed as DEVHOST_FUNCTION_KEY /
DEVHOST_MASTER_KEY). The process's stdout/stderr go to `host.log_path` (`host.log_text()`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from devhost.config import read_host_json
from devhost.http_api import DurableApi

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevHostError(RuntimeError):
    pass


class DevHost:
    def __init__(self, app_dir: str | os.PathLike, data_dir: str | os.PathLike, *, port: int | None = None,
                 env: dict[str, str] | None = None, python: str | None = None, startup_timeout: float = 60.0,
                 log_path: str | os.PathLike | None = None):
        self.app_dir = Path(app_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self._auto_port = port is None
        self._started_once = False
        self.function_key = secrets.token_urlsafe(16)
        self.master_key = secrets.token_urlsafe(24)
        self.env = dict(env or {})
        self.python = python or sys.executable
        self.startup_timeout = startup_timeout
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(log_path) if log_path else self.data_dir / "devhost.log"
        self.proc: subprocess.Popen | None = None
        self._log_file = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"DEVHOST_FUNCTION_KEY": self.function_key, "DEVHOST_MASTER_KEY": self.master_key,
                    "PYTHONUNBUFFERED": "1"})
        env.update(self.env)
        # devhost itself must be importable even when app_dir is another folder
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        return env

    def start(self) -> DevHost:
        if self.proc is not None and self.proc.poll() is None:
            raise DevHostError("devhost is already running")
        for attempt in range(3):
            try:
                self._spawn()
                self._started_once = True
                return self
            except DevHostError as exc:
                # another process took the free port between choosing and binding it: choose again
                # (only before the first successful start: restarts keep their port)
                if self._auto_port and not self._started_once and "address already in use" in str(exc).lower() \
                        and attempt < 2:
                    self.port = free_port()
                    continue
                raise
        return self

    def _spawn(self) -> None:
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.python, "-m", "devhost", "--app-dir", str(self.app_dir), "--port", str(self.port),
             "--data-dir", str(self.data_dir)],
            cwd=str(self.app_dir), env=self._environment(), stdout=self._log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._close_log()
                raise DevHostError(f"devhost exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.base_url + "/runtime/webhooks/durabletask/instances?top=1",
                                            timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise DevHostError(f"devhost did not answer within {self.startup_timeout:.0f} s:\n{self.log_text()[-4000:]}")

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash: nothing gets to clean up)."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait(10)
        self._close_log()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (graceful), then SIGKILL if it does not exit in time."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(10)
        else:
            self._signal_group(signal.SIGKILL)  # children left behind, if any
        self._close_log()

    def restart(self) -> DevHost:
        self.stop()
        return self.start()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- small HTTP helpers (stdlib only) --------------------------------------------------------
    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                timeout: float = 30.0) -> tuple[int, dict, bytes]:
        """(status, headers, body) for a request to this devhost; path may be absolute URL.

        A dict/list body is JSON-encoded; a str or bytes body is sent as is. Either is labelled
        `Content-Type: application/json` unless `headers` name a type (urllib would say form data)."""
        url = path if path.startswith("http") else self.base_url + path
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body).encode("utf-8")
            if not any(k.lower() == "content-type" for k in hdrs):
                hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def binding_json(self) -> str:
        """The durableClient binding JSON devhost gives functions: build a real client from it with
        `azure.durable_functions.DurableOrchestrationClient(host.binding_json())`."""
        return DurableApi(None, self.hub_name(), None).binding_json(self.base_url)

    def hub_name(self) -> str:
        durable = (read_host_json(self.app_dir).get("extensions") or {}).get("durableTask") or {}
        return str(durable.get("hubName") or "TestHubName")

    def status(self, instance_id: str, **query) -> tuple[int, dict | None]:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        code, _, body = self.request("GET", f"/runtime/webhooks/durabletask/instances/{instance_id}"
                                     + (f"?{q}" if q else ""))
        return code, (json.loads(body) if body else None)

    def wait_for(self, instance_id: str, timeout: float = 60.0,
                 statuses=("Completed", "Failed", "Terminated")) -> dict:
        """Poll the status endpoint until the instance reaches one of `statuses`; return the status."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            code, last = self.status(instance_id)
            if code in (200, 202) and last and last.get("runtimeStatus") in statuses:
                return last
            time.sleep(0.05)
        raise DevHostError(f"instance {instance_id} did not reach {statuses} within {timeout} s; last: {last}")

    def __enter__(self) -> DevHost:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
