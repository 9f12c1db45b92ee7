"""What the music template can carry: the renderer from the TRUE template vs the direct model.

On the held-out Bach chorale segments, over several training seeds:

(a) the renderer (template -> melody, trained on unpaired melodies: every essenFolksong tune
    and the training chorales' sopranos) fed the true template ``encode(y)`` of each
    held-out melody: PD, DD, MD against the real melody (DD is 100% by construction);
(b) the direct model (lyrics -> melody) at the recipe's budget (melody/chorales_direct as
    ``regen compare`` sizes it);
(c) for the variants in ``--full`` (default: extended), the whole regen pipeline (lyrics ->
    template -> melody) and its generator's accuracy per template field (how predictable
    from the lyrics each field is); the other variants train their renderer only,

for the base template (key, chords, cadences, rhythm) and the template with the melodic
shape (``contour``, ``register``). A seed sets the initial weights and every stage's batch
order. Mean, standard deviation, min and max over the seeds; ``summary`` says whether the
renderer from the true template beats direct on each metric by more than the two seed
ranges (max - min) added.

Torch runs on one thread (the shared 2-core machine; see melody_regen_vs_direct.py).

    .venv/bin/python -m benchmarks.melody_template [--record NAME] [overrides ...]
    # writes section NAME of benchmarks/results/melody_template.json
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import update_results
from regen.compare.harness import load_pair
from regen.data.music import MelodySet
from regen.eval.melody_metrics import distribution_similarity, melody_distance
from regen.generators.lyrics import condition_from_data
from regen.pipeline import Pipeline
from regen.tasks.melody.stages import generator_field_accuracy, renderer_from_true
from regen.tasks.melody.train import (
    build_melody_pipeline,
    generate_melodies,
    melody_splits,
    train_melody,
)
from regen.training.loop import train_stage

COMMAND = ".venv/bin/python -m benchmarks.melody_template"
RECIPE = "melody/chorales_template"
VARIANTS = {
    "base": [],
    "contour": ["contour"],
    "register": ["register"],
    "extended": ["contour", "register"],
}
KEYS = ("pd", "dd", "md")
QUICK = [
    "data.max_chorales=60",
    "data.folk_collections=[ryansMammoth]",
    "data.max_folk_files=20",
    "train.generator.steps=20",
    "train.renderer.steps=20",
]


def spread(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, std, min and max over seeds of every metric the rows share."""
    keys = [k for k in rows[0] if all(isinstance(r.get(k), float) for r in rows)]
    out = {}
    for k in keys:
        values = np.array([r[k] for r in rows])
        out[k] = {
            "mean": round(float(values.mean()), 4),
            "std": round(float(values.std()), 4),
            "min": round(float(values.min()), 4),
            "max": round(float(values.max()), 4),
        }
    return out


def with_variant(cfg, extras: list[str], seed: int, renderer_steps: int | None = None):
    """``cfg`` with the template ``extras`` and ``seed`` for the weights AND every stage's
    batches (a stage's own ``train.<stage>.seed`` orders its batches)."""
    stages = {
        name: dataclasses.replace(getattr(cfg.train, name), seed=seed)
        for name in ("generator", "renderer")
    }
    if renderer_steps is not None:
        stages["renderer"] = dataclasses.replace(stages["renderer"], steps=renderer_steps)
    representation = dataclasses.replace(cfg.representation, extras=list(extras))
    train = dataclasses.replace(cfg.train, **stages)
    return dataclasses.replace(cfg, representation=representation, train=train, seed=seed)


def train_renderer(cfg, unpaired: MelodySet) -> tuple[Pipeline, float]:
    """The pipeline of ``cfg`` with only its renderer trained (on ``unpaired``), and seconds."""
    torch.manual_seed(cfg.seed)
    pipeline = build_melody_pipeline(cfg)
    tensors = {"y_prime": pipeline.encode(unpaired.melodies), "y": unpaired.melodies}
    result = train_stage(
        "renderer", pipeline.renderer, tensors, cfg.train.renderer, None, progress=False
    )
    return pipeline.eval(), result.seconds


def pd_dd_md(melodies: torch.Tensor, test: MelodySet) -> dict[str, float]:
    """PD, DD, MD only: the compare's template metrics run music21's key analysis per melody,
    which costs more than training here."""
    return distribution_similarity(melodies, test.melodies) | {
        "md": melody_distance(melodies, test.melodies)
    }


def one_seed(args: argparse.Namespace, overrides: list[str], seed: int) -> dict[str, dict]:
    """Every measurement of one seed (run in its own process)."""
    torch.set_num_threads(1)
    regen_cfg, direct_cfg = load_pair(RECIPE, overrides)
    data = melody_splits(regen_cfg)
    test = data["test"]
    x = condition_from_data(test.syllables, test.melodies, test.lengths)
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="regen-melody-template-") as folder:
        work = Path(folder)
        for name in args.variants:
            cfg = with_variant(regen_cfg, VARIANTS[name], seed, args.renderer_steps)
            if name in args.full:  # generator too: the whole pipeline and its field accuracy
                pipeline, results = train_melody(
                    cfg, work / f"{name}_{seed}", data=data, progress=False
                )
                seconds = {r.name: r.seconds for r in results}["renderer"]
                melodies, _ = generate_melodies(pipeline, x, seed=seed)
                rows[f"regen_{name}"] = pd_dd_md(melodies, test)
                rows[f"generator_fields_{name}"] = generator_field_accuracy(
                    pipeline, test, seed=seed
                )
            else:
                pipeline, seconds = train_renderer(cfg, data["unpaired"])
            from_true = renderer_from_true(pipeline, test, seed=seed)
            rows[f"renderer_from_true_{name}"] = from_true | {"train_seconds": float(seconds)}
            print(f"seed {seed} {name}: {from_true}", flush=True)
        if not args.no_direct:
            cfg = with_variant(direct_cfg, [], seed)
            direct, results = train_melody(cfg, work / f"direct_{seed}", data=data, progress=False)
            melodies, _ = generate_melodies(direct, x, seed=seed)
            rows["direct"] = pd_dd_md(melodies, test) | {"train_seconds": results[0].seconds}
            print(f"seed {seed} direct: {rows['direct']}", flush=True)
    return rows


def run(args: argparse.Namespace, overrides: list[str]) -> dict:
    regen_cfg, direct_cfg = load_pair(RECIPE, overrides)
    start = time.perf_counter()
    data = melody_splits(regen_cfg)  # parsed (and cached) once, before the seeds fork
    load_seconds = time.perf_counter() - start
    jobs = [(args, overrides, seed) for seed in args.seeds]
    if args.processes > 1:
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            per_seed = pool.starmap(one_seed, jobs)
    else:
        per_seed = [one_seed(*job) for job in jobs]
    out: dict = {name: spread([rows[name] for rows in per_seed]) for name in per_seed[0]}
    out["data"] = {
        "unpaired_segments": len(data["unpaired"]),
        "paired_segments": len(data["paired"]),
        "test_segments": len(data["test"]),
        "source": data["test"].source,
        "load_seconds": round(load_seconds, 1),
    }
    out["seeds"] = list(args.seeds)
    out["renderer_steps"] = args.renderer_steps or regen_cfg.train.renderer.steps
    out["direct_steps"] = direct_cfg.train.generator.steps
    return out


def beats(out: dict, variant: str) -> dict[str, bool]:
    """Renderer-from-true beats direct on each metric by more than both seed spreads (max - min)."""
    ours, direct = out[f"renderer_from_true_{variant}"], out["direct"]

    def margin(k: str) -> float:
        return sum(side[k]["max"] - side[k]["min"] for side in (ours, direct))

    better = {
        "pd": ours["pd"]["mean"] - direct["pd"]["mean"],
        "dd": ours["dd"]["mean"] - direct["dd"]["mean"],
        "md": direct["md"]["mean"] - ours["md"]["mean"],
    }
    return {k: bool(better[k] > margin(k)) for k in KEYS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run (not recorded)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--variants", nargs="+", default=["base", "extended"], choices=list(VARIANTS)
    )
    parser.add_argument("--renderer-steps", type=int, help="default: the recipe's")
    parser.add_argument("--processes", type=int, default=1, help="seeds trained at once")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct baseline")
    parser.add_argument(
        "--full", nargs="*", default=["extended"], help="variants whose generator is trained too"
    )
    parser.add_argument("--record", default="renderer_from_true", help="section of the json")
    parser.add_argument("overrides", nargs="*", help="recipe overrides, e.g. data.max_folk_files=8")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    out = run(args, (QUICK if args.quick else []) + args.overrides)
    out["benchmark_seconds"] = round(time.perf_counter() - start)
    out["command"] = " ".join([COMMAND, *sys.argv[1:]])
    summary = {}
    if not args.no_direct:
        summary = {f"template_{v}_beats_direct": beats(out, v) for v in args.variants}
    print(summary)
    if args.quick:
        print(out)
        return
    path = update_results("melody_template", args.record, out, summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
