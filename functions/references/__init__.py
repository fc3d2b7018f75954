"""GET /api/references/search?q=&category=&stage=&k=: reference images for a Korean query, best first,
with short-lived read-only links to each thumbnail and image."""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared.errors import ValidationError

bp = func.Blueprint()

DEFAULT_K = 6


def _k(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_K
    try:
        return int(raw)
    except ValueError:
        raise ValidationError("k는 정수여야 합니다.", code="bad_k") from None


@bp.route(route="references/search", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def search_reference_images(req: func.HttpRequest) -> func.HttpResponse:
    from shared import embedding, references

    query = (req.params.get("q") or "").strip()
    if not query:
        raise ValidationError("검색어(q)를 입력해 주세요.", code="missing_query")
    found = references.search(text=query, category=req.params.get("category") or None,
                              stage=req.params.get("stage") or None, k=_k(req.params.get("k")))
    # testModel: the site can say that vector similarity comes from the random-weights test model
    return json_response({"query": query, "references": references.with_links(found),
                          "testModel": embedding.is_test_model_in_use()})
