"""scripts/export_koclip.py: the exported ONNX towers agree with PyTorch, and the folder says what it is."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch  # the export tools (requirements-export.txt): the session's tiny model needs them anyway

TEXTS = ["경복궁의 기와 지붕과 남산 타워가 보이는 저녁 풍경", "비빔밥", "한옥 마당에 걸린 초롱과 한복 입은 사람들",
         "떡볶이 포장마차가 늘어선 시장 골목의 밤, 따뜻한 조명"]


def _session(path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _padded(tokenizer, texts, pad_id):
    ids = [tokenizer.encode(t).ids for t in texts]
    length = max(map(len, ids))
    input_ids = np.array([i + [pad_id] * (length - len(i)) for i in ids], dtype=np.int64)
    return input_ids, (input_ids != pad_id).astype(np.int64)


@pytest.mark.parametrize("count", [1, 2, 4])
def test_text_tower_matches_pytorch(tiny_model, count):
    from scripts.export_koclip import towers

    text_tower, _ = towers(tiny_model.model)
    pad_id = tiny_model.manifest["text"]["pad_token_id"]
    input_ids, attention_mask = _padded(tiny_model.tokenizer, TEXTS[-count:], pad_id)
    onnx_out = _session(tiny_model.dir / "text.onnx").run(
        None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
    with torch.no_grad():
        torch_out = text_tower(torch.from_numpy(input_ids), torch.from_numpy(attention_mask)).numpy()
    assert onnx_out.shape == (count, 512)
    assert np.abs(onnx_out - torch_out).max() < 1e-4
    np.testing.assert_allclose(np.linalg.norm(onnx_out, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("count", [1, 3])
def test_vision_tower_matches_pytorch(tiny_model, count):
    from scripts.export_koclip import towers

    _, vision_tower = towers(tiny_model.model)
    pixels = np.random.default_rng(count).normal(size=(count, 3, 224, 224)).astype(np.float32)
    onnx_out = _session(tiny_model.dir / "vision.onnx").run(None, {"pixel_values": pixels})[0]
    with torch.no_grad():
        torch_out = vision_tower(torch.from_numpy(pixels)).numpy()
    assert onnx_out.shape == (count, 512)
    assert np.abs(onnx_out - torch_out).max() < 1e-4


def test_int8_graphs_are_smaller_and_close(tiny_model):
    for tower in ("text", "vision"):
        fp32 = tiny_model.dir / f"{tower}.onnx"
        int8 = tiny_model.dir / f"{tower}.int8.onnx"
        assert int8.stat().st_size < fp32.stat().st_size / 2
    pad_id = tiny_model.manifest["text"]["pad_token_id"]
    feeds = dict(zip(("input_ids", "attention_mask"), _padded(tiny_model.tokenizer, TEXTS, pad_id), strict=True))
    fp32_out = _session(tiny_model.dir / "text.onnx").run(None, feeds)[0]
    int8_out = _session(tiny_model.dir / "text.int8.onnx").run(None, feeds)[0]
    cosine = (fp32_out * int8_out).sum(1) / np.linalg.norm(int8_out, axis=1)
    assert cosine.min() > 0.98


def test_manifest_describes_a_test_model_with_checksums(tiny_model):
    from scripts.export_koclip import sha256_file

    manifest = json.loads((tiny_model.dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["test_model"] is True and "TEST MODEL" in manifest["name"]
    assert manifest["embedding_dim"] == 512
    assert manifest["image_preprocessing"]["resize_shortest_edge"] == 224
    assert set(manifest["sha256"]) == {"text.onnx", "text.int8.onnx", "vision.onnx", "vision.int8.onnx",
                                       "tokenizer.json", "preprocessor_config.json"}
    for name, digest in manifest["sha256"].items():
        assert sha256_file(tiny_model.dir / name) == digest, name


def test_cli_exports_and_says_it_is_a_test_model(tmp_path):
    out = subprocess.run([sys.executable, "-m", "scripts.export_koclip", "--tiny", "--no-int8",
                          "--output", str(tmp_path / "m")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "테스트 모델" in out.stdout
    assert (tmp_path / "m" / "text.onnx").is_file() and not (tmp_path / "m" / "text.int8.onnx").exists()
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["text"]["int8"] is None


def test_runtime_falls_back_to_fp32_when_no_int8_copy(tmp_path, monkeypatch):
    from scripts.export_koclip import export_tiny
    from shared.references.embedding import Embedder

    exported = export_tiny(tmp_path / "m", quantize=False, log=lambda *_: None)
    embedder = Embedder(exported.output, "int8")
    assert embedder._graph_path("text").name == "text.onnx"
    assert embedder.embed_texts(["한강 야경"]).shape == (1, 512)


def test_export_from_a_local_checkpoint_folder(tiny_model, tmp_path):
    """The --model path (a hub id or a folder saved by transformers), run offline on a saved copy of the
    tiny model: same graphs, the checkpoint's own tokenizer and image processor settings."""
    from transformers import CLIPImageProcessor, PreTrainedTokenizerFast

    from scripts.export_koclip import export_pretrained

    checkpoint = tmp_path / "checkpoint"
    tiny_model.model.save_pretrained(checkpoint)
    PreTrainedTokenizerFast(tokenizer_object=tiny_model.tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                            cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]").save_pretrained(checkpoint)
    CLIPImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}).save_pretrained(checkpoint)

    exported = export_pretrained(str(checkpoint), tmp_path / "out", quantize=False, log=lambda *_: None)
    manifest = exported.manifest
    assert manifest["test_model"] is False and manifest["source"] == str(checkpoint)
    assert manifest["text"]["max_length"] == 64 and manifest["text"]["pad_token_id"] == 1

    from shared.references.embedding import Embedder

    embedder = Embedder(exported.output, "fp32")
    text_tower, _ = towers_of(tiny_model)
    ids, mask = embedder.tokenize(TEXTS)
    with torch.no_grad():
        expected = text_tower(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    assert np.abs(embedder.embed_texts(TEXTS) - expected).max() < 1e-4
    assert embedder.tokenizer().encode(TEXTS[0]).ids == tiny_model.tokenizer.encode(TEXTS[0]).ids


def towers_of(tiny_model):
    from scripts.export_koclip import towers

    return towers(tiny_model.model)
