"""Host configuration: host.json, local.settings.json `Values`, command line."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_DEV_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)

FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"


class ConfigError(Exception):
    """A setting file devhost cannot start with; the message names the file and the place."""


@dataclass
class HostConfig:
    app_dir: Path
    port: int
    data_dir: Path
    route_prefix: str = "api"
    hub_name: str = "TestHubName"
    max_activities: int = 10
    default_version: str = ""  # extensions.durableTask.defaultVersion: the version of new instances
    function_keys: set[str] = field(default_factory=set)
    master_key: str = ""
    generated_keys: bool = False
    blob_poll_seconds: float = 1.0
    blob_max_attempts: int = 5
    retry_after_seconds: int = 1

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prefixed(self, route: str) -> str:
        return "/" + "/".join(p for p in (self.route_prefix.strip("/"), route.strip("/")) if p)


def _strip_json_comments(text: str) -> str:
    # host.json may carry // comments; keep it simple: blank out whole-line comments (blank, not
    # dropped, so an error's line number is the file's own).
    return "\n".join("" if line.lstrip().startswith("//") else line for line in text.splitlines())


def read_json_file(path: Path) -> dict:
    """A settings file as a dict; ConfigError with the file, line and column when it is not valid JSON."""
    try:
        data = json.loads(_strip_json_comments(path.read_text(encoding="utf-8-sig")))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object at the top level (line 1, column 1)")
    return data


def read_host_json(app_dir: Path) -> dict:
    path = app_dir / "host.json"
    if not path.exists():
        return {}
    return read_json_file(path)


def apply_local_settings(app_dir: Path) -> None:
    """Copy local.settings.json `Values` into the environment; variables already set win."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return
    data = read_json_file(path)
    for key, value in (data.get("Values") or {}).items():
        if key not in os.environ and value is not None:
            os.environ[key] = str(value)


def local_http_port(app_dir: Path) -> int | None:
    """local.settings.json `Host.LocalHttpPort`, as `func start` reads it."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return None
    try:
        value = (json.loads(path.read_text(encoding="utf-8")).get("Host") or {}).get("LocalHttpPort")
        return int(value) if value else None
    except (ValueError, TypeError):
        return None


def connection_string(setting_name: str | None) -> str:
    """Resolve a binding's `connection` (a setting name) to a storage connection string."""
    name = setting_name or "AzureWebJobsStorage"
    value = os.environ.get(name) or os.environ.get(f"AzureWebJobs{name}") or ""
    if value.strip() == "UseDevelopmentStorage=true":
        return AZURITE_DEV_CONNECTION_STRING
    if not value:
        raise ValueError(f"setting {name!r} (a storage connection string) is not set")
    return value


def _positive_int(section: dict, key: str, default: int, path: Path) -> int:
    value = section.get(key) or default
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: extensions.durableTask.{key} must be a whole number, not {value!r}") from None


def load_config(app_dir: Path, port: int, data_dir: Path | None) -> HostConfig:
    app_dir = app_dir.resolve()
    apply_local_settings(app_dir)
    host = read_host_json(app_dir)
    ext = host.get("extensions") or {}
    http = ext.get("http") or {}
    durable = ext.get("durableTask") or {}
    cfg = HostConfig(
        app_dir=app_dir,
        port=port,
        data_dir=(data_dir or app_dir / ".data" / "devhost").resolve(),
        route_prefix=str(http.get("routePrefix", "api")).strip("/"),
        hub_name=str(durable.get("hubName") or "TestHubName"),
        max_activities=_positive_int(durable, "maxConcurrentActivityFunctions", 10, app_dir / "host.json"),
        default_version=str(durable.get("defaultVersion") or ""),
    )
    fkey = os.environ.get(FUNCTION_KEY_SETTING, "").strip()
    mkey = os.environ.get(MASTER_KEY_SETTING, "").strip()
    if not fkey or not mkey:
        cfg.generated_keys = True
    cfg.function_keys = {fkey or secrets.token_urlsafe(24)}
    cfg.master_key = mkey or secrets.token_urlsafe(32)
    if os.environ.get("DEVHOST_BLOB_POLL_SECONDS"):
        cfg.blob_poll_seconds = float(os.environ["DEVHOST_BLOB_POLL_SECONDS"])
    return cfg
