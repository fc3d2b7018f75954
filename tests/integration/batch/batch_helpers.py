"""Helpers of the batch tests on devhost: start the real app on devhost with the test stack (Azurite,
PostgreSQL, the tiny embedding model, offline providers), drop shot lists into batch-in, read
batch-out and the Durable instances."""

from __future__ import annotations

import json
import time
from pathlib import Path

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

from devhost.testing import DevHost

PROJECT_ROOT = Path(__file__).resolve().parents[3]

# The session's hosts leave the batch trigger off (tests/fixtures_app.py): they all poll the same
# batch-in. A batch test turns it on for its own host and stops that host when done, so exactly one
# host runs the files it drops.
BATCH_TRIGGER_ON = {"AzureWebJobs.batch_file_dropped.Disabled": "false"}


def host_env(stack_env: dict, model_dir: Path, **extra: str) -> dict:
    env = {
        **stack_env,
        "EMBEDDING_MODEL_DIR": str(model_dir),
        "EMBEDDING_PRECISION": "fp32",
        "PROMPT_PROVIDER": "local",
        "IMAGE_PROVIDER": "local",
        "DEVHOST_BLOB_POLL_SECONDS": "0.2",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_host(data_dir: Path, env: dict) -> DevHost:
    return DevHost(app_dir=PROJECT_ROOT, data_dir=data_dir, env=env, startup_timeout=120).start()


def shot(keywords: str, **fields) -> dict:
    return {"category": "국내명소", "stage": "콘티", "keywords": keywords, "aspect": "square", **fields}


def jsonl(rows: list) -> bytes:
    """Lines of a shot list; a str item is written as is (a deliberately broken line)."""
    out = []
    for row in rows:
        out.append(row if isinstance(row, str) else json.dumps(row, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode("utf-8")


class Blobs:
    def __init__(self, connection_string: str):
        self.service = BlobServiceClient.from_connection_string(connection_string)
        for name in ("batch-in", "batch-out", "outputs"):
            try:
                self.service.create_container(name)
            except ResourceExistsError:
                pass

    def drop(self, blob_name: str, data: bytes, metadata: dict | None = None) -> None:
        self.service.get_blob_client("batch-in", blob_name).upload_blob(data, overwrite=True, metadata=metadata)

    def names(self, container: str, prefix: str) -> list[str]:
        client = self.service.get_container_client(container)
        return sorted(b.name for b in client.list_blobs(name_starts_with=prefix))

    def read(self, container: str, name: str) -> bytes:
        return self.service.get_blob_client(container, name).download_blob().readall()

    def exists(self, container: str, name: str) -> bool:
        return self.service.get_blob_client(container, name).exists()

    def last_modified(self, container: str, name: str):
        return self.service.get_blob_client(container, name).get_blob_properties().last_modified

    def summary(self, name: str) -> dict | None:
        if not self.exists("batch-out", f"{name}/summary.json"):
            return None
        return json.loads(self.read("batch-out", f"{name}/summary.json"))

    def results(self, name: str) -> list[dict]:
        text = self.read("batch-out", f"{name}/results.jsonl").decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def batch_status(host: DevHost, name: str, headers: dict | None = None) -> tuple[int, dict]:
    code, _, body = host.request("GET", f"/api/batches/{name}", headers=headers)
    return code, json.loads(body) if body else {}


def wait_batch(host: DevHost, name: str, *, timeout: float = 300, until=None, headers: dict | None = None) -> dict:
    """Poll GET /api/batches/{name} (as the caller `headers` name; default the local user) until
    `until(body)` (default: finished); return the body."""
    until = until or (lambda body: body.get("finished"))
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        code, last = batch_status(host, name, headers)
        if code == 200 and until(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"batch {name} did not get there within {timeout} s; last: {last}\n"
                         f"{host.log_text()[-3000:]}")


def instances(host: DevHost) -> list[dict]:
    code, _, body = host.request("GET", "/runtime/webhooks/durabletask/instances?top=1000")
    assert code == 200, body
    return json.loads(body)


def trigger_runs(host: DevHost, blob_name: str) -> int:
    """How many times the batch blob trigger ran for batch-in/<blob_name> (devhost's invocation log)."""
    marker = f"blob=batch-in/{blob_name}"
    return sum(1 for line in host.log_text().splitlines()
               if "batch_file_dropped" in line and line.rstrip().endswith(marker))
