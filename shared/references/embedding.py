"""Text and image embeddings from the KoCLIP towers exported to ONNX (scripts/export_koclip.py).

Only onnxruntime, tokenizers, numpy and Pillow at run time, each imported when first needed (cold
start). One `Embedder` per process, its sessions created on first use; vectors are float32, 512-d,
L2-normalised, so cosine similarity is a dot product. EMBEDDING_PRECISION picks the int8 or fp32 graph.

    embed_texts(["경복궁 야경"])      -> ndarray (1, 512)
    embed_images([png_bytes, ...])    -> ndarray (n, 512)
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from shared.core.config import Settings, get_settings
from shared.core.errors import AppError, ServiceNotConfigured, ValidationError
from shared.images import codec

log = logging.getLogger(__name__)

EMBEDDING_DIM = 512
TEXT_BATCH = 32
IMAGE_BATCH = 16
QUERY_CACHE_SIZE = 1024
MANIFEST_FILE = "manifest.json"

MODEL_MISSING_MESSAGE = (
    "임베딩 모델이 준비되지 않았습니다. `python -m scripts.export_koclip --tiny --output {dir}`로 "
    "테스트 모델을 만들거나 EMBEDDING_MODEL_DIR 설정을 확인해 주세요."
)
UNREADABLE_IMAGE_MESSAGE = "이미지를 읽을 수 없습니다. PNG나 JPEG 파일인지 확인해 주세요."


class ImagePreprocessor:
    """CLIP's image preprocessing in numpy, equal to CLIPImageProcessor's output: RGB (alpha over
    white), bicubic resize of the shortest side, centre crop, rescale, normalise; CHW float32."""

    def __init__(self, config: dict):
        self.shortest_edge = int(config["size"]["shortest_edge"])
        self.crop_height = int(config["crop_size"]["height"])
        self.crop_width = int(config["crop_size"]["width"])
        self.resample = int(config.get("resample", 3))
        self.rescale_factor = float(config.get("rescale_factor", 1 / 255))
        self.mean = config["image_mean"]
        self.std = config["image_std"]

    @staticmethod
    def to_rgb(image):
        return codec.flatten_rgb(image)

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        short, long = (width, height) if width <= height else (height, width)
        new_long = int(self.shortest_edge * long / short)
        return (self.shortest_edge, new_long) if width <= height else (new_long, self.shortest_edge)

    def __call__(self, image):  # -> numpy.ndarray (3, H, W) float32
        import numpy as np

        image = self.to_rgb(image)
        image = image.resize(self.resized_size(*image.size), resample=self.resample)
        pixels = np.asarray(image)
        height, width = pixels.shape[:2]
        top = (height - self.crop_height) // 2
        left = (width - self.crop_width) // 2
        if top < 0 or left < 0:  # only when the crop is larger than the resized image
            padded = np.zeros((max(height, self.crop_height), max(width, self.crop_width), 3), pixels.dtype)
            pad_top, pad_left = max(0, -top), max(0, -left)
            padded[pad_top:pad_top + height, pad_left:pad_left + width] = pixels
            pixels, top, left = padded, max(0, top), max(0, left)
        pixels = pixels[top:top + self.crop_height, left:left + self.crop_width]
        scaled = (pixels.astype(np.float64) * self.rescale_factor).astype(np.float32)
        scaled = (scaled - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(scaled.transpose(2, 0, 1))


class Embedder:
    """The two towers of one exported model. Sessions open on first use, once, thread-safely."""

    def __init__(self, model_dir: str | Path, precision: str = "int8", threads: int = 0):
        self.model_dir = Path(model_dir)
        self.precision = precision
        self.threads = threads
        self._lock = threading.Lock()
        self._manifest: dict | None = None
        self._tokenizer = None
        self._text_session = None
        self._vision_session = None
        self._preprocessor: ImagePreprocessor | None = None
        self._cache: OrderedDict[str, object] = OrderedDict()
        self._cache_lock = threading.Lock()

    # --- loading ------------------------------------------------------------------------------

    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            path = self.model_dir / MANIFEST_FILE
            if not path.is_file():
                raise ServiceNotConfigured(MODEL_MISSING_MESSAGE.format(dir=self.model_dir), code="model_missing")
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if manifest.get("test_model"):
                log.warning("embedding model %s is a TEST MODEL (random weights): vector similarity carries "
                            "no meaning, search relies on tags and captions", self.model_dir)
            self._manifest = manifest
        return self._manifest

    @property
    def is_test_model(self) -> bool:
        return bool(self.manifest.get("test_model"))

    def _graph_path(self, tower: str) -> Path:
        entry = self.manifest[tower]
        name = entry.get(self.precision) or entry["fp32"]  # a model exported without int8 copies
        return self.model_dir / name

    def _session(self, tower: str):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.threads > 0:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self._graph_path(tower)), options, providers=["CPUExecutionProvider"])

    def tokenizer(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    from tokenizers import Tokenizer

                    text = self.manifest["text"]
                    tokenizer = Tokenizer.from_file(str(self.model_dir / self.manifest["tokenizer"]))
                    tokenizer.enable_truncation(int(text["max_length"]))
                    pad_id = int(text["pad_token_id"])
                    tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id))
                    self._tokenizer = tokenizer
        return self._tokenizer

    def text_session(self):
        if self._text_session is None:
            with self._lock:
                if self._text_session is None:
                    self._text_session = self._session("text")
        return self._text_session

    def vision_session(self):
        if self._vision_session is None:
            with self._lock:
                if self._vision_session is None:
                    self._vision_session = self._session("vision")
        return self._vision_session

    def preprocessor(self) -> ImagePreprocessor:
        if self._preprocessor is None:
            config = json.loads((self.model_dir / self.manifest["preprocessor"]).read_text(encoding="utf-8"))
            self._preprocessor = ImagePreprocessor(config)
        return self._preprocessor

    def warm_up(self) -> None:
        """Open both sessions now (a worker that wants the load time off the first request)."""
        self.tokenizer()
        self.text_session()
        self.vision_session()

    # --- text ---------------------------------------------------------------------------------

    def tokenize(self, texts: list[str]) -> tuple:
        import numpy as np

        encodings = self.tokenizer().encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return input_ids, attention_mask

    def _run_text(self, texts: list[str]):
        import numpy as np

        outputs = []
        for start in range(0, len(texts), TEXT_BATCH):
            input_ids, attention_mask = self.tokenize(texts[start:start + TEXT_BATCH])
            outputs.append(self.text_session().run(
                None, {"input_ids": input_ids, "attention_mask": attention_mask})[0])
        return _normalised(np.concatenate(outputs))

    def embed_texts(self, texts: list[str]):
        """(n, 512) float32; repeated texts (queries) come from an LRU cache."""
        import numpy as np

        if not texts:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        texts = [str(t).strip() for t in texts]
        result = np.empty((len(texts), EMBEDDING_DIM), np.float32)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, text in enumerate(texts):
                cached = self._cache.get(text)
                if cached is not None:
                    self._cache.move_to_end(text)
                    result[i] = cached
                else:
                    missing.setdefault(text, []).append(i)
        if missing:
            unique = list(missing)
            vectors = self._run_text(unique)
            with self._cache_lock:
                for text, vector in zip(unique, vectors, strict=True):
                    result[missing[text]] = vector
                    vector = vector.copy()
                    vector.setflags(write=False)
                    self._cache[text] = vector
                    self._cache.move_to_end(text)
                while len(self._cache) > QUERY_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return result

    def cache_size(self) -> int:
        return len(self._cache)

    # --- images -------------------------------------------------------------------------------

    def pixel_values(self, images: list[bytes]):
        import numpy as np

        return np.stack([self.preprocessor()(open_image(data)) for data in images])

    def embed_images(self, images: list[bytes]):
        """(n, 512) float32 from encoded image bytes (PNG, JPEG, WebP ...)."""
        import numpy as np

        if not images:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        outputs = []
        for start in range(0, len(images), IMAGE_BATCH):
            pixels = self.pixel_values(images[start:start + IMAGE_BATCH])
            outputs.append(self.vision_session().run(None, {"pixel_values": pixels})[0])
        return _normalised(np.concatenate(outputs))


def open_image(data: bytes):
    """A decoded PIL image (shared.images.codec), or a Korean ValidationError for bytes that are not a
    readable image within the codec's limits."""
    try:
        return codec.open_image(data)
    except AppError as exc:
        if exc.status == 503:  # the decoder is busy: not the image's fault
            raise
        raise ValidationError(UNREADABLE_IMAGE_MESSAGE, code="unreadable_image") from None


def _normalised(vectors):
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)  # the graphs normalise already; int8 drifts slightly


_embedders: dict[tuple, Embedder] = {}
_embedders_lock = threading.Lock()


def embedder(settings: Settings | None = None) -> Embedder:
    """The process-wide Embedder for the configured model directory and precision."""
    settings = settings or get_settings()
    key = (settings.embedding_model_dir, settings.embedding_precision, settings.embedding_threads)
    found = _embedders.get(key)
    if found is None:
        with _embedders_lock:
            found = _embedders.get(key)
            if found is None:
                found = _embedders[key] = Embedder(*key)
    return found


def embed_texts(texts: list[str]):
    return embedder().embed_texts(texts)


def embed_images(images: list[bytes]):
    return embedder().embed_images(images)


def is_test_model_in_use() -> bool | None:
    """Whether the configured model is the random-weights test model (None: no model configured)."""
    try:
        return embedder().is_test_model
    except ServiceNotConfigured:
        return None


def reset() -> None:
    """Forget loaded models (tests that switch model directories)."""
    with _embedders_lock:
        _embedders.clear()
