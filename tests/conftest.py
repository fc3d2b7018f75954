"""Session fixtures for the real local stack: Azurite and embedded PostgreSQL on free loopback ports,
in a temporary folder, started once per test session and stopped at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import devstack
from shared.core import config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "artifacts"


@pytest.fixture(scope="session")
def stack_dir():
    path = Path(tempfile.mkdtemp(prefix="webtoon-test-stack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def azurite(stack_dir):
    """Connection string of a private Azurite for this test session."""
    ports = (devstack.free_port(), devstack.free_port(), devstack.free_port())
    proc = devstack.start_azurite(stack_dir / "azurite", ports)
    conn = config.azurite_connection_string(*ports)
    yield conn
    proc.terminate()
    try:
        proc.wait(10)
    except Exception:
        proc.kill()


@pytest.fixture(scope="session")
def postgres_url(stack_dir):
    """URI of a private embedded PostgreSQL (with pgvector), migrations applied."""
    from shared.db.schema import migrate

    pgdata = stack_dir / "postgres"
    server, uri = devstack.start_postgres(pgdata, cleanup_mode=None)
    migrate(uri)
    yield uri
    devstack.stop_postgres(pgdata)


@pytest.fixture(scope="session")
def stack_env(azurite, postgres_url):
    """Environment values that point the app at the test stack."""
    return {"AzureWebJobsStorage": azurite, "POSTGRES_URL": postgres_url}


@pytest.fixture
def app_env(stack_env, monkeypatch):
    """Point this test's process settings at the test stack (and forget cached settings/pools)."""
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    config.reset_settings()
    yield stack_env
    config.reset_settings()
    from shared.db import pool as db

    db.close_pool()


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_configure(config):
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")


from tests.fixtures_app import (  # noqa: E402,F401  (the real app on devhost, for integration and e2e tests)
    app_host,
    app_host_env,
    azure_host,
    fake_openai,
    sample_references,
    start_app_host,
)
from tests.fixtures_model import (  # noqa: E402,F401  (shared fixtures)
    embedding_env,
    tiny_model,
    tiny_model_dir,
)
