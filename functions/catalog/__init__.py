"""GET /api/catalog: the domain values and their labels, for the site."""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared.core import catalog
from shared.core.config import get_settings
from shared.providers import registry
from shared.providers.speech import issuer

bp = func.Blueprint()


@bp.route(route="catalog", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def get_catalog(req: func.HttpRequest) -> func.HttpResponse:
    # the upload limit is a setting, not a domain value: the site checks photos against it before sending;
    # speechService tells the site whether to ask for a speech token at all (no 503 in its console)
    settings = get_settings()
    # only the sizes the configured image model can make
    body = {**catalog.as_json(registry.image_model_family(settings)), "maxUploadBytes": settings.upload_max_bytes,
            "speechService": issuer(settings).configured}
    return json_response(body, headers={"Cache-Control": "public, max-age=300"})
