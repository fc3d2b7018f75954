"""GET /api/openapi.json: the OpenAPI 3.1 description of every endpoint (built by shared.openapi)."""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared import openapi

bp = func.Blueprint()


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def get_openapi(req: func.HttpRequest) -> func.HttpResponse:

    return json_response(openapi.document(), headers={"Cache-Control": "public, max-age=300"})
