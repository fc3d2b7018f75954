"""The devhost process: aiohttp server on 127.0.0.1 with HTTP triggers, static site, Durable HTTP API
and client RPC endpoint; the Durable engine; blob and timer trigger loops."""

from __future__ import annotations

import argparse
import asyncio
import functools
import hmac
import logging
import mimetypes
import os
import signal
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import azure.functions as func
from aiohttp import web

from devhost.config import ConfigError, HostConfig, load_config, local_http_port
from devhost.durable.engine import Engine
from devhost.guard import refusal
from devhost.http_api import RPC_BASE, WEBHOOK_BASE, DurableApi
from devhost.invocation import Context, log_invocation
from devhost.loader import AppNotFound, FunctionInfo, app_file, load_functions
from devhost.routing import RouteTemplate
from devhost.store import Store
from devhost.triggers import start_trigger_loops

log = logging.getLogger("devhost")

STATIC_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".json": "application/json", ".map": "application/json",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".webp": "image/webp", ".gif": "image/gif", ".ico": "image/x-icon", ".txt": "text/plain",
    ".webmanifest": "application/manifest+json", ".woff": "font/woff", ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}

ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")


class HttpRoute:
    def __init__(self, info: FunctionInfo):
        self.info = info
        route = info.trigger.get("route")
        self.template = RouteTemplate(route if route is not None else info.name)
        methods = info.trigger.get("methods")
        self.methods = tuple(m.upper() for m in methods) if methods else ALL_METHODS
        self.auth_level = str(info.trigger.get("authLevel") or "function").lower()


class Host:
    def __init__(self, cfg: HostConfig):
        self.cfg = cfg
        self.functions = [f for f in load_functions(cfg.app_dir) if not is_disabled(f.name)]
        self.store = Store(cfg.data_dir / "devhost.sqlite3")
        self.engine = Engine(self.store, self.functions, cfg.app_dir, cfg.max_activities, cfg.default_version)
        self.durable = DurableApi(self.engine, cfg.hub_name, self._origin)
        self.routes = sorted((HttpRoute(f) for f in self.functions if f.trigger_type == "httpTrigger"),
                             key=lambda r: r.template.sort_key())
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="function")
        self.static_dir = (cfg.app_dir / "static-site").resolve()
        self._background: list[asyncio.Task] = []
        self.runner: web.AppRunner | None = None

    def _origin(self, request: web.Request | None) -> str:
        if request is not None and request.host:
            return f"{request.scheme}://{request.host}"
        return self.cfg.origin

    # -- invocation ----------------------------------------------------------------------------
    async def invoke(self, info: FunctionInfo, kwargs: dict, kind: str, detail: str = ""):
        invocation_id = str(uuid.uuid4())
        if "context" in info.params and "context" not in kwargs:
            kwargs["context"] = Context(info.name, str(self.cfg.app_dir), invocation_id)
        if info.client_param:
            kwargs[info.client_param] = self.durable.binding_json(self.cfg.origin)
        t0 = time.perf_counter()
        status = "Succeeded"
        try:
            if info.is_async:
                return await info.fn(**kwargs)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, functools.partial(info.fn, **kwargs))
        except BaseException:
            status = "Failed"
            raise
        finally:
            log_invocation(kind, info.name, invocation_id, status, (time.perf_counter() - t0) * 1000, detail)

    # -- HTTP ----------------------------------------------------------------------------------
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        webhook = path == WEBHOOK_BASE or path.startswith(WEBHOOK_BASE + "/")
        if webhook or path.startswith(RPC_BASE + "/"):
            refused = refusal(request, self.cfg.master_key)
            if refused is not None:
                return refused
            base = WEBHOOK_BASE if webhook else RPC_BASE
            return await self.durable.handle(request, path[len(base):], rpc=not webhook)
        prefix = "/" + self.cfg.route_prefix if self.cfg.route_prefix else ""
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            return await self.http_trigger(request, path[len(prefix):])
        if not prefix:
            response = await self.http_trigger(request, path, fallthrough=True)
            if response is not None:
                return response
        return self.static(request)

    def _authorized(self, route: HttpRoute, request: web.Request) -> bool:
        if route.auth_level == "anonymous":
            return True
        key = request.headers.get("x-functions-key") or request.query.get("code") or ""
        allowed = [self.cfg.master_key] if route.auth_level == "admin" else [self.cfg.master_key,
                                                                             *self.cfg.function_keys]
        return any(k and hmac.compare_digest(key.encode(), k.encode()) for k in allowed)

    async def http_trigger(self, request: web.Request, sub: str, fallthrough: bool = False):
        matched_path = False
        for route in self.routes:
            params = route.template.match(sub)
            if params is None:
                continue
            matched_path = True
            if request.method not in route.methods:
                continue
            if not self._authorized(route, request):
                return web.json_response({"error": "Unauthorized"}, status=401)
            return await self.call_http(route, request, params)
        if matched_path:
            allow = sorted({m for r in self.routes if r.template.match(sub) is not None for m in r.methods})
            return web.Response(status=405, headers={"Allow": ", ".join(allow)})
        if fallthrough:
            return None
        return web.Response(status=404)

    async def call_http(self, route: HttpRoute, request: web.Request, params: dict) -> web.StreamResponse:
        body = await request.read()
        req = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers={k: v for k, v in request.headers.items()},
            params={k: v for k, v in request.query.items()},
            route_params=params,
            body=body,
        )
        info = route.info
        try:
            result = await self.invoke(info, {info.trigger_param: req}, "http", f"{request.method} {request.path}")
        except Exception:
            log.exception("devhost: function %s raised", info.name)
            return web.Response(status=500)
        return to_aiohttp(result)

    def static(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=404 if request.method != "POST" else 405)
        if not self.static_dir.is_dir():
            return web.Response(status=404)
        rel = request.path.lstrip("/")
        if "\x00" in rel:
            return web.Response(status=400)
        target = (self.static_dir / rel).resolve()
        try:
            target.relative_to(self.static_dir)
        except ValueError:
            return web.Response(status=404)
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return web.Response(status=404)
        if target.name == "staticwebapp.config.json":  # Static Web Apps' own config is not served
            return web.Response(status=404)
        ctype = STATIC_TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0]
        ctype = ctype or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/json", "image/svg+xml", "application/manifest+json"):
            ctype += "; charset=utf-8"
        headers = {"Content-Type": ctype, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
        return web.Response(body=target.read_bytes(), headers=headers)

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.engine.start()
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.cfg.port)
        await site.start()
        self._background = start_trigger_loops(self)

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
        await self.engine.stop()
        # The SDK's shared aiohttp session, when the app's durable client used one in this process. Looked
        # up, not imported: importing azure.durable_functions reads ./host.json, which main() checks first.
        http_utils = sys.modules.get("azure.durable_functions.models.utils.http_utils")
        if http_utils is not None:
            try:
                await http_utils._close_session()
            except Exception:
                log.debug("devhost: closing the durable client's session failed", exc_info=True)
        if self.runner:
            await self.runner.cleanup()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    def banner(self) -> str:
        lines = [f"devhost: app {self.cfg.app_dir} on {self.cfg.origin} (data {self.cfg.data_dir})"]
        for f in self.functions:
            if f.trigger_type == "httpTrigger":
                route = next(r for r in self.routes if r.info is f)
                lines.append(f"  {f.name}: [{','.join(route.methods)}] {self.cfg.origin}"
                             f"{self.cfg.prefixed(route.template.template)} ({route.auth_level})")
            else:
                lines.append(f"  {f.name}: {f.trigger_type}")
        if self.cfg.generated_keys:
            lines.append(f"  function key: {next(iter(self.cfg.function_keys))}")
            lines.append(f"  master key:   {self.cfg.master_key}")
        return "\n".join(lines)


def is_disabled(function_name: str) -> bool:
    """The host's switch: app setting `AzureWebJobs.<name>.Disabled` = true (also with `_` for `.`)."""
    for key in (f"AzureWebJobs.{function_name}.Disabled", f"AzureWebJobs_{function_name}_Disabled"):
        if os.environ.get(key, "").strip().lower() in ("true", "1"):
            return True
    return False


def to_aiohttp(result) -> web.StreamResponse:
    if result is None:
        return web.Response(status=204)
    if isinstance(result, func.HttpResponse):
        headers = {k: v for k, v in result.headers.items()}
        if not any(k.lower() == "content-type" for k in headers):
            mimetype = result.mimetype or "text/plain"
            charset = result.charset or "utf-8"
            headers["Content-Type"] = f"{mimetype}; charset={charset}" if mimetype.startswith(("text/", "application/json")) else mimetype
        return web.Response(status=result.status_code, body=result.get_body(), headers=headers)
    if isinstance(result, (bytes, bytearray)):
        return web.Response(body=bytes(result), content_type="application/octet-stream")
    if isinstance(result, str):
        return web.Response(text=result, content_type="text/plain")
    return web.Response(status=500, text="function returned an unsupported value")


async def serve(cfg: HostConfig) -> None:
    host = Host(cfg)
    await host.start()
    print(host.banner(), flush=True)
    print(f"devhost: ready on {cfg.origin}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def flusher():
        while True:
            await asyncio.sleep(0.2)
            sys.stdout.flush()

    flush_task = loop.create_task(flusher())
    await stop.wait()
    flush_task.cancel()
    await host.stop()
    print("devhost: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__)
    parser.add_argument("--app-dir", default=".", help="folder holding function_app.py and host.json")
    parser.add_argument("--port", type=int, default=None,
                        help="default: local.settings.json Host.LocalHttpPort, else 7071")
    parser.add_argument("--data-dir", default=None, help="state folder (default <app-dir>/.data/devhost)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    app_dir = Path(args.app_dir)
    try:
        app_file(app_dir)  # before anything else: never serve some other folder's app under this banner
        port = args.port or local_http_port(app_dir) or 7071
        cfg = load_config(app_dir, port, Path(args.data_dir) if args.data_dir else None)
    except (AppNotFound, ConfigError) as exc:
        print(f"devhost: cannot start: {exc}", file=sys.stderr, flush=True)
        return 2
    asyncio.run(serve(cfg))
    return 0
