"""A small HTTP client for the generation API as the site uses it: start, poll the status URL the
starter handed out (as the owner), answer the review, download what the output links to. Used by the tests that run the real
app on devhost (app_host)."""

from __future__ import annotations

import base64
import io
import json
import time

import requests

POLL_LIMIT_SECONDS = 240.0  # a safety stop so a broken run fails instead of hanging (not a timing goal)


def principal(user_id: str) -> dict:
    """The header Azure's built-in authentication adds for a signed-in user."""
    data = {"identityProvider": "aad", "userId": user_id, "userDetails": f"{user_id}@example.com",
            "userRoles": ["anonymous", "authenticated"]}
    return {"x-ms-client-principal": base64.b64encode(json.dumps(data).encode()).decode()}


def awaiting_approval(status: dict) -> bool:
    """`until` for GenerationClient.wait: the generation is held at the review step."""
    return bool((status.get("customStatus") or {}).get("awaitingApproval"))


class GenerationClient:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.callers: dict[str, dict] = {}  # instance id -> the headers it was started with (its owner)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def start(self, body: dict, headers: dict | None = None) -> dict:
        response = self.http.post(self.url("/api/generations"), json=body, headers=headers, timeout=30)
        assert response.status_code == 202, (response.status_code, response.text)
        assert response.headers["Location"] == response.json()["statusQueryGetUri"]
        self.callers[response.json()["id"]] = dict(headers or {})
        return response.json()

    def owner(self, started: dict) -> dict:
        """The caller's headers of that generation: its routes answer its owner only."""
        return self.callers.get(started["id"], {})

    def status(self, started: dict) -> dict:
        response = self.http.get(started["statusQueryGetUri"], headers=self.owner(started), timeout=30)
        assert response.status_code in (200, 202), (response.status_code, response.text)
        body = response.json()
        assert (response.status_code == 202) == (body["runtimeStatus"] in ("Pending", "Running", "Suspended")), body
        return body

    def wait(self, started: dict, until=None, seen: list | None = None) -> dict:
        """Poll until `until(status)` (default: a final runtimeStatus); `seen` collects customStatus."""
        until = until or (lambda s: s["runtimeStatus"] in ("Completed", "Failed", "Terminated"))
        deadline = time.monotonic() + POLL_LIMIT_SECONDS
        while True:
            status = self.status(started)
            if seen is not None and status.get("customStatus") and (
                    not seen or seen[-1] != status["customStatus"]):
                seen.append(status["customStatus"])
            if until(status):
                return status
            if status["runtimeStatus"] in ("Completed", "Failed", "Terminated"):
                raise AssertionError(f"ended before the awaited state: {status}")
            if time.monotonic() > deadline:
                raise AssertionError(f"still not there after {POLL_LIMIT_SECONDS} s: {status}")
            time.sleep(0.25)

    def run(self, body: dict, headers: dict | None = None, seen: list | None = None) -> dict:
        return self.wait(self.start(body, headers), seen=seen)

    def approve(self, started: dict, body) -> requests.Response:
        url = started["sendEventPostUri"].replace("{eventName}", "prompt_approved")
        return self.http.post(url, json=body, headers=self.owner(started), timeout=30)

    def download(self, url: str) -> bytes:
        response = self.http.get(self.url(url), timeout=60)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        return response.content

    def follow_asset(self, asset_url: str) -> bytes:
        """A permanent /api/assets link: 302 to a fresh SAS URL, then the bytes."""
        response = self.http.get(self.url(asset_url), allow_redirects=False, timeout=30)
        assert response.status_code == 302, (asset_url, response.status_code, response.text[:300])
        return self.download(response.headers["Location"])


def assert_schema(name: str, value) -> None:
    """`value` matches components.schemas[name] of our OpenAPI document (docs/API.md's shapes)."""
    from jsonschema import Draft202012Validator

    from shared import openapi

    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi.document()["components"]}
    Draft202012Validator(schema).validate(value)


def read_psd(data: bytes):
    from psd_tools import PSDImage

    return PSDImage.open(io.BytesIO(data))
