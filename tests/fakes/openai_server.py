"""A local HTTP server of ours that speaks the Azure OpenAI / OpenAI API (and the Azure Speech STS
token endpoint), so the real `openai` SDK and our own HTTP calls can be exercised without Azure.

Routes (127.0.0.1 only):
- Azure:  POST /openai/deployments/{deployment}/chat/completions?api-version=...
          POST /openai/deployments/{deployment}/images/generations?api-version=...
          POST /openai/deployments/{deployment}/images/edits?api-version=... (multipart, `image[]` parts)
- OpenAI: POST /v1/chat/completions, POST /v1/images/generations, POST /v1/images/edits (model in the body)
- Speech: POST /sts/v1.0/issueToken (Ocp-Apim-Subscription-Key or Authorization: Bearer)

It validates what it is sent the way the services do (400 invalid_request_error for a size the
model family does not have, n>1 for dall-e-3, response_format for gpt-image, an edit for dall-e-3, more
than 16 input images, an input that is not PNG/JPEG/WEBP or is over the size limit, missing
api-version...),
records every request, and can be scripted to answer the next requests with the services' failures:
429 with Retry-After / retry-after-ms, 500/503, content filter (Azure's 400 shapes, or a chat
completion with finish_reason "content_filter"), or a delay longer than the client's timeout.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import policy as email_policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GPT_IMAGE_SIZES = {"1024x1024", "1024x1536", "1536x1024", "auto"}
GPT_IMAGE_2_SIZES = GPT_IMAGE_SIZES | {"1152x2048", "2048x1152", "2048x2048", "2160x3840", "3840x2160"}
MAX_EDIT_IMAGES = 16
MAX_EDIT_IMAGE_BYTES = 50 * 1024 * 1024
GPT_IMAGE_QUALITIES = {"low", "medium", "high", "auto"}
DALLE3_SIZES = {"1024x1024", "1792x1024", "1024x1792"}
DALLE3_QUALITIES = {"standard", "hd"}
DALLE3_STYLES = {"vivid", "natural"}

AZURE_CHAT_RE = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")
AZURE_IMAGES_RE = re.compile(r"^/openai/deployments/([^/]+)/images/generations$")
AZURE_EDITS_RE = re.compile(r"^/openai/deployments/([^/]+)/images/edits$")

FILTER_CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def _filter_results(filtered: str | None = None) -> dict:
    out = {}
    for name in FILTER_CATEGORIES:
        hit = name == filtered
        out[name] = {"filtered": hit, "severity": "high" if hit else "safe"}
    return out


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict  # lower-case names
    body: bytes
    api: str  # "chat" | "images" | "edits" | "sts" | "unknown"
    flavour: str  # "azure" | "openai" | "speech"
    deployment: str | None = None
    answered: int = 0  # the status code we answered

    @property
    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def parts(self) -> list[Part]:
        """The multipart/form-data parts of the body, in order (an edit's fields and images)."""
        return parse_multipart(self.headers.get("content-type", ""), self.body)

    @property
    def form(self) -> dict:
        """The text fields of a multipart body (the last value of each name)."""
        return {p.name: p.data.decode() for p in self.parts if p.filename is None}

    @property
    def images(self) -> list[Part]:
        """The `image[]` (or single `image`) file parts of an edit, in the order sent."""
        return [p for p in self.parts if p.name in ("image[]", "image") and p.filename is not None]


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes

    @property
    def size(self) -> tuple[int, int]:
        from PIL import Image

        return Image.open(io.BytesIO(self.data)).size


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    if not content_type.lower().startswith("multipart/form-data"):
        return []
    message = BytesParser(policy=email_policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        return []
    return [Part(part.get_param("name", header="content-disposition") or "", part.get_filename(),
                 part.get_content_type(), part.get_payload(decode=True) or b"")
            for part in message.iter_parts()]


@dataclass
class Scripted:
    kind: str  # "rate_limit" | "server_error" | "content_filter" | "completion_filter" | "delay"
    api: str | None = None  # only for this api ("chat", "images", "sts"), any when None
    status: int = 500
    retry_after: float | None = None
    retry_after_ms: float | None = None
    seconds: float = 0.0
    category: str = "violence"


@dataclass
class FakeState:
    api_key: str = "test-azure-key"
    bearer_tokens: set = field(default_factory=lambda: {"test-entra-token"})
    speech_key: str = "test-speech-key"
    chat_reply: object = None  # str (raw content), dict (dumped as JSON) or callable(request_json)
    script: deque = field(default_factory=deque)
    requests: list = field(default_factory=list)
    tokens_issued: int = 0
    max_edit_image_bytes: int = MAX_EDIT_IMAGE_BYTES  # tests lower it to see "too large"
    lock: threading.Lock = field(default_factory=threading.Lock)


DEFAULT_CHAT_REPLY = {
    "prompt": "Korean webtoon background of a quiet hanok alley at dusk, clean line art, no people",
    "title": "해질녘 한옥 골목",
    "avoid": ["people in focus", "text"],
}


def _png(width: int, height: int, seed: str) -> bytes:
    """A real PNG of the requested size, its colour derived from the seed (so images differ)."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", (width, height), tuple(digest[:3]))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, width // 2, height // 2), fill=tuple(digest[3:6]))
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAzureOpenAI/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    @property
    def state(self) -> FakeState:
        return self.server.state  # type: ignore[attr-defined]

    # -- plumbing ------------------------------------------------------------------------------------

    def _send(self, status: int, body, headers: dict | None = None, content_type="application/json"):
        raw = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self._record.answered = status  # before sending: the client may look as soon as it has the answer
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("x-request-id", f"req-{len(self.state.requests)}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _error(self, status: int, message: str, code: str | None = None, *, type_="invalid_request_error",
               param=None, headers=None):
        self._send(status, {"error": {"message": message, "type": type_, "param": param, "code": code}},
                   headers)

    def do_GET(self):
        self._record = RecordedRequest("GET", self.path, {}, {}, b"", "unknown", "azure")
        self._error(404, "Resource not found", "404")

    def do_POST(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        deployment = None
        if m := AZURE_CHAT_RE.match(path):
            api, flavour, deployment = "chat", "azure", m.group(1)
        elif m := AZURE_IMAGES_RE.match(path):
            api, flavour, deployment = "images", "azure", m.group(1)
        elif m := AZURE_EDITS_RE.match(path):
            api, flavour, deployment = "edits", "azure", m.group(1)
        elif path == "/v1/chat/completions":
            api, flavour = "chat", "openai"
        elif path == "/v1/images/generations":
            api, flavour = "images", "openai"
        elif path == "/v1/images/edits":
            api, flavour = "edits", "openai"
        elif path == "/sts/v1.0/issueToken":
            api, flavour = "sts", "speech"
        else:
            api, flavour = "unknown", "azure"
        record = RecordedRequest("POST", path, query, headers, body, api, flavour, deployment)
        self._record = record
        with self.state.lock:
            self.state.requests.append(record)
            scripted = None
            for item in self.state.script:
                if item.api is None or item.api == api:
                    scripted = item
                    break
            if scripted is not None:
                self.state.script.remove(scripted)
        if api == "unknown":
            return self._error(404, "Resource not found", "404")
        if not self._authorised(api, flavour, headers):
            return
        if flavour == "azure" and not query.get("api-version"):
            return self._error(404, "Resource not found: missing api-version", "404")
        if scripted is not None:
            if scripted.kind == "delay":
                time.sleep(scripted.seconds)
            elif scripted.kind != "completion_filter":
                return self._scripted_failure(scripted, api, flavour)
        if api == "sts":
            return self._issue_token()
        if api == "edits":
            return self._edits(record, deployment)
        payload = record.json
        if not isinstance(payload, dict):
            return self._error(400, "We could not parse the JSON body of your request.", "invalid_json")
        if api == "chat":
            return self._chat(payload, deployment, scripted)
        return self._images(payload, deployment)

    def _authorised(self, api: str, flavour: str, headers: dict) -> bool:
        bearer = headers.get("authorization", "")
        token = bearer[7:] if bearer.lower().startswith("bearer ") else None
        if flavour == "speech":
            if headers.get("ocp-apim-subscription-key") == self.state.speech_key:
                return True
            if token in self.state.bearer_tokens:
                return True
            self._send(401, {"error": {"code": "401", "message": "Access denied due to invalid "
                             "subscription key or wrong API endpoint. Make sure to provide a valid key "
                             "for an active subscription and use a correct regional API endpoint for "
                             "your resource."}})
            return False
        if flavour == "azure":
            if headers.get("api-key") == self.state.api_key or token in self.state.bearer_tokens:
                return True
            self._send(401, {"error": {"code": "401", "message": "Access denied due to invalid "
                             "subscription key or wrong API endpoint."}})
            return False
        if token == self.state.api_key:
            return True
        self._error(401, "Incorrect API key provided.", "invalid_api_key")
        return False

    # -- scripted failures ---------------------------------------------------------------------------

    def _scripted_failure(self, item: Scripted, api: str, flavour: str = "azure"):
        if item.kind == "rate_limit":
            headers = {}
            wait = item.retry_after
            if item.retry_after is not None:
                headers["retry-after"] = str(int(item.retry_after)) if float(item.retry_after).is_integer() \
                    else str(item.retry_after)
            if item.retry_after_ms is not None:
                headers["retry-after-ms"] = str(int(item.retry_after_ms))
                wait = item.retry_after_ms / 1000
            operation = {"chat": "ChatCompletions_Create", "edits": "Images_Edits_Create"}.get(
                api, "Images_Generations_Create")
            return self._send(429, {"error": {
                "code": "429",
                "message": f"Requests to the {operation} Operation under Azure OpenAI API version "
                           f"2025-04-01-preview have exceeded token rate limit of your current tier. "
                           f"Please retry after {wait or 1} seconds.",
            }}, headers)
        if item.kind == "server_error":
            headers = {"retry-after": str(int(item.retry_after))} if item.retry_after is not None else None
            code = "ServiceUnavailable" if item.status == 503 else "InternalServerError"
            return self._send(item.status, {"error": {
                "code": code, "message": "The server had an error while processing your request. Sorry about that!",
            }}, headers)
        if item.kind == "content_filter":
            if api == "chat":
                return self._send(400, {"error": {
                    "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                               "management policy. Please modify your prompt and retry.",
                    "type": None, "param": "prompt", "code": "content_filter", "status": 400,
                    "innererror": {
                        "code": "ResponsibleAIPolicyViolation",
                        "content_filter_result": {
                            **_filter_results(item.category),
                            "jailbreak": {"filtered": False, "detected": False},
                        },
                    },
                }})
            if flavour == "openai":  # OpenAI's own image moderation refusal (generations and edits)
                return self._send(400, {"error": {
                    "code": "moderation_blocked", "param": None, "type": "image_generation_user_error",
                    "message": "Your request was rejected by the safety system. If you believe this is an "
                               "error, contact us at help.openai.com and include the request ID.",
                }})
            return self._send(400, {"error": {
                "code": "content_policy_violation",
                "inner_error": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_results": _filter_results(item.category),
                    "revised_prompt": None,
                },
                "message": "Your request was rejected as a result of our safety system. Your prompt may "
                           "contain text that is not allowed by our safety system.",
                "type": "invalid_request_error",
            }})
        return self._error(500, f"unknown scripted failure {item.kind}")

    # -- APIs ------------------------------------------------------------------------------------------

    def _chat(self, payload: dict, deployment: str | None, scripted: Scripted | None):
        model = deployment or payload.get("model")
        if not model:
            return self._error(400, "you must provide a model parameter", "missing_required_parameter",
                               param="model")
        messages = payload.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._error(400, "'messages' is a required property", "missing_required_parameter",
                               param="messages")
        for message in messages:
            if not isinstance(message, dict) or "role" not in message or "content" not in message:
                return self._error(400, "Invalid message: role and content are required", "invalid_value",
                                   param="messages")
            content = message["content"]
            if isinstance(content, list):
                for part in content:
                    if part.get("type") == "image_url":
                        url = (part.get("image_url") or {}).get("url", "")
                        if url.startswith("data:"):
                            head, _, data = url.partition(",")
                            if ";base64" not in head or not head[5:].startswith("image/"):
                                return self._error(400, "Invalid image data URL.", "invalid_image_url")
                            try:
                                base64.b64decode(data, validate=True)
                            except ValueError:
                                return self._error(400, "Invalid base64 image data.", "invalid_image_url")
                        elif not url.startswith(("http://", "https://")):
                            return self._error(400, "Invalid image URL.", "invalid_image_url")
                    elif part.get("type") != "text":
                        return self._error(400, f"Invalid content part type {part.get('type')!r}",
                                           "invalid_value")
        response_format = payload.get("response_format")
        if response_format is not None:
            kind = response_format.get("type")
            if kind == "json_schema":
                spec = response_format.get("json_schema") or {}
                if not spec.get("name") or not isinstance(spec.get("schema"), dict):
                    return self._error(400, "Missing required parameter: 'response_format.json_schema'.",
                                       "missing_required_parameter", param="response_format")
            elif kind not in ("text", "json_object"):
                return self._error(400, f"Invalid response_format type {kind!r}", "invalid_value",
                                   param="response_format")
        n = len(self.state.requests)
        if scripted is not None and scripted.kind == "completion_filter":
            finish, content = "content_filter", None
            filters = _filter_results(scripted.category)
        else:
            reply = self.state.chat_reply if self.state.chat_reply is not None else DEFAULT_CHAT_REPLY
            if callable(reply):
                reply = reply(payload)
            content = reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)
            finish, filters = "stop", _filter_results(None)
        choice = {"index": 0, "finish_reason": finish,
                  "message": {"role": "assistant", "content": content, "refusal": None},
                  "logprobs": None}
        body = {
            "id": f"chatcmpl-fake-{n}", "object": "chat.completion", "created": 1767225600,
            "model": model, "choices": [choice],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
            "system_fingerprint": "fp_fake",
        }
        if deployment is not None:  # Azure adds its content-filter annotations
            choice["content_filter_results"] = filters
            body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": _filter_results()}]
        return self._send(200, body)

    def _images(self, payload: dict, deployment: str | None):
        model = (deployment or payload.get("model") or "").lower()
        prompt = payload.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return self._error(400, "Missing required parameter: 'prompt'.", "missing_required_parameter",
                               param="prompt")
        n = payload.get("n", 1)
        size = payload.get("size", "1024x1024" if "dall-e" in model else "auto")
        quality = payload.get("quality")
        if "dall-e-3" in model:
            if n != 1:
                return self._error(400, "You must provide n=1 for this model.", "invalid_value", param="n")
            if size not in DALLE3_SIZES:
                return self._error(400, f"Invalid size {size!r}. Supported: {sorted(DALLE3_SIZES)}",
                                   "invalid_value", param="size")
            if quality is not None and quality not in DALLE3_QUALITIES:
                return self._error(400, f"Invalid quality {quality!r}.", "invalid_value", param="quality")
            style = payload.get("style")
            if style is not None and style not in DALLE3_STYLES:
                return self._error(400, f"Invalid style {style!r}.", "invalid_value", param="style")
            response_format = payload.get("response_format", "url")
            if response_format not in ("url", "b64_json"):
                return self._error(400, "Invalid response_format.", "invalid_value", param="response_format")
            w, h = (int(v) for v in size.split("x"))
            item = {"revised_prompt": "revised: " + prompt[:200]}
            png = _png(w, h, f"{prompt}|dalle3|{len(self.state.requests)}")
            if response_format == "b64_json":
                item["b64_json"] = base64.b64encode(png).decode()
            else:
                item["url"] = "https://example.invalid/not-served.png"
            return self._send(200, {"created": 1767225600, "data": [item]})
        # gpt-image family
        for unknown in ("response_format", "style"):
            if unknown in payload:
                return self._error(400, f"Unknown parameter: '{unknown}'.", "unknown_parameter",
                                   param=unknown)
        return self._gpt_image(model, prompt, n, size, quality)

    def _gpt_image(self, model: str, prompt: str, n, size: str, quality, inputs: list | None = None):
        """A gpt-image answer after checking n, size (the model's own set) and quality."""
        if not isinstance(n, int) or not 1 <= n <= 10:
            return self._error(400, "n must be between 1 and 10.", "invalid_value", param="n")
        sizes = GPT_IMAGE_2_SIZES if "gpt-image-2" in model else GPT_IMAGE_SIZES
        if size not in sizes:
            listed = ", ".join(f"'{s}'" for s in sorted(sizes))
            return self._error(400, f"Invalid value: '{size}'. Supported values are: {listed}.",
                               "invalid_value", param="size")
        if quality is not None and quality not in GPT_IMAGE_QUALITIES:
            return self._error(400, f"Invalid value: '{quality}'. Supported values are: 'low', 'medium', "
                               "'high', and 'auto'.", "invalid_value", param="quality")
        if size == "auto":
            size = "1024x1024"
        w, h = (int(v) for v in size.split("x"))
        seed = prompt + "".join(hashlib.sha256(part.data).hexdigest()[:8] for part in inputs or [])
        data = [{"b64_json": base64.b64encode(_png(w, h, f"{seed}|{i}")).decode()} for i in range(n)]
        input_tokens = 50 + 323 * len(inputs or [])
        return self._send(200, {
            "created": 1767225600, "data": data, "background": "opaque", "output_format": "png",
            "quality": quality or "auto", "size": size,
            "usage": {"input_tokens": input_tokens, "output_tokens": 4160 * n,
                      "total_tokens": input_tokens + 4160 * n},
        })

    def _edits(self, record: RecordedRequest, deployment: str | None):
        """POST images/edits: multipart fields and one or more `image[]` files (gpt-image only)."""
        if not record.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            return self._error(400, "Invalid content type: images edits take multipart/form-data.",
                               "invalid_request_error")
        form, images = record.form, record.images
        model = (deployment or form.get("model") or "").lower()
        if "dall-e" in model:
            return self._error(400, f"The model '{model}' does not support image edits with these inputs.",
                               "invalid_value", param="model")
        prompt = form.get("prompt", "")
        if not prompt.strip():
            return self._error(400, "Missing required parameter: 'prompt'.", "missing_required_parameter",
                               param="prompt")
        if not images:
            return self._error(400, "Missing required parameter: 'image'.", "missing_required_parameter",
                               param="image")
        if len(images) > MAX_EDIT_IMAGES:
            return self._error(400, f"Too many images: at most {MAX_EDIT_IMAGES} may be given.",
                               "invalid_value", param="image")
        for index, part in enumerate(images):
            if part.data[:8] != b"\x89PNG\r\n\x1a\n" and part.data[:3] != b"\xff\xd8\xff" \
                    and not (part.data[:4] == b"RIFF" and part.data[8:12] == b"WEBP"):
                return self._error(400, f"Invalid image file or mode for image {index}: use png, webp or jpg.",
                                   "invalid_image_format", param="image")
            if len(part.data) > self.state.max_edit_image_bytes:
                limit = self.state.max_edit_image_bytes // (1024 * 1024)
                return self._error(400, f"Image {index} is too large: each image must be less than {limit}MB.",
                                   "image_too_large", param="image")
        try:
            n = int(form.get("n", "1"))
        except ValueError:
            return self._error(400, "n must be an integer.", "invalid_value", param="n")
        return self._gpt_image(model, prompt, n, form.get("size", "auto"), form.get("quality"), images)

    def _issue_token(self):
        with self.state.lock:
            self.state.tokens_issued += 1
            number = self.state.tokens_issued
        token = "eyJhbGciOiJodHRwOi8vd3d3LnczLm9yZy8yMDAxLzA0L3htbGRzaWctbW9yZSNobWFjLXNoYTI1NiJ9." \
                + base64.urlsafe_b64encode(json.dumps({"n": number}).encode()).decode().rstrip("=") \
                + ".fake-signature"
        self._send(200, token, content_type="text/plain; charset=utf-8")


class FakeOpenAIServer:
    """`with FakeOpenAIServer() as server:` ... `server.azure_endpoint`, `server.requests`."""

    def __init__(self):
        self.state = FakeState()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> FakeOpenAIServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.state = self.state  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # addresses
    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def azure_endpoint(self) -> str:
        return self.url

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    # credentials it accepts
    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def speech_key(self) -> str:
        return self.state.speech_key

    # what it was sent
    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def requests_for(self, api: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.api == api]

    def reset(self) -> None:
        with self.state.lock:
            self.state.requests.clear()
            self.state.script.clear()
            self.state.chat_reply = None

    # what it answers
    def set_chat_reply(self, reply) -> None:
        self.state.chat_reply = reply

    def _push(self, count: int, item: Scripted) -> None:
        with self.state.lock:
            for _ in range(count):
                self.state.script.append(Scripted(**item.__dict__))

    def rate_limit_next(self, count: int = 1, *, retry_after: float | None = 2,
                        retry_after_ms: float | None = None, api: str | None = None) -> None:
        self._push(count, Scripted("rate_limit", api, 429, retry_after, retry_after_ms))

    def server_error_next(self, count: int = 1, *, status: int = 500, api: str | None = None,
                          retry_after: float | None = None) -> None:
        self._push(count, Scripted("server_error", api, status, retry_after))

    def content_filter_next(self, count: int = 1, *, api: str | None = None, category: str = "violence") -> None:
        """Azure's 400 refusal: code content_filter (chat) / content_policy_violation (images)."""
        self._push(count, Scripted("content_filter", api, 400, category=category))

    def completion_filter_next(self, count: int = 1, *, category: str = "sexual") -> None:
        """A chat completion whose output was filtered: 200 with finish_reason "content_filter"."""
        self._push(count, Scripted("completion_filter", "chat", 200, category=category))

    def delay_next(self, count: int = 1, *, seconds: float, api: str | None = None) -> None:
        """Answer normally but only after `seconds` (longer than the client's timeout: a timeout)."""
        self._push(count, Scripted("delay", api, 200, seconds=seconds))


def main(argv=None) -> None:
    """`python -m tests.fakes.openai_server [--port N]`: serve until interrupted (manual runs, devhost).
    Point the app at it with AZURE_OPENAI_ENDPOINT=<url>, AZURE_OPENAI_API_KEY=test-azure-key,
    SPEECH_ENDPOINT=<url>, SPEECH_KEY=test-speech-key, SPEECH_REGION=<any>."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = FakeOpenAIServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    httpd.daemon_threads = True
    httpd.state = server.state  # type: ignore[attr-defined]
    print(f"fake Azure OpenAI / Speech STS on http://127.0.0.1:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
