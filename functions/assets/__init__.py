"""GET /api/assets/{container}/{blob}: a stable link that redirects to a fresh read-only SAS URL.

Links shown in the site point here, so they never expire while on screen. Only the app's own
containers are served, and the redirect target is always built by shared.storage (no open redirect).
"""

import azure.functions as func

from functions.http import handles_errors
from shared.storage import assets

bp = func.Blueprint()


@bp.route(route="assets/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def get_asset(req: func.HttpRequest) -> func.HttpResponse:
    download = (req.params.get("download") or "").lower() in ("1", "true", "yes")
    # name: what the site would like the file saved as (its title and index); the extension stays the blob's
    url = assets.redirect_url(req.route_params.get("path") or "", download=download, filename=req.params.get("name"))
    return func.HttpResponse(status_code=302, headers={
        "Location": url,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    })
