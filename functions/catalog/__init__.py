"""GET /api/catalog: the domain values and their labels, for the site."""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared import catalog

bp = func.Blueprint()


@bp.route(route="catalog", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def get_catalog(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(catalog.as_json(), headers={"Cache-Control": "public, max-age=300"})
