"""Write the site's sign-in rules for the providers in AUTH_PROVIDERS (the Bicep parameter authProviders,
an azd output), run by the prepackage hook before the site is uploaded.

Static Web Apps offers its pre-configured providers (Microsoft Entra ID `aad`, GitHub `github`) to every
site: no app registration and no secret, but also no switch in the resource to turn one off. A provider
is refused by a route that answers 404 on its login path, so this script rewrites those routes in
static-site/staticwebapp.config.json, and writes static-site/auth.swa.json, which tells the page which
sign-in buttons to show (the site's /auth.json is rewritten to it on Static Web Apps; locally
/auth.json says there is no sign-in). With the default (aad) the committed files are what it writes.

    python infra/scripts/site_auth.py            # AUTH_PROVIDERS from the environment, default aad
    python infra/scripts/site_auth.py aad,github
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parents[2] / "static-site"
CONFIG = SITE / "staticwebapp.config.json"
SWA_AUTH = SITE / "auth.swa.json"
DEFAULT = "aad"

# Static Web Apps' pre-configured providers: id -> the sign-in button's label.
PROVIDERS = {
    "aad": "Microsoft 계정으로 로그인",
    "github": "GitHub 계정으로 로그인",
}
LOGIN_PREFIX = "/.auth/login/"


def parse_providers(text: str) -> list[str]:
    """'aad, github' -> ['aad', 'github']; ValueError for an empty list or an unknown provider."""
    chosen: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name or name in chosen:
            continue
        if name not in PROVIDERS:
            raise ValueError(f"unknown sign-in provider {name!r}: choose from {', '.join(PROVIDERS)}")
        chosen.append(name)
    if not chosen:
        raise ValueError(f"AUTH_PROVIDERS names no provider: choose from {', '.join(PROVIDERS)}")
    return chosen


def with_provider_rules(config: dict, providers: list[str]) -> dict:
    """The config with one 404 route per provider that is not allowed, first among the routes
    (Static Web Apps applies the first route that matches), and no stale provider rules."""
    routes = [r for r in config.get("routes", []) if not str(r.get("route", "")).startswith(LOGIN_PREFIX)]
    blocked = [{"route": LOGIN_PREFIX + name, "statusCode": 404} for name in PROVIDERS if name not in providers]
    return {**config, "routes": blocked + routes}


def swa_auth(providers: list[str]) -> dict:
    """What the page reads on Static Web Apps: sign-in is on, with these buttons."""
    return {"mode": "swa", "providers": [{"id": name, "label": PROVIDERS[name]} for name in providers]}


def _dump(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def write(providers: list[str], site: Path = SITE) -> list[Path]:
    """Write both files under `site`; returns the ones whose content changed."""
    config_path, auth_path = site / CONFIG.name, site / SWA_AUTH.name
    config = json.loads(config_path.read_text(encoding="utf-8"))
    changed = []
    for path, text in ((config_path, _dump(with_provider_rules(config, providers))),
                       (auth_path, _dump(swa_auth(providers)))):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    text = argv[0] if argv else os.environ.get("AUTH_PROVIDERS", "") or DEFAULT
    try:
        providers = parse_providers(text)
    except ValueError as exc:
        print(f"site_auth: {exc}", file=sys.stderr)
        return 2
    changed = write(providers)
    print(f"== site sign-in: {', '.join(providers)}" + ("" if changed else " (files unchanged)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
