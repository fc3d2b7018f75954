"""The `generation` section of bench/pipeline.py: per-stage latency of one offline generation.

Starts a private stack (Azurite + embedded PostgreSQL in a temporary folder, on free loopback
ports), exports the tiny test KoCLIP model, loads the sample reference set with the real loader, and
runs the step functions of shared/generation.py in process, in the order the orchestration runs
them, with the offline providers (local prompt composer, local renderer). The first generation of the
process (model/session loads, first Wand call) is shown apart from the median of the warm ones.
Each generation uses a new instance id, so nothing is served from a previous run's blobs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

STAGES = ("embed_query", "search_references", "write_prompt", "generate_image", "make_layers", "store_outputs")


@contextmanager
def private_stack():
    """Env values of a throwaway Azurite + PostgreSQL (+ the tiny model), stopped afterwards."""
    import devstack
    from scripts import export_koclip
    from shared.core import config
    from shared.db.schema import migrate

    root = Path(tempfile.mkdtemp(prefix="bench-generation-"))
    ports = (devstack.free_port(), devstack.free_port(), devstack.free_port())
    azurite = devstack.start_azurite(root / "azurite", ports)
    pgdata = root / "postgres"
    try:
        _, uri = devstack.start_postgres(pgdata)
        migrate(uri)
        model = export_koclip.export_tiny(root / "koclip-tiny", log=lambda *_: None)
        yield {
            "AzureWebJobsStorage": config.azurite_connection_string(*ports),
            "POSTGRES_URL": uri,
            "BENCH_SAMPLES_DIR": str(root / "samples"),
            "EMBEDDING_MODEL_DIR": str(model.output),
            "EMBEDDING_PRECISION": "int8",
            "PROMPT_PROVIDER": "local",
            "IMAGE_PROVIDER": "local",
        }
    finally:
        devstack.stop_postgres(pgdata)
        azurite.terminate()
        azurite.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def load_samples(folder: Path) -> int:
    """Draw the sample reference set (scripts/sample_references.py) and load it with the real loader;
    how many references are stored."""
    from scripts import sample_references as samples
    from shared.references import count, ingest

    metadata = samples.generate(folder, log=lambda *_: None)
    ingest.ingest(metadata.parent, metadata, progress=False, out=lambda *_: None)
    return count()


def one_generation(request: dict) -> dict[str, float]:
    """Seconds per stage of one generation, run exactly as the activities run the steps."""
    from shared.generation import steps as generation

    instance_id = f"bench-{uuid.uuid4().hex}"
    seconds: dict[str, float] = {}

    def step(name, **payload):
        t0 = time.perf_counter()
        run, job = generation.STEPS[name]
        result = run(job.from_dict(payload))
        seconds[name] = time.perf_counter() - t0
        return result

    embeddings = step("embed_query", request=request)
    refs = step("search_references", request=request, embeddings=embeddings)["references"]
    draft = step("write_prompt", request=request, references=refs)["draft"]
    images = step("generate_image", instance_id=instance_id, request=request, prompt=draft["prompt"],
                  references=refs)["images"]
    layered = [step("make_layers", instance_id=instance_id, image=image) for image in images]
    step("store_outputs", instance_id=instance_id, request=request, draft=draft, prompt=draft["prompt"],
         references=refs, images=[part["image"] for part in layered], layers=layered[0]["layers"],
         timings={k: round(v * 1000) for k, v in seconds.items()}, warnings=[])
    seconds["total"] = sum(seconds.values())
    seconds["references found"] = len(refs)
    return seconds


def over_devhost(env: dict, request: dict, runs: int) -> list[dict]:
    """Run generations over HTTP on devhost (the real app, this stack): per run the wall-clock seconds
    from POST to Completed as the site sees them (polling every 50 ms) and the output's own timings."""
    import requests

    from devhost.testing import DevHost
    from shared.core.config import PROJECT_ROOT

    body = {k: v for k, v in request.items() if k in ("category", "stage", "keywords", "description", "aspect")}
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-devhost-") as data_dir:
        with DevHost(app_dir=PROJECT_ROOT, data_dir=data_dir, env=env, startup_timeout=120) as host:
            for n in range(runs + 1):  # the first one warms the host's process
                t0 = time.perf_counter()
                started = requests.post(f"{host.base_url}/api/generations",
                                        json={**body, "description": f"{body['description']} [{n}]"}, timeout=30).json()
                while True:
                    status = requests.get(started["statusQueryGetUri"], timeout=30).json()
                    if status["runtimeStatus"] in ("Completed", "Failed", "Terminated"):
                        break
                    time.sleep(0.05)
                wall = time.perf_counter() - t0
                if status["runtimeStatus"] != "Completed":
                    raise RuntimeError(f"bench generation did not complete: {status}")
                results.append({"wall": wall, "timings": status["output"]["timings"]})
    return results


def generation_section(width: int = 1024, height: int = 1536, repeats: int = 3, **_) -> list:
    from bench.pipeline import Row
    from shared.core import catalog, config
    from shared.db import pool as db
    from shared.references import embedding
    from shared.storage import blobs as storage

    aspect = next((a for a in catalog.ASPECTS if (a.width, a.height) == (width, height)), None)
    if aspect is None:
        return [Row("generation", f"no aspect of {width}x{height}", 0.0, "choose 1024x1536, 1024x1024 or 1536x1024")]
    request = {"category": "국내명소", "stage": "채색 명암", "keywords": "경복궁, 봄, 벚꽃",
               "description": "해 질 녘 경복궁 근정전 앞마당, 벚꽃이 흩날린다", "upload_id": None,
               "aspect": aspect.value, "variations": 1, "review": False, "prompt": None, "user_id": "bench"}
    saved = dict(os.environ)
    rows = []
    with private_stack() as env:
        os.environ.update(env)
        config.reset_settings()
        storage.reset()
        embedding.reset()
        db.close_pool()
        try:
            found = load_samples(Path(env["BENCH_SAMPLES_DIR"]))
            # A different description each run: the query embedding cache must not answer.
            first = one_generation({**request, "description": request["description"] + " (0)"})
            warm = [one_generation({**request, "description": request["description"] + f" ({n})"})
                    for n in range(1, max(1, repeats) + 1)]
            served = over_devhost({k: v for k, v in env.items() if k != "BENCH_SAMPLES_DIR"}, request,
                                  max(1, repeats))
        finally:
            db.close_pool()
            storage.reset()
            embedding.reset()
            os.environ.clear()
            os.environ.update(saved)
            config.reset_settings()
    size = f"{width}x{height}"
    for stage in (*STAGES, "total"):
        median = statistics.median(run[stage] for run in warm)
        note = f"median of {len(warm)} warm; first run {first[stage] * 1000:.0f} ms"
        if stage == "search_references":
            note += f"; {int(warm[-1]['references found'])} used of {found} stored"
        rows.append(Row("generation", f"{stage} ({size})", median, note))
    warm_served = served[1:]
    wall = statistics.median(r["wall"] for r in warm_served)
    steps = statistics.median(sum(v for k, v in r["timings"].items() if k in STAGES) / 1000 for r in warm_served)
    rows.append(Row("generation", f"over HTTP on devhost: POST to Completed ({size})", wall,
                    f"median of {len(warm_served)}; first {served[0]['wall'] * 1000:.0f} ms; polled every 50 ms"))
    rows.append(Row("generation", "  of which the steps themselves (output timings)", steps,
                    f"the rest ({(wall - steps) * 1000:.0f} ms) is orchestration, queueing and polling"))
    return rows
