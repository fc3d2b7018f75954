"""The Durable Functions HTTP API (/runtime/webhooks/durabletask/...) and the client RPC endpoint
(/durabletask/..., the binding's rpcBaseUrl), both served by the same aiohttp app."""

from __future__ import annotations

import json
from urllib.parse import quote

from aiohttp import web

from devhost.durable.engine import Engine
from devhost.durable.protocol import TERMINAL, iso, parse_time
from devhost.durable.status import public_history, status_json

WEBHOOK_BASE = "/runtime/webhooks/durabletask"
RPC_BASE = "/durabletask"
RUNNING_LIKE = ("Pending", "Running", "Suspended", "ContinuedAsNew")


def _json(body, status=200, headers=None) -> web.Response:
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                        content_type="application/json", headers=headers)


def _flag(request: web.Request, name: str, default: bool = False) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("true", "1", "yes")


class DurableApi:
    def __init__(self, engine: Engine, hub_name: str, origin_fn):
        self.engine = engine
        self.hub = hub_name
        self.origin_fn = origin_fn  # request -> "http://host:port"

    # -- URLs ----------------------------------------------------------------------------------
    def _suffix(self) -> str:
        return f"taskHub={quote(self.hub)}&connection=Storage"

    def management_urls(self, origin: str, instance_id: str) -> dict:
        base = f"{origin}{WEBHOOK_BASE}/instances/{quote(instance_id, safe='')}"
        q = self._suffix()
        return {
            "id": instance_id,
            "statusQueryGetUri": f"{base}?{q}",
            "sendEventPostUri": f"{base}/raiseEvent/{{eventName}}?{q}",
            "terminatePostUri": f"{base}/terminate?reason={{text}}&{q}",
            "rewindPostUri": f"{base}/rewind?reason={{text}}&{q}",
            "purgeHistoryDeleteUri": f"{base}?{q}",
            "restartPostUri": f"{base}/restart?{q}",
            "suspendPostUri": f"{base}/suspend?reason={{text}}&{q}",
            "resumePostUri": f"{base}/resume?reason={{text}}&{q}",
        }

    def binding_json(self, origin: str) -> str:
        """The durableClient binding value the Python DurableOrchestrationClient is built from."""
        urls = self.management_urls(origin, "INSTANCEID")
        q = self._suffix()
        return json.dumps({
            "taskHubName": self.hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{origin}{WEBHOOK_BASE}/orchestrators/{{functionName}}[/{{instanceId}}]?{q}",
                "createAndWaitOnNewInstancePostUri":
                    f"{origin}{WEBHOOK_BASE}/orchestrators/{{functionName}}[/{{instanceId}}]?timeout={{timeoutInSeconds}}"
                    f"&pollingInterval={{intervalInSeconds}}&{q}",
            },
            "managementUrls": urls,
            "baseUrl": f"{origin}{WEBHOOK_BASE}",
            "requiredQueryStringParameters": q,
            "rpcBaseUrl": f"{origin}{RPC_BASE}/",
            "httpBaseUrl": "",
            "maxGrpcMessageSizeInBytes": 0,
            "grpcHttpClientTimeout": "00:01:40",
        })

    # -- dispatch ------------------------------------------------------------------------------
    async def handle(self, request: web.Request, sub: str, rpc: bool) -> web.Response:
        parts = [p for p in sub.split("/") if p != ""]
        method = request.method
        if parts and parts[0] == "orchestrators" and len(parts) in (2, 3) and method == "POST":
            return await self.start(request, parts[1], parts[2] if len(parts) == 3 else None, rpc)
        if parts and parts[0] == "instances":
            if len(parts) == 1:
                if method == "GET":
                    return self.list_instances(request)
                if method == "DELETE":
                    return self.purge_by_filter(request)
                return _json({"error": "method not allowed"}, 405)
            iid = parts[1]
            if len(parts) == 2:
                if method == "GET":
                    return self.status(request, iid)
                if method == "DELETE":
                    n = self.engine.purge([iid]) if self.engine.store.instance(iid) is not None else 0
                    return _json({"instancesDeleted": n}, 200 if n else 404)
                return _json({"error": "method not allowed"}, 405)
            op = parts[2].lower()
            if method != "POST":
                return _json({"error": "method not allowed"}, 405)
            if op == "raiseevent" and len(parts) == 4:
                return await self.raise_event(request, iid, parts[3], rpc)
            if op == "terminate":
                return self._answer(self.engine.terminate(iid, request.query.get("reason")), iid)
            if op == "suspend":
                return self._answer(self.engine.set_suspended(iid, True, request.query.get("reason")), iid)
            if op == "resume":
                return self._answer(self.engine.set_suspended(iid, False, request.query.get("reason")), iid)
            if op == "restart":
                return self.restart(request, iid, rpc)
            if op == "rewind":
                return _json({"error": "rewind is not supported by devhost"}, 501)
        return _json({"error": f"unknown durable task API path: {sub}"}, 404)

    def _answer(self, outcome: str, iid: str) -> web.Response:
        if outcome == "missing":
            return _json({"error": f"No instance with ID '{iid}' found."}, 404)
        if outcome == "gone":
            return _json({"error": f"Instance '{iid}' is already completed, failed or terminated."}, 410)
        return _json({"accepted": True}, 202)

    async def _body_json_text(self, request: web.Request, rpc: bool) -> tuple[bool, str | None]:
        """The input as JSON text. The Python client posts the input JSON encoded once more as a JSON
        string (rpc); the public API takes the JSON itself. Returns (ok, text)."""
        raw = await request.read()
        if not raw.strip():
            return True, None
        try:
            value = json.loads(raw)
        except ValueError:
            return False, None
        if rpc and isinstance(value, str):
            try:
                json.loads(value)
                return True, value
            except ValueError:
                return True, json.dumps(value)
        return True, json.dumps(value, ensure_ascii=False) if rpc else raw.decode("utf-8")

    async def start(self, request, name: str, instance_id: str | None, rpc: bool) -> web.Response:
        if name not in self.engine.orchestrators:
            message = (f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function. "
                       f"Additional info: the following are the known orchestrator functions: "
                       f"{', '.join(sorted(self.engine.orchestrators))}")
            if rpc:
                return _json({"Message": "One or more of the arguments submitted is incorrect",
                              "ExceptionMessage": message}, 400)
            return _json({"error": message}, 404)
        ok, text = await self._body_json_text(request, rpc)
        if not ok:
            return _json({"Message": "The request body is not valid JSON.",
                          "ExceptionMessage": "The request body is not valid JSON."}, 400)
        iid = self.engine.start_new(name, instance_id, text, request.query.get("version"))
        payload = self.management_urls(self.origin_fn(request), iid)
        timeout = request.query.get("timeout")
        if timeout and not rpc:
            # createAndWaitOnNewInstancePostUri: answer with the output if it finishes in time
            try:
                row = await self.engine.waiters.wait(iid, float(timeout))
            except ValueError:
                return _json({"error": "timeout must be a number of seconds"}, 400)
            if row is not None:
                body = status_json(row)
                if row["status"] == "Completed":
                    return _json(body["output"], 200)
                return _json(body, 500 if row["status"] == "Failed" else 200)
        return _json(payload, 202, headers={"Location": payload["statusQueryGetUri"], "Retry-After": "1"})

    def status(self, request, iid: str) -> web.Response:
        row = self.engine.store.instance(iid)
        if row is None:
            return web.Response(status=404)
        history = None
        if _flag(request, "showHistory"):
            history = public_history(self.engine.store.history(iid), _flag(request, "showHistoryOutput"))
        body = status_json(row, show_input=_flag(request, "showInput", True), history=history)
        if row["status"] in RUNNING_LIKE:
            url = str(request.url)
            if request.path.startswith(RPC_BASE):
                url = self.management_urls(self.origin_fn(request), iid)["statusQueryGetUri"]
            return _json(body, 202, headers={"Location": url, "Retry-After": "1"})
        if row["status"] == "Failed" and _flag(request, "returnInternalServerErrorOnFailure"):
            return _json(body, 500)
        return _json(body, 200)

    def _filters(self, request):
        q = request.query
        statuses = []
        for part in q.getall("runtimeStatus", []):
            statuses += [s.strip() for s in part.split(",") if s.strip()]
        norm = {s.lower(): s for s in ("Pending", "Running", "Completed", "ContinuedAsNew", "Failed",
                                       "Terminated", "Suspended", "Canceled")}
        statuses = [norm.get(s.lower(), s) for s in statuses]

        def t(name):
            v = q.get(name)
            if not v:
                return None
            return iso(parse_time(v))

        return statuses, t("createdTimeFrom"), t("createdTimeTo"), q.get("instanceIdPrefix")

    def list_instances(self, request) -> web.Response:
        statuses, cfrom, cto, prefix = self._filters(request)
        top = request.query.get("top")
        limit = int(top) if top and top.isdigit() and int(top) > 0 else None
        token = request.headers.get("x-ms-continuation-token") or request.query.get("continuationToken")
        after = None
        if token:
            try:
                after = tuple(json.loads(token))
            except ValueError:
                return _json({"error": "bad continuation token"}, 400)
        rows = self.engine.store.query(statuses=statuses, created_from=cfrom, created_to=cto, prefix=prefix,
                                       after=after, limit=(limit + 1) if limit else None)
        headers = {}
        if limit and len(rows) > limit:
            rows = rows[:limit]
            headers["x-ms-continuation-token"] = json.dumps([rows[-1]["created"], rows[-1]["id"]])
        show_input = _flag(request, "showInput", False)
        return _json([status_json(r, show_input=show_input) for r in rows], 200, headers=headers)

    def purge_by_filter(self, request) -> web.Response:
        statuses, cfrom, cto, prefix = self._filters(request)
        rows = self.engine.store.query(statuses=statuses or list(TERMINAL), created_from=cfrom, created_to=cto,
                                       prefix=prefix)
        n = self.engine.purge([r["id"] for r in rows])
        return _json({"instancesDeleted": n}, 200 if n else 404)

    async def raise_event(self, request, iid: str, name: str, rpc: bool) -> web.Response:
        ok, text = await self._body_json_text(request, rpc)
        if not ok:
            return _json({"error": "Only application/json request content is supported"}, 400)
        return self._answer(self.engine.raise_event(iid, name, text), iid)

    def restart(self, request, iid: str, rpc: bool) -> web.Response:
        row = self.engine.store.instance(iid)
        if row is None:
            return _json({"error": f"No instance with ID '{iid}' found."}, 404)
        new_id = iid if request.query.get("restartWithNewInstanceId", "true").lower() == "false" else None
        nid = self.engine.start_new(row["name"], new_id, row["input"])
        if rpc:
            return _json(nid, 202)
        payload = self.management_urls(self.origin_fn(request), nid)
        return _json(payload, 202, headers={"Location": payload["statusQueryGetUri"]})
