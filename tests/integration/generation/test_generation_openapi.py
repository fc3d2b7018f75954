"""GET /api/openapi.json is valid OpenAPI 3.1 and describes exactly the HTTP routes the app registers."""

from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate

from shared import openapi
from shared.core import catalog
from tests.app_functions import app_functions


def _registered_routes() -> set[tuple[str, str]]:
    routes = set()
    for function in app_functions().values():
        trigger = function.get_trigger()
        if trigger.type == "httpTrigger":
            for method in trigger.methods or ["GET", "POST"]:
                name = getattr(method, "value", method)
                routes.add((openapi.openapi_path(trigger.route), str(name).lower()))
    return routes


def _described_routes(doc: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in doc["paths"].items() for method in ops}


def test_document_is_valid_openapi_31_and_matches_the_app():
    doc = openapi.document()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert _described_routes(doc) == _registered_routes()


def test_domain_values_come_from_the_catalog():
    schema = openapi.document()["components"]["schemas"]["GenerationRequest"]["properties"]
    assert schema["category"]["enum"] == [c.value for c in catalog.CATEGORIES]
    assert schema["stage"]["enum"] == [s.value for s in catalog.STAGES]
    assert schema["variations"]["maximum"] == catalog.MAX_VARIATIONS
    assert schema["description"]["maxLength"] == catalog.MAX_DESCRIPTION_CHARS


def test_route_templates_become_openapi_paths():
    assert openapi.openapi_path("assets/{*path}") == "/api/assets/{path}"
    assert openapi.openapi_path("batches/{name:alpha}") == "/api/batches/{name}"
    assert openapi.openapi_path("items/{id?}") == "/api/items/{id}"


@pytest.mark.slow
def test_served_over_http(app_host):
    response = requests.get(f"{app_host.base_url}/api/openapi.json", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    doc = response.json()
    validate(doc)
    assert _described_routes(doc) == _registered_routes()
