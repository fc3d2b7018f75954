"""Who is calling, as the site shows it (issue 14, item 1). Locally there is no sign-in: the fixed local
user, no login button and no request to Static Web Apps' /.auth/ routes (they do not exist on devhost).
On Static Web Apps (its /auth.json and /.auth/me staged in the browser, exactly as the platform answers
them) a visitor who is not signed in sees only the sign-in buttons and nothing asks /api; a signed-in
user sees their name and a sign-out link; a sign-in that ends (401 from /api) brings the buttons back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import open_site

pytestmark = pytest.mark.e2e

SITE = Path(__file__).resolve().parents[2] / "static-site"
LABELS = {"aad": "Microsoft 계정으로 로그인", "github": "GitHub 계정으로 로그인"}
PRINCIPAL = {"identityProvider": "aad", "userId": "d7a3f0c2b1e44f5a9c8b7e6d5c4b3a21",
             "userDetails": "김작가@example.com", "userRoles": ["anonymous", "authenticated"]}


def as_static_web_apps(page, principal: dict | None, providers: list[str] | None = None) -> list[str]:
    """Answer /auth.json and /.auth/me as Static Web Apps does; returns the /.auth/ and /api/ URLs asked."""
    config = json.loads((SITE / "auth.swa.json").read_text(encoding="utf-8"))
    if providers:  # as infra/scripts/site_auth.py writes them for AUTH_PROVIDERS=aad,github
        config["providers"] = [{"id": p, "label": LABELS[p]} for p in providers]
    page.route("**/auth.json", lambda route: route.fulfill(status=200, content_type="application/json",
                                                          body=json.dumps(config)))
    page.route("**/.auth/me", lambda route: route.fulfill(status=200, content_type="application/json",
                                                         body=json.dumps({"clientPrincipal": principal})))
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/.auth/" in r.url or "/api/" in r.url else None)
    return asked


def test_locally_the_local_user_and_no_sign_in(page):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    open_site(page)
    expect(page.locator("#account .account-name")).to_have_text("로컬 사용자")
    expect(page.locator("#account a")).to_have_count(0)  # no login, no logout
    expect(page.locator("#signin")).to_be_hidden()
    assert not [url for url in asked if "/.auth/" in url], asked  # never asked: devhost has no /.auth/me
    assert any(url.endswith("/auth.json") for url in asked)


def test_on_static_web_apps_a_visitor_who_is_not_signed_in_gets_only_the_sign_in(page, artifacts_dir):
    asked = as_static_web_apps(page, None, providers=["aad", "github"])
    page.goto("/")
    page.wait_for_selector("html[data-ready]")
    signin = page.locator("#signin")
    expect(signin).to_be_visible()
    expect(page.locator("#main")).to_be_hidden()
    links = signin.locator(".signin-buttons a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "/.auth/login/aad?post_login_redirect_uri=%2F")
    expect(links.nth(1)).to_have_attribute("href", "/.auth/login/github?post_login_redirect_uri=%2F")
    expect(page.locator("#account a")).to_have_count(0)
    page.wait_for_timeout(300)
    assert not [url for url in asked if "/api/" in url], asked  # /api/* would answer 401: never asked
    page.screenshot(path=str(artifacts_dir / "e2e" / "sign_in.png"), full_page=True)


def test_a_signed_in_user_sees_their_name_and_can_sign_out(page):
    as_static_web_apps(page, PRINCIPAL)
    open_site(page)
    expect(page.locator("#account .account-name")).to_have_text("김작가@example.com")
    expect(page.locator("#account .account-name")).to_have_attribute("data-provider", "aad")
    expect(page.get_by_role("link", name="로그아웃")).to_have_attribute(
        "href", "/.auth/logout?post_logout_redirect_uri=%2F")
    expect(page.locator("#signin")).to_be_hidden()
    expect(page.locator("#category-options label.choice").first).to_be_visible()  # the catalog loaded


def test_a_sign_in_that_ends_brings_the_sign_in_back(page, console):
    """/api answers 401 (the Static Web Apps session ended): the page asks to sign in again, in Korean."""
    console.allow("/api/generations", 401)
    as_static_web_apps(page, PRINCIPAL)
    page.route("**/api/generations?*", lambda route: route.fulfill(status=401, content_type="text/html",
                                                                    body="<html>401</html>"))
    page.goto("/")
    page.wait_for_selector("html[data-ready]")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin .signin-reason")).to_have_text("로그인이 끝났습니다. 다시 로그인해 주세요.")
    expect(page.locator("#main")).to_be_hidden()
    expect(page.locator("#signin .signin-buttons a")).to_have_attribute(
        "href", "/.auth/login/aad?post_login_redirect_uri=%2F")
