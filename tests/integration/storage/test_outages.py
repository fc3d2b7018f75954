"""Storage and database outages: the app answers a Korean 503 within seconds instead of hanging (86 s
then 500 before) — against a real Azurite that is killed, and a real PostgreSQL that is stopped."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

import devstack
from shared.core import config
from shared.core.errors import ServiceUnavailable
from shared.db import pool as db
from shared.storage import blobs as storage
from tests.app_functions import user_function
from tests.sample_images import halves, png_bytes

pytestmark = pytest.mark.slow


@pytest.fixture
def dead_storage(tmp_path, monkeypatch):
    """A private Azurite that answered once (containers made), then was killed with SIGKILL."""
    ports = (devstack.free_port(), devstack.free_port(), devstack.free_port())
    proc = devstack.start_azurite(tmp_path / "azurite", ports)
    monkeypatch.setenv("AzureWebJobsStorage", config.azurite_connection_string(*ports))
    config.reset_settings()
    storage.reset()
    storage.ensure_containers()
    proc.kill()
    proc.wait(10)
    yield
    storage.reset()
    config.reset_settings()


@pytest.fixture
def dead_database(tmp_path, monkeypatch):
    """A private embedded PostgreSQL that served one query, then was stopped."""
    from shared.db.schema import migrate

    pgdata = tmp_path / "postgres"
    _, uri = devstack.start_postgres(pgdata, cleanup_mode=None)
    migrate(uri)
    monkeypatch.setenv("POSTGRES_URL", uri)
    config.reset_settings()
    db.close_pool()
    with db.connection() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    devstack.stop_postgres(pgdata)
    yield
    db.close_pool()
    config.reset_settings()


def test_blob_calls_during_a_storage_outage_raise_service_unavailable(dead_storage):
    for call in (lambda: storage.upload(storage.OUTPUTS, "x.png", b"x", "image/png"),
                 lambda: storage.download(storage.OUTPUTS, "x.png"),
                 lambda: storage.exists(storage.OUTPUTS, "x.png"),
                 lambda: storage.starts_with(storage.OUTPUTS, "x.png", b"\x89PNG")):  # down is not "missing"
        with pytest.raises(ServiceUnavailable) as caught:
            call()
        assert caught.value.status == 503 and "저장소" in caught.value.message


def test_upload_route_answers_korean_503_when_storage_is_down(dead_storage):
    body = png_bytes(halves(64, 48))
    req = func.HttpRequest("POST", "http://localhost/api/uploads", body=body,
                           headers={"Content-Type": "image/png", "Content-Length": str(len(body))})
    response = user_function("upload_image")(req)
    assert response.status_code == 503
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "service_unavailable" and "저장소" in error["message"]


def test_history_route_answers_korean_503_when_the_database_is_down(dead_database):
    req = func.HttpRequest("GET", "http://localhost/api/generations", body=b"", params={})
    response = user_function("list_generations")(req)
    assert response.status_code == 503
    assert "데이터베이스" in json.loads(response.get_body())["error"]["message"]


def test_a_missing_blob_is_still_not_found_not_an_outage(app_env):
    from azure.core.exceptions import ResourceNotFoundError

    storage.reset()
    with pytest.raises(ResourceNotFoundError):
        storage.download(storage.OUTPUTS, "no-such-instance/1.png")
