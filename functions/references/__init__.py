"""GET /api/references/search?q=&category=&stage=&k=: reference images for a Korean query, best first,
with short-lived read-only links to each thumbnail and image."""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared import references
from shared.references import embedding

bp = func.Blueprint()


@bp.route(route="references/search", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def search_reference_images(req: func.HttpRequest) -> func.HttpResponse:

    query = references.search_query(req.params)
    found = references.search(**query)
    # testModel: the site can say that vector similarity comes from the random-weights test model
    return json_response({"query": query["text"], "references": references.with_links(found),
                          "testModel": embedding.is_test_model_in_use()})
