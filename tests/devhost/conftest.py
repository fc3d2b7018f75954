"""Fixtures for the devhost tests: the test app under testapp/ served by a devhost subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devhost.testing import DevHost
from tests.polling import wait_until  # noqa: F401  (the devhost tests import it from here)

TESTAPP = Path(__file__).resolve().parent / "testapp"


class Effects:
    """Reads the side-effect files the test app writes (one JSON line per real run)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def lines(self, kind: str) -> list[dict]:
        path = self.folder / f"{kind}.jsonl"
        if not path.exists():
            return []
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]

    def count(self, kind: str, **match) -> int:
        return sum(1 for item in self.lines(kind) if all(item.get(k) == v for k, v in match.items()))


@pytest.fixture(scope="module")
def effects_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("effects")


@pytest.fixture(scope="module")
def effects(effects_dir) -> Effects:
    return Effects(effects_dir)


@pytest.fixture(scope="module")
def host(azurite, effects_dir, tmp_path_factory):
    """One devhost running the test app for a whole test module."""
    data = tmp_path_factory.mktemp("devhost-data")
    # A low threshold sends longer replays to the orchestrator thread, so both paths run in these tests.
    with DevHost(TESTAPP, data, env={"AzureWebJobsStorage": azurite, "DEVHOST_OFFLOAD_REPLAY_EVENTS": "30",
                                     "TESTAPP_EFFECTS_DIR": str(effects_dir)}) as h:
        yield h


def start(host: DevHost, name: str, payload=None, instance_id: str | None = None) -> dict:
    """Start an orchestration through the app's own HTTP starter; return the 202 body."""
    path = f"/api/orchestrators/{name}" + (f"?instance_id={instance_id}" if instance_id else "")
    code, headers, body = host.request("POST", path, payload if payload is not None else b"")
    assert code == 202, (code, body)
    data = json.loads(body)
    assert headers["Location"] == data["statusQueryGetUri"]
    return data
