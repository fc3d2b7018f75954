"""KoCLIP-size embedding: PyTorch fp32 vs onnxruntime fp32 vs onnxruntime int8, in one run.

    .venv/bin/python -m bench.embedding [--threads 2] [--repeat 20]

Builds a randomly initialised model of KoCLIP's size (klue/roberta-large text encoder config, CLIP
ViT-B/32 vision encoder, 512-d projection), exports it with scripts/export_koclip.py into a temporary
folder, then measures session load, single-query and batch latency for both towers, and the cosine
agreement of int8 with fp32. The ONNX paths go through shared.embedding (tokenizer and preprocessing
included); the PyTorch path runs the same towers on the same inputs.
Goal: int8 text query at least 5x faster than PyTorch, with cosine >= 0.98.
Needs requirements-export.txt (torch, transformers). Uses about 4 GB of disk in the temp folder.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

QUERY = "노을 지는 경복궁 근정전의 겹처마 기와 지붕과 붉은 기둥"  # about 16 tokens
TEXT_BATCH = 16
IMAGE_BATCH = 8
TEXT_GOAL_SPEEDUP = 5.0
COSINE_GOAL = 0.98


def build_base_size_model(vocab_size: int):
    import torch
    from transformers import (
        CLIPVisionConfig,
        RobertaConfig,
        VisionTextDualEncoderConfig,
        VisionTextDualEncoderModel,
    )

    torch.manual_seed(0)
    text = RobertaConfig(  # klue/roberta-large
        vocab_size=max(32000, vocab_size), hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
        intermediate_size=4096, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
        bos_token_id=0, eos_token_id=2)
    vision = CLIPVisionConfig(  # openai/clip-vit-base-patch32
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        image_size=224, patch_size=32, projection_dim=512)
    config = VisionTextDualEncoderConfig.from_vision_text_configs(vision, text, projection_dim=512)
    return VisionTextDualEncoderModel(config).eval()


def timed(fn, repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def sample_images(count: int) -> list[bytes]:
    import numpy as np
    from PIL import Image

    images = []
    for i in range(count):
        pixels = np.random.default_rng(i).integers(0, 256, (300 + 10 * i, 400, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buffer, "PNG")
        images.append(buffer.getvalue())
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="export into this folder and keep it")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from scripts import export_koclip
    from shared.references.embedding import Embedder

    torch.set_num_threads(args.threads)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-koclip-"))
    try:
        tokenizer = export_koclip.build_tiny_tokenizer()
        tokenizer.enable_truncation(512)
        started = time.perf_counter()
        model = build_base_size_model(tokenizer.get_vocab_size())
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(f"model: random weights, KoCLIP-base size ({params:.0f}M parameters), "
              f"built in {time.perf_counter() - started:.1f} s; threads={args.threads}")
        started = time.perf_counter()
        export_koclip.export_model(model, tokenizer, export_koclip.clip_preprocessor_config(), workdir,
                                   source="bench: random KoCLIP-base size", test_model=True, max_length=512,
                                   log=lambda m: print("  export" + m.replace("  ", " ", 1)))
        print(f"export + int8 quantisation: {time.perf_counter() - started:.1f} s")
        for name in ("text.onnx", "text.int8.onnx", "vision.onnx", "vision.int8.onnx"):
            print(f"  {name:18s} {(workdir / name).stat().st_size / 1e6:8.1f} MB")

        text_tower, vision_tower = export_koclip.towers(model)
        fp32 = Embedder(workdir, "fp32", args.threads)
        int8 = Embedder(workdir, "int8", args.threads)

        print("\nsession load (ms):")
        loads = {}
        for label, embedder in (("ORT fp32", fp32), ("ORT int8", int8)):
            for tower in ("text", "vision"):
                started = time.perf_counter()
                getattr(embedder, f"{tower}_session")()
                loads[(label, tower)] = (time.perf_counter() - started) * 1000
            print(f"  {label}: text {loads[(label, 'text')]:7.0f}   vision {loads[(label, 'vision')]:7.0f}")
        embedder_tokenizer = fp32.tokenizer()

        texts = [QUERY] + [f"{QUERY} {i}번째 장면, 비 오는 밤의 골목" for i in range(TEXT_BATCH - 1)]
        query_tokens = len(embedder_tokenizer.encode(QUERY).ids)
        images = sample_images(IMAGE_BATCH)

        def torch_text(batch):
            ids, mask = fp32.tokenize(batch)
            with torch.no_grad():
                return text_tower(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

        def torch_image(batch):
            pixels = fp32.pixel_values(batch)
            with torch.no_grad():
                return vision_tower(torch.from_numpy(pixels)).numpy()

        rows = []
        cases = [
            (f"text 1x{query_tokens} tokens", lambda: torch_text([QUERY]), lambda e: e._run_text([QUERY])),
            (f"text batch {TEXT_BATCH}", lambda: torch_text(texts), lambda e: e._run_text(texts)),
            ("image 1x224", lambda: torch_image(images[:1]), lambda e: e.embed_images(images[:1])),
            (f"image batch {IMAGE_BATCH}", lambda: torch_image(images), lambda e: e.embed_images(images)),
        ]
        print("\nlatency p50 (ms), same inputs, tokenizer/preprocessing included:")
        print(f"  {'case':22s} {'PyTorch fp32':>13s} {'ORT fp32':>10s} {'ORT int8':>10s} {'int8 speedup':>13s}")
        for label, torch_fn, ort_fn in cases:
            repeat = args.repeat if "1x" in label else max(3, args.repeat // 4)
            t = p50(timed(torch_fn, repeat))
            f = p50(timed(lambda fn=ort_fn: fn(fp32), repeat))
            q = p50(timed(lambda fn=ort_fn: fn(int8), repeat))
            rows.append((label, t, f, q))
            print(f"  {label:22s} {t:13.1f} {f:10.1f} {q:10.1f} {t / q:12.1f}x")

        agreement_texts = texts + ["비빔밥", "한옥 마당의 청사초롱", "해운대 바다 야경", "설악산 능선"]
        cos_text = (fp32._run_text(agreement_texts) * int8._run_text(agreement_texts)).sum(1)
        cos_image = (fp32.embed_images(images) * int8.embed_images(images)).sum(1)
        torch_vs_ort = float(np.abs(torch_text(texts) - fp32._run_text(texts)).max())
        print("\nagreement:")
        print(f"  ORT fp32 vs PyTorch, text batch: max abs diff {torch_vs_ort:.2e}")
        print(f"  int8 vs fp32 cosine, text ({len(agreement_texts)}): mean {cos_text.mean():.4f} min {cos_text.min():.4f}")
        print(f"  int8 vs fp32 cosine, image ({len(images)}): mean {cos_image.mean():.4f} min {cos_image.min():.4f}")

        speedup = rows[0][1] / rows[0][3]
        ok = speedup >= TEXT_GOAL_SPEEDUP and cos_text.min() >= COSINE_GOAL
        print(f"\ngoal: int8 text query >= {TEXT_GOAL_SPEEDUP:.0f}x faster than PyTorch with cosine >= {COSINE_GOAL}: "
              f"{speedup:.1f}x, min cosine {cos_text.min():.4f} -> {'MET' if ok else 'NOT MET'}")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
