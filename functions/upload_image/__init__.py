"""POST /api/uploads: one image from the artist (multipart field "file", or the raw image as the body).

Thin: size limits and body parsing here, validation and normalisation in shared.imaging.
"""

import azure.functions as func

from functions.http import handles_errors, json_response
from shared.core.config import get_settings
from shared.core.errors import ValidationError
from shared.images import uploads as imaging

bp = func.Blueprint()

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file in a multipart body


@bp.route(route="uploads", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@handles_errors
def upload_image(req: func.HttpRequest) -> func.HttpResponse:
    limit = get_settings().upload_max_bytes
    content_type = (req.headers.get("content-type") or "").lower()
    multipart = content_type.startswith("multipart/form-data")
    envelope = limit + (MULTIPART_OVERHEAD if multipart else 0)

    declared = req.headers.get("content-length")
    if declared and declared.strip().isdigit() and int(declared) > envelope:
        raise imaging.too_large(limit)  # refuse before reading what the client claims is too big
    body = req.get_body() or b""
    if len(body) > envelope:
        raise imaging.too_large(limit)

    if multipart:
        part = req.files.get("file")
        if part is None:
            raise ValidationError("'file' 필드에 이미지 파일을 담아 보내 주세요.", code="missing_file")
        data = part.read(limit + 1)
    else:
        data = body
    imaging.check_size(len(data), limit)

    stored = imaging.store_upload(data)
    return json_response(stored.to_json(), 201, headers={"Location": stored.asset_url})
