"""Issue 13's measurement for one task: its renderer pretrained once on unpaired data, then
regen against the direct baseline in both budget views, with seeds for the headline row.

1. ``regen pretrain RECIPE`` (timed): the renderer asset, its quality from the TRUE Y' on
   held-out data against the non-learned floor.
2. ``regen compare RECIPE pretrained_renderer=true`` at seed 0: regen, ``direct`` at equal
   paired compute and ``direct_total`` at equal total compute (renderer cost included).
3. Seeds 1..N-1: the same compare with ``compare.views=[equal_paired]`` (the headline view
   only) and every seed moved (the renderer asset too: its seed is part of its key).

Writes the ``views`` section and these summary keys of ``benchmarks/results/<task>.json``:
``renderer_from_true``, ``view_equal_paired``, ``view_equal_total``, ``headline_seeds`` and
``target_met``, with the scale, seeds and wall-clock of the run.

    .venv/bin/python -m benchmarks.renderer_views melody
    .venv/bin/python -m benchmarks.renderer_views asr
    .venv/bin/python -m benchmarks.renderer_views tts

Re-running resumes (compare --resume; finished assets are only read).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import renderer_from_true, run_measured, update_results, view_rows

ROOT = Path(__file__).resolve().parents[1]
REGEN = [sys.executable, "-m", "regen.cli"]
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Plan:
    recipe: str
    scale: list[str]
    keys: list[str]  # metrics shown in the view rows
    headline: dict[str, str]  # metric -> "lower" | "higher" (the seeds' row)
    seeds: int
    target: str  # what the issue asks, in words
    # regen-only metrics of a component, per seed (which part holds the result back)
    components: dict[str, str] = field(default_factory=dict)
    stages: list[str] = field(default_factory=lambda: ["generator", "renderer"])


PLANS = {
    "melody": Plan(
        recipe="melody/chorales_template",
        # the first 8 essenFolksong files (32,256 unpaired segments with the chorales): all
        # 31 take over an hour to parse once on this shared machine (melody_template.json)
        scale=["compare.budget=samples", "data.max_folk_files=8"],
        keys=["pd", "dd", "md", "template_chord", "key_accuracy", "train_seconds"],
        headline={"pd": "higher", "dd": "higher", "md": "lower"},
        seeds=3,
        target="regen better than direct on PD, DD and MD at equal paired compute, by more "
        "than the seed spread (mean difference > regen std + direct std over the seeds)",
    ),
    "asr": Plan(
        recipe="asr/phonemes_multi",
        scale=[
            "paired_fraction=0.1",
            "compare.budget=samples",
            # the lexicon renderer's untrained fallback (nearest known pronunciation): CER
            # 0.015 vs the neural fallback's 0.013 from true phonemes (asr_p2g.json), and a
            # minute of counting instead of 2,000 transformer steps for each seed's asset
            "renderer.fallback=nearest",
            "data.num_sentences=2000",
            "generator.dim=80",
            "generator.depth=2",
            "train.generator.steps=600",
            "train.generator.batch_size=8",
            "train.generator.lr=0.002",
            "train.generator.warmup_steps=30",
            "eval.max_utterances=60",
        ],
        keys=[
            "cer",
            "wer",
            "per",
            "cer_speaker",
            "wer_speaker",
            "cer_true_phonemes",
            "train_seconds",
        ],
        headline={"cer": "lower", "cer_speaker": "lower"},
        components={"per": "the acoustic model's phoneme error rate (regen's X -> Y')"},
        seeds=3,
        target="regen CER at 10 % paired <= 0.8 x direct's at equal paired compute",
    ),
    "tts": Plan(
        recipe="tts/fastspeech_vocos_multi",
        scale=[
            "compare.budget=samples",
            "data.num_sentences=600",
            "data.max_seconds=4.0",
            "renderer.refine_iterations=4",
            "train.renderer.steps=3000",
            "train.renderer.batch_size=8",
            "train.renderer.eval_every=500",
            "train.renderer.log_every=50",
            "train.generator.steps=1200",
            "train.generator.batch_size=8",
            "train.generator.warmup_steps=50",
            "train.generator.checkpoint_every=500",
            "eval.num_utterances=16",
            "eval.report_utterances=4",
            # intelligibility: a recognizer trained on the multi-engine corpus (espeak-ng +
            # festival voices; the TTS test sentences are among its held-out ones), see
            # RECOGNIZER below
            "eval.asr_run=runs/asr-multi-recognizer",
        ],
        keys=["mcd_db", "logf0_rmse", "vuv_error", "asr_wer", "realtime_speedup", "train_seconds"],
        headline={"mcd_db": "lower"},
        seeds=1,
        target="regen MCD-DTW and WER both below direct's at equal paired compute",
    ),
}


# The recognizer behind the TTS plan's WER (about 15 minutes on one thread):
RECOGNIZER = (
    "OMP_NUM_THREADS=1 .venv/bin/regen train asr/phonemes_multi pretrained_renderer=true "
    "renderer.fallback=nearest data.num_sentences=2000 generator.dim=80 generator.depth=2 "
    "train.generator.steps=2500 train.generator.batch_size=8 train.generator.lr=0.002 "
    "train.generator.warmup_steps=100 eval.max_utterances=60 --out runs/asr-multi-recognizer"
)


def seed_overrides(seed: int, stages: list[str]) -> list[str]:
    return [f"seed={seed}", *(f"train.{stage}.seed={seed}" for stage in stages)]


def spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 4),
        "std": round(statistics.pstdev(values), 4),
        "values": [round(v, 4) for v in values],
    }


def headline_row(plan: Plan, per_seed: list[dict]) -> dict:
    """Regen and direct (equal paired) per headline metric over the seeds, and whether regen
    is better by more than the spread."""
    row = {}
    for metric, better in plan.headline.items():
        regen = spread([r["regen"][metric] for r in per_seed])
        direct = spread([r["direct"][metric] for r in per_seed])
        gain = (
            regen["mean"] - direct["mean"] if better == "higher" else direct["mean"] - regen["mean"]
        )
        row[metric] = {
            "better": better,
            "regen": regen,
            "direct": direct,
            # one seed has no spread to beat: say so rather than compare against zero
            "regen_better_beyond_spread": gain > regen["std"] + direct["std"]
            if len(per_seed) > 1
            else None,
        }
    return row


def target_met(task: str, view: dict, row: dict) -> bool:
    if task == "asr":
        return view["regen"]["cer"] <= 0.8 * view["direct"]["cer"]
    if task == "tts":
        return all(view["regen"][k] < view["direct"][k] for k in ("mcd_db", "asr_wer"))
    return all(entry["regen_better_beyond_spread"] is True for entry in row.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(PLANS))
    parser.add_argument("--out", type=Path, help="work folder (default runs/bench-views-TASK)")
    parser.add_argument("--seeds", type=int, help="seeds of the headline row (plan default)")
    parser.add_argument(
        "--paired-only",
        action="store_true",
        help="seed 0 too trains only the equal-paired baseline (the equal-total one of a long "
        "pretrained renderer can take far longer than the rest of the run)",
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides after the plan's")
    args = parser.parse_args()
    plan = PLANS[args.task]
    seeds = args.seeds or plan.seeds
    out = args.out or ROOT / "runs" / f"bench-views-{args.task}"
    base = [*plan.scale, *args.overrides, "pretrained_renderer=true"]
    wall = {}
    per_seed, first = [], None
    for seed in range(seeds):
        overrides = [*base, *seed_overrides(seed, plan.stages)]
        pretrain = run_measured([*REGEN, "pretrain", plan.recipe, *overrides], THREADS)
        wall[f"pretrain_seed{seed}"] = round(pretrain["seconds"], 1)
        if seed or args.paired_only:
            overrides.append("compare.views=[equal_paired]")
        folder = out / f"seed{seed}"
        resume = ["--resume"] if folder.is_dir() else []  # finished stages are kept
        compare = [*REGEN, "compare", plan.recipe, *overrides, "--out", str(folder), *resume]
        wall[f"compare_seed{seed}"] = round(run_measured(compare, THREADS)["seconds"], 1)
        results = json.loads((folder / "results.json").read_text())
        rows = view_rows(results, plan.keys)
        regen = next(p for p in results["pipelines"] if p["label"] == "regen")["metrics"]
        per_seed.append(
            rows["view_equal_paired"]
            | {"renderer": renderer_from_true(results)}
            | {"components": {k: regen.get(k) for k in plan.components}}
        )
        first = first or (results, rows)
    results, rows = first
    row = headline_row(plan, per_seed)
    if "view_equal_total" not in rows:
        steps = json.loads((out / "seed0" / "budget.json").read_text())["equal_total"]
        rows["view_equal_total"] = {
            "not_measured": f"--paired-only: the equal-total baseline would train "
            f"{steps['direct_generator_steps']:,} steps (planned in budget.json), not run"
        }
    summary = {
        "renderer_from_true": renderer_from_true(results),
        **rows,
        "headline_seeds": row,
        "target": plan.target,
        "target_met": target_met(args.task, rows["view_equal_paired"], row),
    }
    data = {
        "recipe": plan.recipe,
        "scale": " ".join(base),
        "seeds": seeds,
        "renderer_from_true_per_seed": [r["renderer"] for r in per_seed],
        "components_per_seed": {
            name: {"meaning": meaning, "values": [r["components"][name] for r in per_seed]}
            for name, meaning in plan.components.items()
        },
        "wall_seconds": wall,
        "threads": 1,
        "command": f".venv/bin/python -m benchmarks.renderer_views {args.task} "
        + ("--paired-only " if args.paired_only else "")
        + " ".join(args.overrides),
        "report": str(out / "seed0" / "report.html"),
        **({"recognizer_command": RECOGNIZER} if args.task == "tts" else {}),
    }
    path = update_results(args.task, "views", data, summary)
    print(json.dumps(summary, indent=1, default=str))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
