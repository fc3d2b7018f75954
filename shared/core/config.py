"""Configuration in one place, read from the environment (local.settings.json `Values` locally,
app settings in Azure). One Settings instance per process: `get_settings()`.

Names here are the contract with infra/bicep (the template must provide each one it needs and the
tests check both directions), so add a setting here and in the template together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be a number, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = _env(name, default) or default
    if raw not in allowed:
        raise ValueError(f"setting {name} must be one of {allowed}, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    # Storage: a connection string (Azurite locally) or, keyless, the account's blob endpoint with a
    # managed identity (AzureWebJobsStorage__blobServiceUri + __credential=managedidentity + __clientId).
    storage_connection_string: str = ""
    storage_blob_service_uri: str = ""
    storage_queue_service_uri: str = ""
    azure_client_id: str = ""  # user-assigned managed identity (DefaultAzureCredential reads it too)
    sas_ttl_minutes: int = 15
    upload_retention_days: int = 1

    # PostgreSQL: a full URL/conninfo (local embedded server), or host/db/user with an Entra token.
    postgres_url: str = ""
    postgres_host: str = ""
    postgres_database: str = "webtoon"
    postgres_user: str = ""
    postgres_pool_max: int = 4

    # Embeddings (KoCLIP towers exported to ONNX).
    embedding_model_dir: str = ""
    embedding_precision: str = "int8"
    embedding_threads: int = 0  # 0: let onnxruntime decide

    # Providers: which implementation serves each capability. Business code never branches on these.
    prompt_provider: str = "local"
    image_provider: str = "local"

    azure_openai_endpoint: str = ""
    azure_openai_api_version: str = "2025-04-01-preview"
    azure_openai_api_key: str = ""  # only for local API stand-ins; Azure uses the managed identity
    azure_openai_chat_deployment: str = "gpt-4.1"
    azure_openai_image_deployment: str = "gpt-image-1"
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_chat_model: str = "gpt-4.1"
    openai_image_model: str = "gpt-image-1"
    image_model_family: str = "gpt-image"  # "gpt-image-2", or "dall-e-3" (catalog.IMAGE_MODEL_FAMILIES)
    image_quality: str = "medium"
    image_reference_count: int = 3  # reference images an image model gets beside the photo (edits)
    provider_max_retries: int = 4
    provider_timeout_seconds: float = 120.0

    # Speech: Entra (resource id) in Azure, a key only for local stand-ins.
    speech_region: str = ""
    speech_resource_id: str = ""
    speech_endpoint: str = ""
    speech_key: str = ""

    # Generation behaviour.
    review_timeout_seconds: int = 900
    review_timeout_outcome: str = "use_draft"  # or "cancel"
    upload_max_bytes: int = 10 * 1024 * 1024
    local_user_id: str = "local-user"
    # Set by the platform on App Service / Functions in Azure: there, a call without a signed-in user is
    # refused instead of becoming the local user (a second guard behind the template's sign-in).
    on_azure: bool = False
    # Cost limits (0: none). Per user: generations started per rolling hour, images per rolling day;
    # for everyone: generations at once on a paid image model (a stuck one frees its place after
    # image_model_lease_seconds).
    generations_per_hour: int = 20
    images_per_day: int = 60
    image_model_concurrency: int = 8
    image_model_lease_seconds: int = 1800
    # Who writes the layered PSD: ImageMagick through Wand, psd-tools (pure Python: where the C library
    # cannot be installed, as on Flex Consumption), or auto: Wand when libMagickWand loads.
    psd_writer: str = "auto"

    # Batch.
    batch_max_concurrency: int = 4
    batch_max_bytes: int = 5 * 1024 * 1024
    batch_max_lines: int = 1000
    # Owner of a dropped shot list whose blob metadata names no uploader (empty: the local user).
    batch_owner: str = ""

    extra: dict = field(default_factory=dict, compare=False)

    @property
    def uses_managed_identity(self) -> bool:
        return not self.storage_connection_string and bool(self.storage_blob_service_uri)

    @classmethod
    def from_env(cls) -> Settings:
        storage = _env("AzureWebJobsStorage")
        if storage == "UseDevelopmentStorage=true":
            storage = AZURITE_CONNECTION_STRING
        account = _env("AzureWebJobsStorage__accountName")
        blob_uri = _env("AzureWebJobsStorage__blobServiceUri") or (
            f"https://{account}.blob.core.windows.net" if account else "")
        queue_uri = _env("AzureWebJobsStorage__queueServiceUri") or (
            f"https://{account}.queue.core.windows.net" if account else "")
        model_dir = _env("EMBEDDING_MODEL_DIR") or str(PROJECT_ROOT / ".data" / "models" / "koclip-tiny")
        return cls(
            storage_connection_string=storage,
            storage_blob_service_uri=blob_uri,
            storage_queue_service_uri=queue_uri,
            azure_client_id=_env("AZURE_CLIENT_ID") or _env("AzureWebJobsStorage__clientId"),
            sas_ttl_minutes=min(_int("SAS_TTL_MINUTES", 15), 15),
            upload_retention_days=_int("UPLOAD_RETENTION_DAYS", 1),
            postgres_url=_env("POSTGRES_URL"),
            postgres_host=_env("POSTGRES_HOST"),
            postgres_database=_env("POSTGRES_DATABASE", "webtoon"),
            postgres_user=_env("POSTGRES_USER"),
            postgres_pool_max=_int("POSTGRES_POOL_MAX", 4),
            embedding_model_dir=model_dir,
            embedding_precision=_choice("EMBEDDING_PRECISION", "int8", ("int8", "fp32")),
            embedding_threads=_int("EMBEDDING_THREADS", 0),
            prompt_provider=_choice("PROMPT_PROVIDER", "local", ("local", "azure_openai", "openai")),
            image_provider=_choice("IMAGE_PROVIDER", "local", ("local", "azure_openai", "openai")),
            azure_openai_endpoint=_env("AZURE_OPENAI_ENDPOINT"),
            azure_openai_api_version=_env("AZURE_OPENAI_API_VERSION", "2025-04-01-preview"),
            azure_openai_api_key=_env("AZURE_OPENAI_API_KEY"),
            azure_openai_chat_deployment=_env("AZURE_OPENAI_CHAT_DEPLOYMENT", "gpt-4.1"),
            azure_openai_image_deployment=_env("AZURE_OPENAI_IMAGE_DEPLOYMENT", "gpt-image-1"),
            openai_api_key=_env("OPENAI_API_KEY"),
            openai_base_url=_env("OPENAI_BASE_URL"),
            openai_chat_model=_env("OPENAI_CHAT_MODEL", "gpt-4.1"),
            openai_image_model=_env("OPENAI_IMAGE_MODEL", "gpt-image-1"),
            image_model_family=_choice("IMAGE_MODEL_FAMILY", "gpt-image", ("gpt-image", "gpt-image-2", "dall-e-3")),
            image_quality=_env("IMAGE_QUALITY", "medium"),
            image_reference_count=max(0, _int("IMAGE_REFERENCE_COUNT", 3)),
            provider_max_retries=_int("PROVIDER_MAX_RETRIES", 4),
            provider_timeout_seconds=_float("PROVIDER_TIMEOUT_SECONDS", 120.0),
            speech_region=_env("SPEECH_REGION"),
            speech_resource_id=_env("SPEECH_RESOURCE_ID"),
            speech_endpoint=_env("SPEECH_ENDPOINT"),
            speech_key=_env("SPEECH_KEY"),
            review_timeout_seconds=_int("REVIEW_TIMEOUT_SECONDS", 900),
            review_timeout_outcome=_choice("REVIEW_TIMEOUT_OUTCOME", "use_draft", ("use_draft", "cancel")),
            upload_max_bytes=_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
            local_user_id=_env("LOCAL_USER_ID", "local-user"),
            on_azure=bool(_env("WEBSITE_SITE_NAME")),
            generations_per_hour=max(0, _int("GENERATIONS_PER_HOUR", 20)),
            images_per_day=max(0, _int("IMAGES_PER_DAY", 60)),
            image_model_concurrency=max(0, _int("IMAGE_MODEL_CONCURRENCY", 8)),
            image_model_lease_seconds=max(60, _int("IMAGE_MODEL_LEASE_SECONDS", 1800)),
            psd_writer=_choice("PSD_WRITER", "auto", ("auto", "wand", "psd-tools")),
            batch_max_concurrency=max(1, _int("BATCH_MAX_CONCURRENCY", 4)),
            batch_max_bytes=_int("BATCH_MAX_BYTES", 5 * 1024 * 1024),
            batch_max_lines=_int("BATCH_MAX_LINES", 1000),
            batch_owner=_env("BATCH_OWNER"),
        )


# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT_NAME = "devstoreaccount1"
AZURITE_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azurite_connection_string(blob_port: int, queue_port: int, table_port: int) -> str:
    account = AZURITE_ACCOUNT_NAME
    return (
        f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={AZURITE_ACCOUNT_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{blob_port}/{account};"
        f"QueueEndpoint=http://127.0.0.1:{queue_port}/{account};"
        f"TableEndpoint=http://127.0.0.1:{table_port}/{account};"
    )


AZURITE_CONNECTION_STRING = azurite_connection_string(10000, 10001, 10002)  # Azurite's default ports


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_settings.cache_clear()


SETTING_NAMES = tuple(f.name for f in fields(Settings))
