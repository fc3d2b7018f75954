"""shared.references.embedding on the tiny test model: tokenisation of Hangul, CLIP preprocessing, vectors."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

ORDINARY_WORDS = ["경복궁", "한옥", "비빔밥", "떡볶이", "저녁노을", "골목길", "포장마차", "달빛", "서울역",
                  "해돋이", "설렁탕", "초가집", "돌담길", "벚꽃", "한강"]


def _png(size=(320, 200), mode="RGB", color=(200, 40, 90), seed=0) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode if mode != "P" else "RGB"]
    array = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    image = Image.fromarray(array.squeeze() if channels == 1 else array, "L" if channels == 1 else
                            ("RGBA" if channels == 4 else "RGB"))
    if mode == "P":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_hangul_words_tokenise_without_unk(embedding_env):
    from shared.references.embedding import embedder, is_test_model_in_use

    assert is_test_model_in_use() is True

    tokenizer = embedder().tokenizer()
    unk = tokenizer.token_to_id("[UNK]")
    for word in ORDINARY_WORDS + ["경복궁의 기와 지붕 위로 뜬 보름달", "Seoul 남산타워 N서울타워"]:
        ids = tokenizer.encode(word).ids
        assert unk not in ids, (word, [tokenizer.id_to_token(i) for i in ids])
    tokens = tokenizer.encode("Seoul").tokens
    assert "S" in "".join(tokens), "the tokenizer must keep case"


def test_lowercasing_normaliser_would_break_hangul():
    """Why the tokenizer keeps accents: BERT's lowercasing normaliser decomposes syllables into jamo."""
    from tokenizers import normalizers

    from scripts.export_koclip import build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    unk = tokenizer.token_to_id("[UNK]")
    assert unk not in tokenizer.encode("경복궁").ids
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    assert unk in tokenizer.encode("경복궁").ids


@pytest.mark.parametrize("size,mode", [
    ((320, 200), "RGB"), ((200, 320), "RGB"), ((224, 224), "RGB"), ((1001, 333), "RGB"),
    ((97, 150), "RGB"), ((300, 300), "RGBA"), ((257, 411), "L"), ((260, 260), "P"),
])
def test_preprocessing_equals_clip_image_processor(embedding_env, size, mode):
    import transformers  # the reference implementation; a missing one fails, it does not skip

    from shared.references.embedding import embedder, open_image

    processor = transformers.CLIPImageProcessor.from_pretrained(str(embedding_env))
    data = _png(size, mode, seed=size[0])
    ours = embedder().pixel_values([data])
    theirs = processor(images=[open_image(data)], return_tensors="np")["pixel_values"]
    assert ours.shape == theirs.shape == (1, 3, 224, 224)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_text_embeddings_are_normalised_and_batch_independent(embedding_env):
    from shared.references.embedding import embed_texts

    texts = ["경복궁 야경", "비빔밥 한 그릇", "한복 입은 사람들이 있는 한옥 마당의 연등 축제 풍경"]
    batch = embed_texts(texts)
    assert batch.shape == (3, 512) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    for i, text in enumerate(texts):  # padding inside a batch must not change a vector
        from shared.references.embedding import embedder

        single = embedder()._run_text([text])[0]
        np.testing.assert_allclose(single, batch[i], atol=1e-5)
    assert float(batch[0] @ batch[1]) < 0.9999


def test_query_cache_returns_same_vector_and_is_not_shared_mutable(embedding_env):
    from shared.references.embedding import embed_texts, embedder

    first = embed_texts(["남산 타워"])
    assert embedder().cache_size() == 1
    first[0, :] = 0  # the caller owns its array; the cache must not change
    second = embed_texts(["남산 타워", "남산 타워", "한강"])
    assert embedder().cache_size() == 2
    assert np.linalg.norm(second[0]) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(second[0], second[1])


def test_image_embeddings(embedding_env):
    from shared.references.embedding import embed_images

    vectors = embed_images([_png(seed=1), _png((500, 300), "RGBA", seed=2), _png(seed=1)])
    assert vectors.shape == (3, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)
    assert float(vectors[0] @ vectors[1]) < 0.9999


def test_unreadable_image_is_a_korean_validation_error(embedding_env):
    from shared.core.errors import ValidationError
    from shared.references.embedding import embed_images

    with pytest.raises(ValidationError) as caught:
        embed_images([b"not an image at all"])
    assert "이미지" in caught.value.message


def test_precision_setting_picks_the_int8_graph(embedding_env, monkeypatch):
    from shared.core import config
    from shared.references import embedding

    fp32 = embedding.embed_texts(["부산 해운대 바다"])[0]
    assert embedding.embedder()._graph_path("text").name == "text.onnx"
    monkeypatch.setenv("EMBEDDING_PRECISION", "int8")
    config.reset_settings()
    assert embedding.embedder()._graph_path("text").name == "text.int8.onnx"
    int8 = embedding.embed_texts(["부산 해운대 바다"])[0]
    assert not np.array_equal(fp32, int8)
    assert float(fp32 @ int8) > 0.98


def test_missing_model_is_a_korean_not_configured_error(tmp_path, monkeypatch):
    from shared.core import config
    from shared.core.errors import ServiceNotConfigured
    from shared.references import embedding

    monkeypatch.setenv("EMBEDDING_MODEL_DIR", str(tmp_path / "nowhere"))
    config.reset_settings()
    embedding.reset()
    try:
        with pytest.raises(ServiceNotConfigured) as caught:
            embedding.embed_texts(["한강"])
        assert "임베딩 모델" in caught.value.message
        assert embedding.is_test_model_in_use() is None
    finally:
        config.reset_settings()
        embedding.reset()


def test_import_loads_no_heavy_modules():
    code = ("import sys, shared.references.embedding; "
            "print(','.join(m for m in ('onnxruntime', 'numpy', 'tokenizers', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
