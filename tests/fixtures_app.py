"""Session fixtures that run the REAL app (project root as app dir) on devhost over HTTP, against the
session's Azurite and embedded PostgreSQL, with the tiny exported KoCLIP model and the sample
references loaded. Imported by tests/conftest.py.

- `app_host`: offline providers (the README's defaults), REVIEW_TIMEOUT_SECONDS=20, use_draft.
- `fake_openai`: tests/fakes/openai_server.py on 127.0.0.1 (scriptable 429 / 500 / content filter).
- `azure_host`: a second devhost whose prompt writer and image generator are the Azure OpenAI
  providers pointed at `fake_openai`.
- `start_app_host(**env)`: a further devhost with other settings (stopped at the end of the session).

Each yields an AppHost: base_url, env (what the host process got) and the devhost handle (logs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

REVIEW_TIMEOUT_SECONDS = 20


@dataclass
class AppHost:
    base_url: str
    env: dict
    devhost: object  # devhost.testing.DevHost

    def log_text(self) -> str:
        return self.devhost.log_text()


@pytest.fixture(scope="session")
def sample_references(stack_env, tiny_model_dir, tmp_path_factory) -> int:
    """The sample reference set (scripts/sample_references.py, drawn by code) loaded into the
    session's stack by the real loader: images in Azurite, rows with embeddings of the tiny model in
    PostgreSQL. Returns how many references are stored."""
    import os

    from scripts import sample_references as samples
    from shared.core import config
    from shared.db import pool as db
    from shared.references import count, embedding, ingest
    from shared.storage import blobs as storage

    saved = {k: os.environ.get(k) for k in (*stack_env, "EMBEDDING_MODEL_DIR", "EMBEDDING_PRECISION")}
    os.environ.update({**stack_env, "EMBEDDING_MODEL_DIR": str(tiny_model_dir), "EMBEDDING_PRECISION": "fp32"})
    for reset in (config.reset_settings, storage.reset, embedding.reset, db.close_pool):
        reset()
    try:
        metadata = samples.generate(tmp_path_factory.mktemp("sample-references"), log=lambda *_: None)
        report = ingest.ingest(metadata.parent, metadata, progress=False, out=lambda *_: None)
        assert not report.errors, report.errors
        return count()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for reset in (config.reset_settings, storage.reset, embedding.reset, db.close_pool):
            reset()


@pytest.fixture(scope="session")
def app_host_env(stack_env, tiny_model_dir) -> dict:
    """Settings of the offline app host: every one that matters is explicit, so a developer's
    local.settings.json cannot change what the tests run."""
    return {
        **stack_env,
        "EMBEDDING_MODEL_DIR": str(tiny_model_dir),
        "EMBEDDING_PRECISION": "fp32",
        "PROMPT_PROVIDER": "local",
        "IMAGE_PROVIDER": "local",
        "REVIEW_TIMEOUT_SECONDS": str(REVIEW_TIMEOUT_SECONDS),
        "REVIEW_TIMEOUT_OUTCOME": "use_draft",
        "LOCAL_USER_ID": "local-user",
        # Cost limits far above what the suite starts (the quota tests start hosts of their own).
        "GENERATIONS_PER_HOUR": "100000",
        "IMAGES_PER_DAY": "1000000",
        "IMAGE_MODEL_CONCURRENCY": "1000",
        "SPEECH_REGION": "",
        "SPEECH_KEY": "",
        "SPEECH_RESOURCE_ID": "",
        "DEVHOST_BLOB_POLL_SECONDS": "0.5",
        # Every host polls the session's one batch-in container: only the batch tests' own hosts run
        # the batch trigger (they pass "false"), so no other host races them for the same files.
        "AzureWebJobs.batch_file_dropped.Disabled": "true",
    }


@pytest.fixture(scope="session")
def start_app_host(tmp_path_factory, app_host_env, sample_references) -> Callable[..., AppHost]:
    """Start a devhost on the real app with app_host_env plus `overrides`; all stop at session end."""
    from devhost.testing import DevHost
    from shared.core.config import PROJECT_ROOT

    started: list[DevHost] = []

    def start(**overrides: str) -> AppHost:
        env = {**app_host_env, **{k: str(v) for k, v in overrides.items()}}
        host = DevHost(app_dir=PROJECT_ROOT, data_dir=tmp_path_factory.mktemp("devhost"), env=env,
                       startup_timeout=120)
        host.start()
        started.append(host)
        return AppHost(base_url=host.base_url, env=env, devhost=host)

    yield start
    for host in reversed(started):
        host.stop()


@pytest.fixture(scope="session")
def app_host(start_app_host) -> AppHost:
    """The real app on devhost with the offline providers."""
    return start_app_host()


@pytest.fixture(scope="session")
def fake_openai():
    """Our local server speaking the Azure OpenAI API; tests script its failures."""
    from tests.fakes.openai_server import FakeOpenAIServer

    server = FakeOpenAIServer().start()
    yield server
    server.stop()


def azure_openai_env(fake) -> dict:
    """Settings that point both providers at the fake Azure OpenAI endpoint."""
    return {
        "PROMPT_PROVIDER": "azure_openai",
        "IMAGE_PROVIDER": "azure_openai",
        "AZURE_OPENAI_ENDPOINT": fake.azure_endpoint,
        "AZURE_OPENAI_API_KEY": fake.api_key,
        "AZURE_OPENAI_CHAT_DEPLOYMENT": "gpt-4.1",
        "AZURE_OPENAI_IMAGE_DEPLOYMENT": "gpt-image-1",
        "IMAGE_MODEL_FAMILY": "gpt-image",
        "PROVIDER_MAX_RETRIES": "3",
        "PROVIDER_TIMEOUT_SECONDS": "20",
    }


@pytest.fixture(scope="session")
def azure_host(start_app_host, fake_openai) -> AppHost:
    """The real app on devhost with the Azure OpenAI providers pointed at `fake_openai`."""
    return start_app_host(**azure_openai_env(fake_openai))
