"""No cross-site calls to the Durable HTTP API (/runtime/webhooks/durabletask/...) and the client RPC
endpoint (/durabletask/...).

They take no key here (as under `func start`), so without this any web page open in the developer's
browser could terminate or purge instances: a form or a no-cors fetch POSTs cross-site without a CORS
preflight, and a DNS-rebound name reaches 127.0.0.1 as if same-site. Refused:
- a Host header that is not a loopback name (DNS rebinding);
- an Origin other than this host's own, and Sec-Fetch-Site cross-site or same-site (another port);
- a state-changing call (POST, PUT, PATCH, DELETE) whose content is not JSON, unless it presents the
  master key (`x-functions-key` or `?code=`, the key that opens the real host's system endpoints). A
  page cannot send a JSON content type cross-origin without a preflight, which devhost never grants.
  An empty body is no content when it is unlabelled or application/octet-stream (what aiohttp, and so
  the SDK's client, sends for "no input"); an empty form post (form-urlencoded, multipart, text/plain)
  is what a cross-site <form> sends, so it is refused.
"""

from __future__ import annotations

import hmac

from aiohttp import web

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
NO_CONTENT_TYPES = ("", "application/octet-stream")


def host_name(host: str) -> str:
    """'127.0.0.1:7071' -> '127.0.0.1', '[::1]:7071' -> '::1', 'Example.COM' -> 'example.com'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json_type(content_type: str) -> bool:
    media = media_type(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def carries_content(request: web.Request) -> bool:
    """A body, or a label a cross-site form would send (an empty form post still changes state)."""
    return request.body_exists or media_type(request.headers.get("Content-Type", "")) not in NO_CONTENT_TYPES


def presents_key(request: web.Request, master_key: str) -> bool:
    key = request.headers.get("x-functions-key") or request.query.get("code") or ""
    return bool(master_key) and hmac.compare_digest(key.encode(), master_key.encode())


def _json_error(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status)


def refusal(request: web.Request, master_key: str) -> web.Response | None:
    """The answer to a request that must not reach the Durable API, or None to let it through."""
    if host_name(request.headers.get("Host") or "127.0.0.1") not in LOOPBACK_NAMES:
        return _json_error("the Durable API answers only requests addressed to 127.0.0.1 or localhost", 403)
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != f"{request.scheme}://{request.host}".lower():
        return _json_error("cross-site requests to the Durable API are refused", 403)
    if request.headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site"):
        return _json_error("cross-site requests to the Durable API are refused", 403)
    if request.method in STATE_CHANGING and not presents_key(request, master_key):
        if carries_content(request) and not is_json_type(request.headers.get("Content-Type", "")):
            return _json_error("Only application/json request content is supported "
                               "(or present the master key in x-functions-key)", 415)
    return None
