"""Static checks of the site's files: one CSP in two places, no inline code, nothing from a CDN,
no HTML built from strings. (No browser needed; kept beside the browser tests they back up.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SITE = Path(__file__).resolve().parents[2] / "static-site"
LOOPBACK = {"http://127.0.0.1:*", "http://localhost:*"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.inline_script = False
        self.inline_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.inline_style = True
        self._open = tag if tag in ("script", "style") else None

    def handle_data(self, data):
        if getattr(self, "_open", None) == "script" and data.strip():
            self.inline_script = True
        if getattr(self, "_open", None) == "style" and data.strip():
            self.inline_style = True

    def handle_endtag(self, tag):
        self._open = None


def _parse_csp(text: str) -> dict[str, set[str]]:
    out = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            out[words[0]] = set(words[1:])
    return out


def _page() -> _Page:
    page = _Page()
    page.feed((SITE / "index.html").read_text(encoding="utf-8"))
    return page


def test_one_policy_in_the_meta_tag_and_the_static_web_apps_header():
    page = _page()
    meta = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    in_page = _parse_csp(meta["content"])
    config = json.loads((SITE / "staticwebapp.config.json").read_text(encoding="utf-8"))
    header = _parse_csp(config["globalHeaders"]["Content-Security-Policy"])

    assert in_page["default-src"] == {"'none'"} and in_page["script-src"] == {"'self'"}
    assert in_page["style-src"] == {"'self'"}
    for policy in (in_page, header):
        assert not any("'unsafe-" in source for sources in policy.values() for source in sources)
        assert "https://*.blob.core.windows.net" in policy["img-src"]
        assert policy["connect-src"] >= {"'self'"}
    # The same policy, except: the page also allows Azurite on loopback (local runs), and
    # frame-ancestors only works as a header.
    assert in_page["img-src"] - LOOPBACK == header["img-src"]
    assert header.pop("frame-ancestors") == {"'none'"}
    assert {k: v for k, v in in_page.items() if k != "img-src"} == {k: v for k, v in header.items() if k != "img-src"}
    assert config["navigationFallback"]["rewrite"] == "/index.html"
    assert "/api/*" in config["navigationFallback"]["exclude"]


def test_no_inline_code_and_nothing_from_another_origin():
    page = _page()
    assert not page.inline_script and not page.inline_style
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"^(https?:)?//", value), f"<{tag} {name}={value}> loads from another origin"
    scripts = [a for t, a in page.tags if t == "script"]
    assert scripts and all(a.get("src") for a in scripts)
    api_base = next(a for t, a in page.tags if t == "meta" and a.get("name") == "api-base")
    assert api_base["content"] == ""  # same origin by default


@pytest.mark.parametrize("path", sorted(p.name for p in SITE.glob("*.js")))
def test_scripts_never_build_html_from_strings(path):
    source = (SITE / path).read_text(encoding="utf-8")
    for pattern in (r"\.innerHTML\b", r"\.outerHTML\b", r"insertAdjacentHTML", r"document\.write", r"\beval\(",
                    r"new Function\(", r"https?://(?!127\.0\.0\.1)"):
        assert not re.search(pattern, source), f"{path}: {pattern}"
    assert not re.search(r"(api[-_]?key|subscription-key|secret)\s*[:=]", source, re.I)
