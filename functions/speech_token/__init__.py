"""GET /api/speech-token: a short-lived Azure Speech token and its region for the site's microphone
button, or 503 {"error": {"code": "not_configured", ...}} when Speech is not set up (the site then
uses the browser's own speech recognition)."""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared.providers.speech import speech_token as issue

bp = func.Blueprint()


@bp.route(route="speech-token", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def speech_token(req: func.HttpRequest) -> func.HttpResponse:

    return json_response(issue())
