"""Export KoCLIP (a VisionTextDualEncoder: RoBERTa text encoder + CLIP ViT vision encoder) to ONNX.

    python -m scripts.export_koclip --model koclip/koclip-base-pt --output .data/models/koclip-base
    python -m scripts.export_koclip --tiny --output .data/models/koclip-tiny

Writes two graphs (text tower, vision tower), each returning the L2-normalised projection, their int8
dynamically quantised copies, tokenizer.json, preprocessor_config.json (CLIP image preprocessing) and
manifest.json (source, dimensions, checksums). The runtime (shared.references.embedding) needs only onnxruntime,
tokenizers, numpy and Pillow; torch and transformers are export-time tools (requirements-export.txt).

`--tiny` builds a small randomly initialised model of the same architecture offline, with a WordPiece
tokenizer that keeps Hangul syllables whole. It is a TEST MODEL: its embeddings carry no meaning, and
the manifest says so ("test_model": true).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

EMBEDDING_DIM = 512
FORMAT_VERSION = 1
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
TEXT_FP32, TEXT_INT8 = "text.onnx", "text.int8.onnx"
VISION_FP32, VISION_INT8 = "vision.onnx", "vision.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
MANIFEST_FILE = "manifest.json"
TINY_MAX_LENGTH = 64
TEST_MODEL_NOTICE = "TEST MODEL: randomly initialised weights, embeddings carry no meaning"

# klue/roberta's special tokens, in its order: the tiny tokenizer copies it so ids line up.
SPECIAL_TOKENS = ["[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"]

# Words the tiny tokenizer keeps whole (the rest falls back to single syllables, never [UNK]).
TINY_WORDS = (
    "국내명소 명소 음식 한국문화 문화 콘티 스케치 채색 기본 명암 배경 "
    "경복궁 궁궐 기와 지붕 남산 타워 서울 부산 해운대 바다 산 한라산 설악산 강 다리 성곽 탑 절 "
    "비빔밥 김치 떡볶이 불고기 국밥 냉면 김밥 삼겹살 그릇 접시 상 식탁 젓가락 숟가락 시장 포장마차 "
    "한옥 한복 등불 연등 초롱 부채 탈 기와집 마당 대청 전통 축제 무늬 "
    "밤 낮 아침 저녁 노을 하늘 구름 비 눈 봄 여름 가을 겨울 거리 골목 풍경 사람 "
    "그림 선화 러프 완성 색 빛 그림자 조명 분위기 따뜻한 차가운 오래된 새로운 큰 작은 "
    "의 이 가 은 는 을 를 에 에서 와 과 로 으로 있는 보이는"
).split()


@dataclass
class Exported:
    output: Path
    manifest: dict
    model: object = None  # the torch model the graphs came from (tests compare against it)
    tokenizer: object = None  # tokenizers.Tokenizer


# --- wrappers: each tower returns the L2-normalised projection -----------------------------------

def _wrappers():
    import torch

    class TextTower(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.text_model = model.text_model
            self.text_projection = model.text_projection

        def forward(self, input_ids, attention_mask):
            out = self.text_model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
            projected = self.text_projection(out.pooler_output)
            return projected / projected.norm(p=2, dim=-1, keepdim=True)

    class VisionTower(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.vision_model = model.vision_model
            self.visual_projection = model.visual_projection

        def forward(self, pixel_values):
            out = self.vision_model(pixel_values=pixel_values, return_dict=True)
            projected = self.visual_projection(out.pooler_output)
            return projected / projected.norm(p=2, dim=-1, keepdim=True)

    return TextTower, VisionTower


def towers(model):
    """(text tower, vision tower) as torch modules in eval mode: what gets exported, and what the
    agreement test compares the ONNX graphs against."""
    TextTower, VisionTower = _wrappers()
    return TextTower(model).eval(), VisionTower(model).eval()


# --- the tiny test model ------------------------------------------------------------------------

def hangul_syllables() -> list[str]:
    """All 11,172 precomposed Hangul syllables: any Korean word falls back to syllables, never [UNK]."""
    return [chr(code) for code in range(0xAC00, 0xD7A4)]


def build_tiny_tokenizer():
    """A WordPiece tokenizer like klue/roberta's (BERT-style, cased, accents kept), built offline.

    Lowercasing or accent stripping would decompose Hangul syllables (NFD) into jamo that are not in
    the vocabulary, so every Korean word would become [UNK]: both stay off.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    ascii_chars = [chr(c) for c in range(33, 127)]
    vocab: dict[str, int] = {}
    for token in SPECIAL_TOKENS + TINY_WORDS + ascii_chars + hangul_syllables():
        vocab.setdefault(token, len(vocab))
    for token in ascii_chars + hangul_syllables():
        vocab.setdefault("##" + token, len(vocab))
    for word in TINY_WORDS:  # word endings after a syllable ("경복궁의" → 경복궁 ##의)
        vocab.setdefault("##" + word, len(vocab))

    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer


def build_tiny_model(vocab_size: int, *, seed: int = 0):
    """A VisionTextDualEncoderModel with KoCLIP's architecture at a tiny size, random weights."""
    import torch
    from transformers import (
        CLIPVisionConfig,
        RobertaConfig,
        VisionTextDualEncoderConfig,
        VisionTextDualEncoderModel,
    )

    torch.manual_seed(seed)
    # Wider initial weights than training would use (0.02): at that scale a tiny random model maps
    # every sentence to nearly the same vector, which makes a poor stand-in for search.
    spread = 0.2
    text = RobertaConfig(
        initializer_range=spread,
        vocab_size=vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=128, max_position_embeddings=TINY_MAX_LENGTH + 2, type_vocab_size=1,
        pad_token_id=SPECIAL_TOKENS.index("[PAD]"), bos_token_id=SPECIAL_TOKENS.index("[CLS]"),
        eos_token_id=SPECIAL_TOKENS.index("[SEP]"))
    vision = CLIPVisionConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        image_size=224, patch_size=32, projection_dim=EMBEDDING_DIM, initializer_range=spread,
        initializer_factor=spread / 0.02)
    config = VisionTextDualEncoderConfig.from_vision_text_configs(
        vision, text, projection_dim=EMBEDDING_DIM)
    model = VisionTextDualEncoderModel(config)
    return model.eval()


def clip_preprocessor_config() -> dict:
    """CLIP's image preprocessing (openai/clip-vit-base-patch32), as CLIPImageProcessor saves it."""
    return {
        "image_processor_type": "CLIPImageProcessor",
        "do_convert_rgb": True,
        "do_resize": True,
        "size": {"shortest_edge": 224},
        "resample": 3,  # PIL bicubic
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": OPENAI_CLIP_MEAN,
        "image_std": OPENAI_CLIP_STD,
    }


# --- export -------------------------------------------------------------------------------------

def _export_graph(module, args: tuple, path: Path, input_names: list[str], dynamic_axes: dict) -> None:
    import warnings

    import torch

    # The TorchScript exporter: still in torch 2.13, exports these towers in a fraction of a second
    # with dynamic batch/sequence axes, and needs no onnxscript. Its tracer warnings concern branches
    # that are constant for these inputs (no causal mask, fixed image size); the agreement test checks
    # other batch sizes and lengths against PyTorch.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, args, str(path), input_names=input_names, output_names=["embeddings"],
            dynamic_axes={**dynamic_axes, "embeddings": {0: "batch"}}, opset_version=18,
            dynamo=False)


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations quantised at run time)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process is for static quantisation
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_model(model, tokenizer, preprocessor: dict, output: Path, *, source: str, test_model: bool,
                 max_length: int, quantize: bool = True, log=print) -> Exported:
    """Export a VisionTextDualEncoderModel's towers and everything the runtime needs into `output`.

    `tokenizer` is a `tokenizers.Tokenizer` (the fast tokenizer's backend for a real model).
    """
    import torch

    output.mkdir(parents=True, exist_ok=True)
    text_tower, vision_tower = towers(model)
    pad_id = int(model.config.text_config.pad_token_id)

    sample = tokenizer.encode("경복궁 기와 지붕").ids
    input_ids = torch.tensor([sample, sample[:3] + [pad_id] * (len(sample) - 3)], dtype=torch.long)
    attention_mask = (input_ids != pad_id).long()
    started = time.perf_counter()
    _export_graph(text_tower, (input_ids, attention_mask), output / TEXT_FP32,
                  ["input_ids", "attention_mask"],
                  {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}})
    log(f"  텍스트 인코더 → {TEXT_FP32} ({time.perf_counter() - started:.1f}초)")

    size = preprocessor["crop_size"]
    pixels = torch.randn(2, 3, size["height"], size["width"])
    started = time.perf_counter()
    _export_graph(vision_tower, (pixels,), output / VISION_FP32, ["pixel_values"],
                  {"pixel_values": {0: "batch"}})
    log(f"  이미지 인코더 → {VISION_FP32} ({time.perf_counter() - started:.1f}초)")

    files = [TEXT_FP32, VISION_FP32]
    if quantize:
        for fp32, int8 in ((TEXT_FP32, TEXT_INT8), (VISION_FP32, VISION_INT8)):
            started = time.perf_counter()
            quantize_int8(output / fp32, output / int8)
            files.append(int8)
            log(f"  int8 양자화 → {int8} ({time.perf_counter() - started:.1f}초)")

    tokenizer.save(str(output / TOKENIZER_FILE))
    (output / PREPROCESSOR_FILE).write_text(json.dumps(preprocessor, indent=2), encoding="utf-8")
    files += [TOKENIZER_FILE, PREPROCESSOR_FILE]

    import onnx
    import transformers

    manifest = {
        "format": FORMAT_VERSION,
        "name": "koclip-tiny (TEST MODEL)" if test_model else f"koclip ({source})",
        "test_model": test_model,
        "notice": TEST_MODEL_NOTICE if test_model else "",
        "source": source,
        "architecture": "VisionTextDualEncoder: RoBERTa text encoder + CLIP ViT vision encoder",
        "embedding_dim": EMBEDDING_DIM,
        "normalized": True,
        "text": {
            "fp32": TEXT_FP32, "int8": TEXT_INT8 if quantize else None,
            "inputs": ["input_ids", "attention_mask"], "max_length": max_length, "pad_token_id": pad_id,
            "hidden_size": model.config.text_config.hidden_size,
            "layers": model.config.text_config.num_hidden_layers,
        },
        "vision": {
            "fp32": VISION_FP32, "int8": VISION_INT8 if quantize else None, "inputs": ["pixel_values"],
            "image_size": model.config.vision_config.image_size,
            "patch_size": model.config.vision_config.patch_size,
            "hidden_size": model.config.vision_config.hidden_size,
            "layers": model.config.vision_config.num_hidden_layers,
        },
        "tokenizer": TOKENIZER_FILE,
        "preprocessor": PREPROCESSOR_FILE,
        "image_preprocessing": {
            "resize_shortest_edge": preprocessor["size"]["shortest_edge"],
            "resample": "bicubic",
            "crop": [preprocessor["crop_size"]["height"], preprocessor["crop_size"]["width"]],
            "rescale_factor": preprocessor["rescale_factor"],
            "mean": preprocessor["image_mean"],
            "std": preprocessor["image_std"],
        },
        "sha256": {name: sha256_file(output / name) for name in files},
        "exported_with": {"torch": torch.__version__, "transformers": transformers.__version__,
                          "onnx": onnx.__version__},
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (output / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return Exported(output, manifest, model, tokenizer)


def export_tiny(output: Path, *, quantize: bool = True, log=print) -> Exported:
    tokenizer = build_tiny_tokenizer()
    tokenizer.enable_truncation(TINY_MAX_LENGTH)
    model = build_tiny_model(tokenizer.get_vocab_size())
    return export_model(model, tokenizer, clip_preprocessor_config(), output, source="tiny (random weights)",
                        test_model=True, max_length=TINY_MAX_LENGTH, quantize=quantize, log=log)


def export_pretrained(model_id: str, output: Path, *, quantize: bool = True, log=print) -> Exported:
    """A real KoCLIP checkpoint from a model id (needs the hub) or a local directory."""
    from transformers import AutoTokenizer, VisionTextDualEncoderModel

    model = VisionTextDualEncoderModel.from_pretrained(model_id).eval()
    fast = AutoTokenizer.from_pretrained(model_id, use_fast=True)
    max_length = min(int(model.config.text_config.max_position_embeddings) - 2, 512)
    tokenizer = fast.backend_tokenizer
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    preprocessor = clip_preprocessor_config()
    try:
        from transformers import CLIPImageProcessor

        loaded = CLIPImageProcessor.from_pretrained(model_id).to_dict()
        preprocessor.update({k: loaded[k] for k in preprocessor if k in loaded})
        preprocessor["image_processor_type"] = "CLIPImageProcessor"
    except OSError:
        log("  이미지 전처리 설정이 없어 CLIP 기본값을 씁니다.")
    return export_model(model, tokenizer, preprocessor, output, source=model_id, test_model=False,
                        max_length=max_length, quantize=quantize, log=log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="KoCLIP을 ONNX 그래프 두 개(텍스트, 이미지)로 내보냅니다.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="모델 id 또는 로컬 폴더 (예: koclip/koclip-base-pt)")
    source.add_argument("--tiny", action="store_true", help="오프라인 테스트용 작은 무작위 모델")
    parser.add_argument("--output", required=True, type=Path, help="결과 폴더")
    parser.add_argument("--no-int8", action="store_true", help="int8 양자화 사본을 만들지 않음")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.tiny:
        print(f"테스트용 작은 KoCLIP 모델(무작위 가중치)을 {args.output}에 내보냅니다 ...", flush=True)
        exported = export_tiny(args.output, quantize=not args.no_int8)
    else:
        print(f"KoCLIP 모델 {args.model}을(를) {args.output}에 내보냅니다 ...", flush=True)
        exported = export_pretrained(args.model, args.output, quantize=not args.no_int8)
    notice = " ※ 테스트 모델: 임베딩에 의미가 없습니다." if exported.manifest["test_model"] else ""
    print(f"완료 ({time.perf_counter() - started:.1f}초): {exported.output / MANIFEST_FILE}{notice}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
