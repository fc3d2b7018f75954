"""Sign-in on Azure (issue 14, item 1): the site signs users in with Static Web Apps authentication, /api/*
is for signed-in users only, and the Function App answers only what the site forwards, so a direct call
(with or without a forged x-ms-client-principal) is refused by the platform before the app runs."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from tests.infra import bicep_model as bm

ROOT = bm.PROJECT_ROOT
_spec = importlib.util.spec_from_file_location("site_auth", ROOT / "infra/scripts/site_auth.py")
site_auth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_auth)
MODULES = bm.BICEP_DIR / "modules"
SITE = ROOT / "static-site"


def access_config() -> bm.Declaration:
    found = [r for r in bm.load(MODULES / "api-access.bicep").resources_of("Microsoft.Web/sites/config")
             if r.value("name") == "authsettingsV2"]
    assert len(found) == 1, "api-access.bicep must declare the Function App's authsettingsV2"
    return found[0]


def site_config() -> dict:
    return json.loads((SITE / "staticwebapp.config.json").read_text(encoding="utf-8"))


def test_the_function_app_requires_the_static_web_apps_token_on_every_request():
    auth = access_config()
    assert auth.value("properties", "platform", "enabled") is True
    validation = auth.value("properties", "globalValidation")
    assert validation["requireAuthentication"] is True
    # a request without the site's token (a direct call, forged principal or not) is refused, not redirected
    assert validation["unauthenticatedClientAction"] in ("Return401", "Return403")
    providers = auth.value("properties", "identityProviders")
    assert providers["azureStaticWebApps"]["enabled"] is True
    # the token's audience is the linked site: its default host name, handed in by main.bicep
    assert bm.text(auth.get("properties", "identityProviders", "azureStaticWebApps", "registration",
                            "clientId")) == "staticWebAppHostname"
    others = {name: value for name, value in providers.items() if name != "azureStaticWebApps"}
    assert others and all(value == {"enabled": False} for value in others.values()), others
    target = bm.load(MODULES / "api-access.bicep").resource(bm.text(auth.get("parent")))
    assert target is not None and target.existing and target.type == "Microsoft.Web/sites"


def test_only_the_blob_webhook_is_left_to_its_own_key():
    access = bm.load(MODULES / "api-access.bicep")
    assert bm.text(access_config().get("properties", "globalValidation", "excludedPaths")) == "excludedPaths"
    excluded = access.param_default("excludedPaths")
    assert excluded == ["/runtime/webhooks/blobs"]
    # ... which is exactly the webhook Event Grid calls, and it carries the host's system key
    url = bm.text(bm.get_path(bm.load(MODULES / "blob-trigger-subscription.bicep").resources_of(
        "Microsoft.EventGrid/systemTopics/eventSubscriptions")[0].get("properties", "destination"),
        "properties", "endpointUrl"))
    assert "/runtime/webhooks/blobs?" in url and "&code=" in url
    assert not any(path.startswith("/api") for path in excluded)


def test_main_applies_the_protection_after_linking_the_site():
    main = bm.load(bm.MAIN)
    call = main.module("apiAccess")
    assert call is not None and call.target == "modules/api-access.bicep" and call.condition is None
    params = call.get("params")
    assert bm.text(bm.get_path(params, "functionAppName")) == "api.outputs.name"
    assert bm.text(bm.get_path(params, "staticWebAppHostname")) == "web.outputs.defaultHostname"
    swa = bm.load(MODULES / "static-web-app.bicep")
    assert bm.text(swa.outputs["defaultHostname"]) == "site.properties.defaultHostname"
    # the linked backend is the same Function App the protection is applied to
    assert bm.text(bm.get_path(main.module("web").get("params"), "backendResourceId")) == "api.outputs.id"


def test_api_routes_are_for_signed_in_users_only():
    routes = site_config()["routes"]
    api = [r for r in routes if r["route"].startswith("/api")]
    assert api and all(r.get("allowedRoles") == ["authenticated"] for r in api), api
    assert "anonymous" not in json.dumps(api)
    # the page itself is public: it shows the sign-in buttons
    assert not any(r.get("allowedRoles") for r in routes if not r["route"].startswith("/api"))


def test_the_allowed_providers_are_a_parameter_and_the_others_are_blocked():
    main = bm.load(bm.MAIN)
    assert main.param_default("authProviders") == site_auth.DEFAULT == "aad"  # Entra ID by default
    assert bm.text(main.outputs["AUTH_PROVIDERS"]) == "authProviders"
    parameters = json.loads((bm.BICEP_DIR / "main.parameters.json").read_text(encoding="utf-8"))
    assert parameters["parameters"]["authProviders"]["value"] == "${AUTH_PROVIDERS=aad}"
    blocked = {r["route"]: r.get("statusCode") for r in site_config()["routes"] if r["route"].startswith("/.auth/")}
    assert blocked == {"/.auth/login/github": 404}
    # the block comes before any other route (the first match wins)
    assert site_config()["routes"][0]["route"] == "/.auth/login/github"
    prepackage = (ROOT / "infra" / "scripts" / "prepackage.sh").read_text(encoding="utf-8")
    assert "infra/scripts/site_auth.py" in prepackage


def test_the_page_learns_whether_sign_in_exists_from_a_file_that_always_answers():
    routes = {r["route"]: r for r in site_config()["routes"]}
    assert routes["/auth.json"]["rewrite"] == "/auth.swa.json"
    assert json.loads((SITE / "auth.json").read_text(encoding="utf-8")) == {"mode": "local"}
    swa = json.loads((SITE / "auth.swa.json").read_text(encoding="utf-8"))
    assert swa == site_auth.swa_auth(["aad"])
    assert swa["providers"][0]["id"] == "aad" and "로그인" in swa["providers"][0]["label"]


def test_site_auth_with_the_default_writes_exactly_the_committed_files(tmp_path):
    for name in ("staticwebapp.config.json", "auth.swa.json"):
        shutil.copy(SITE / name, tmp_path / name)
    assert site_auth.write(site_auth.parse_providers("aad"), tmp_path) == []


@pytest.mark.parametrize("text, blocked", [
    ("aad,github", set()),
    (" GitHub ", {"/.auth/login/aad"}),
    ("aad, aad", {"/.auth/login/github"}),
])
def test_site_auth_rewrites_the_rules_for_other_providers(tmp_path, text, blocked):
    for name in ("staticwebapp.config.json", "auth.swa.json"):
        shutil.copy(SITE / name, tmp_path / name)
    providers = site_auth.parse_providers(text)
    site_auth.write(providers, tmp_path)
    config = json.loads((tmp_path / "staticwebapp.config.json").read_text(encoding="utf-8"))
    assert {r["route"] for r in config["routes"] if r["route"].startswith("/.auth/")} == blocked
    # everything else in the config is kept as it was
    assert [r for r in config["routes"] if not r["route"].startswith("/.auth/")] == [
        r for r in site_config()["routes"] if not r["route"].startswith("/.auth/")]
    assert config["globalHeaders"] == site_config()["globalHeaders"]
    shown = json.loads((tmp_path / "auth.swa.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in shown["providers"]] == providers


@pytest.mark.parametrize("text", ["", " , ", "aad,twitter", "google"])
def test_site_auth_refuses_an_unknown_or_empty_provider_list(text, capsys):
    with pytest.raises(ValueError):
        site_auth.parse_providers(text)
    if text.strip(" ,"):
        assert site_auth.main([text]) == 2
        assert "unknown sign-in provider" in capsys.readouterr().err
