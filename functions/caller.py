"""Who is calling: the HTTP edge's business (the domain only ever receives a user id).

On Azure the platform's built-in authentication sets x-ms-client-principal (base64 JSON) and strips
it from clients; locally there is none and the caller is LOCAL_USER_ID.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from shared.core.config import Settings, get_settings
from shared.core.errors import AppError
from shared.core.text import has_refused_characters

MSG_UNREADABLE = "로그인 정보를 읽을 수 없습니다. 다시 로그인해 주세요."
MSG_NO_USER = "로그인 정보에 사용자 ID가 없습니다. 다시 로그인해 주세요."
MSG_SIGN_IN = "로그인이 필요합니다. 로그인한 뒤 다시 시도해 주세요."

# Claims that carry the user's id in App Service authentication, in order of preference.
_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid",
              "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "sub")


class Unauthenticated(AppError):
    status = 401
    code = "unauthenticated"


def caller_id(headers: Mapping[str, str], settings: Settings | None = None) -> str:
    """The principal of Azure's built-in authentication (x-ms-client-principal), else the local user."""
    settings = settings or get_settings()
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get("x-ms-client-principal")
    if not raw:
        # x-ms-client-principal-id alone is not trusted: any client can send it, and the platform sets
        # it only together with the principal itself. On Azure nobody is the local user.
        if settings.on_azure:
            raise Unauthenticated(MSG_SIGN_IN)
        return settings.local_user_id
    try:
        principal = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Unauthenticated(MSG_UNREADABLE) from None
    if not isinstance(principal, dict):
        raise Unauthenticated(MSG_UNREADABLE)
    user = principal.get("userId")
    if not user:  # App Service authentication: the id is a claim
        listed = principal.get("claims")
        claims = {c.get("typ"): c.get("val") for c in (listed if isinstance(listed, list) else [])
                  if isinstance(c, dict)}
        user = next((claims[t] for t in _ID_CLAIMS if claims.get(t)), None)
    user = user or lowered.get("x-ms-client-principal-id")
    if not user or not isinstance(user, str) or has_refused_characters(user):
        raise Unauthenticated(MSG_NO_USER)
    return user
