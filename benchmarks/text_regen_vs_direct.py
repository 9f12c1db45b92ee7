"""Text generation through a template: regen (record -> cased lemma template -> synopsis) vs
the direct model (record -> synopsis), its LM-pretrained variant and the lead-sentence baseline.

One ``regen compare text/debian_synopsis`` at the scale below (53-55 minutes on one CPU
thread each, seeds 0 and 1 side by side; the 4,800-step renderer asset, cached, took another
21 minutes per seed), on the Debian bookworm ``main`` records fetched by
``regen data text --fetch``; the lists' SHA-256 go into the result. Torch runs on one thread
(the machine is shared).

    .venv/bin/python -m benchmarks.text_regen_vs_direct   # writes benchmarks/results/text.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS, update_results, update_summary
from regen.compare.harness import run_compare
from regen.compare.records import read_results
from regen.config import load_recipe
from regen.tasks.text.build import load_text_data
from regen.tasks.text.compare import score_regen_variant
from regen.tasks.text.config import TextRecipe
from regen.tasks.text.renderer_asset import renderer_job
from regen.tasks.text.train import train_text
from regen.training.renderer_assets import asset_folder, read_record

RECIPE = "text/debian_synopsis"
COMMAND = ".venv/bin/python -m benchmarks.text_regen_vs_direct"
SCALE = [
    "data.max_x_tokens=64",
    "data.max_y_tokens=24",
    "data.vocab_size=6000",
    "generator.dim=96",
    "generator.depth=2",
    "renderer.dim=96",
    "renderer.depth=2",
    "generator.dropout=0.0",  # an under-fitting regime: dropout only slows it down
    "renderer.dropout=0.0",
    # every stage of every system (regen's two, direct, direct_lm) alike: the copy gate, and
    # beam 4 with no repeated piece bigram (picked on 200 dev records with a 300-step
    # renderer from the true templates: BLEU / chrF greedy 5.1 / 43.4, beam 4 + guard 6.6 / 49.3)
    "generator.copy=true",
    "renderer.copy=true",
    "generator.beam=4",
    "renderer.beam=4",
    "generator.no_repeat_ngram=2",
    "renderer.no_repeat_ngram=2",
    # and no whole word of 4+ letters twice: the piece-bigram guard let `binary object binary
    # AVR object AVR` through (seed 0 at commit 90e30a9)
    "generator.no_repeat_words=4",
    "renderer.no_repeat_words=4",
    # a word spelled letter by letter must be one of the source: the generator invented
    # `Fichalashiarac/JJ`; on 200 dev records (600-step generator) its template F1 went
    # 27.4 -> 30.7 with the guard, end-to-end dev BLEU about level over the penalty grid
    "generator.spell_from_source=true",
    "renderer.spell_from_source=true",
    # the equal budget, doubled for every system alike (commit of issue 18's second pass): the
    # direct variants take their steps from these two through compare.budget, and the renderer
    # asset is trained at the same 1,200 steps. On 200 dev records a 600-step generator
    # (lr 0.004) reached template F1 31.0, a 2,400-step one 33.9 with its loss still falling
    # (benchmarks/results/text_generator_probes.jsonl, rows g600lr4 and g2400lr4)
    "train.generator.steps=1200",
    # the renderer asset's steps: RENDERER_STEPS below (--renderer-steps; scale_overrides)
    # the models that read X (regen's generator, direct, direct_total, direct_lm's paired
    # stage: train.generator is read by both recipes): lr 0.004, chosen on dev for the
    # generator (template F1 30.7 at 0.002, 31.0 at 0.004, training loss 3.03 -> 2.79 at 600
    # steps); the models of synopsis text alone (renderer, LM) keep 0.002
    "train.generator.lr=0.004",
    "train.renderer.lr=0.002",
    "train.lm.lr=0.002",
    "train.generator.ema_decay=0.99",
    "train.renderer.ema_decay=0.99",
    "train.lm.ema_decay=0.99",
    # the beam's length penalty, one per system (all stages of it), the best BLEU of this grid
    # on the same 200 dev records (every learned system wrote shorter texts than the
    # references with the plain beam: about 4 words against 6.2)
    "eval.length_penalties=[0.0,1.5,3.0]",
    # regen's generator and renderer get a value each (the best pair on dev): one value for
    # both made the renderer's texts too long (8.0 words against the references' 6.2)
    "eval.length_penalty_per_stage=true",
    # the renderer learns from synopsis-only text alone: a cached asset trained once
    # (regen/tasks/text/renderer_asset.py), so the compare states both budget views: equal
    # paired samples (direct: the generator's) and equal total (direct_total: + the renderer's)
    "pretrained_renderer=true",
    "eval.dev_items=200",
    "eval.max_items=400",
    "eval.examples=12",
]
# The renderer asset's optimizer steps (batch 32) on the synopsis-only split. The asset is
# shared infrastructure, trained once into the cache, so it may train longer than the paired
# stages; direct_lm's LM pretraining reads the same synopsis-only text for the same steps
# (regen.tasks.text.compare.lm_variant) and direct_total gets generator + these samples on
# the paired records (compare.budget, equal total). Chosen on 200 dev records with the cased
# lemma template: regen end to end BLEU 6.48 at 1,200 steps, 6.81 at 4,800, 6.57 at 9,600
# (benchmarks/results/text_generator_probes.jsonl, rows lc1200, lc4800, lc9600).
RENDERER_STEPS = 4800


def scale_overrides(renderer_steps: int = RENDERER_STEPS) -> list[str]:
    """The benchmark's scale: SCALE and the renderer asset's steps, for every script that
    trains or reads at it (SCALE alone leaves the recipe's own renderer steps)."""
    return [*SCALE, f"train.renderer.steps={renderer_steps}"]


# regen with other templates, each trained and scored like regen (each with its own renderer
# asset): the content template (lemma/TAG of the content words), the content words as
# written (no lemma, no tag), and the skeleton (function words kept, content words as tag
# slots: the other end of the trade-off)
ABLATIONS = ("content", "words", "skeleton")
KEYS = ("bleu", "chrf", "rouge_l", "template_f1", "hallucination", "perplexity", "distinct_2",
        "self_bleu", "copy_rate", "mean_words", "train_seconds", "samples_seen")  # fmt: skip


def ablation(kind: str, overrides: list[str], out: Path, resume: bool) -> tuple[dict, dict]:
    """Regen with the ``kind`` template at the compare's scale and budget, scored on its test
    records: (metrics with training seconds and samples, the length-penalty choice)."""
    config = load_recipe(RECIPE, [*overrides, f"representation.kind={kind}", f"name=text_{kind}"])
    data = load_text_data(config)
    pipeline, results = train_text(
        config, out / config.name, resume=resume, progress=False, data=data
    )
    scores, choice = score_regen_variant(pipeline, data, config)
    scores["train_seconds"] = sum(r.seconds for r in results)
    scores["samples_seen"] = float(sum(r.samples_seen for r in results))
    return scores, choice


def budget_rule(config: TextRecipe) -> str:
    """What each system trains on, in samples, from the benchmark's effective recipe."""
    g, r = config.train.generator, config.train.renderer
    paired, unpaired = g.steps * g.batch_size, r.steps * r.batch_size
    return (
        f"regen: generator {g.steps} steps x {g.batch_size} = {paired:,} paired samples; "
        f"renderer asset {r.steps} steps x {r.batch_size} = {unpaired:,} synopsis-only samples "
        "(cached, shared infrastructure). direct (equal paired): "
        f"{paired:,} paired samples. direct_total (equal total): {paired + unpaired:,} paired "
        f"samples. direct_lm: LM on the same synopsis-only text for {unpaired:,} samples, "
        f"then {paired:,} paired samples."
    )


def _asset(run: dict, overrides: list[str]) -> dict | None:
    """What the shared renderer cost and how good it is from true templates (dev), or None
    when regen trained its own."""
    stage = next((s for s in run["stages"] if s.get("shared")), None)
    if stage is None:
        return None
    config = load_recipe(RECIPE, overrides)
    record = read_record(asset_folder(renderer_job(config, load_text_data(config))))
    return {
        "key": record["key"],
        "samples": stage["samples_seen"],
        "seconds": stage["seconds"],
        "quality_from_true_dev": record["quality_from_true"],
    }


def ablations_only(args: argparse.Namespace, overrides: list[str]) -> None:
    """The ablation rows alone, at the compare's scale, into section ``ablations`` (and
    ``summary.ablations``; ``_seed<N>`` for another seed): the compare's figures untouched."""
    start = time.perf_counter()
    rows = {}
    for kind in [k for k in args.ablations.split(",") if k]:
        scores, choice = ablation(kind, overrides, args.out, args.resume)
        rows[kind] = {"metrics": scores, "length_penalty": choice.get("regen")}
    wall = time.perf_counter() - start
    summary = {
        "command": run_command(args),
        "scale": overrides,
        "wall_clock_seconds": round(wall, 1),
        **{
            f"regen_{kind}_{k}": row["metrics"].get(k)
            for kind, row in rows.items()
            for k in (
                "bleu",
                "chrf",
                "rouge_l",
                "template_f1",
                "template_f1_generator",
                "bleu_from_true_template",
                "chrf_from_true_template",
            )
        },  # fmt: skip
    }
    name = result_name(args)
    suffix = f"_{name}" if name else ""
    path = update_results("text", f"ablations{suffix}", rows, {f"ablations{suffix}": summary})
    print(f"wrote {path} ({wall:.0f} s)")


LABELS = ("regen", "direct", "direct_total", "direct_lm", "lead")


def seed_runs(summary: dict, variant: str = "") -> dict[int, dict]:
    """The runs of one configuration in ``summary`` by seed: seed 0's figures at the top level
    (a variant's under its name), another seed's under ``seed<N>`` (``<variant>_seed<N>``)."""
    prefix = f"{variant}_seed" if variant else "seed"
    runs = {}
    if not variant:
        runs[0] = summary
    elif isinstance(summary.get(variant), dict):
        runs[0] = summary[variant]
    for key, run in summary.items():
        number = key.removeprefix(prefix)
        if key.startswith(prefix) and number.isdigit() and isinstance(run, dict):
            runs[int(number)] = run
    return runs


def over_seeds(summary: dict, variant: str = "") -> dict:
    """Every system's BLEU / chrF / ROUGE-L averaged over the seeds of one configuration in
    ``summary`` (``seed_runs``) that ran at its lowest seed's scale, and the target's verdict:
    regen ahead of the equal-paired direct model on BLEU and chrF, in each seed and in the
    mean. A seed run at another scale is named, not averaged."""
    runs = seed_runs(summary, variant)
    if not runs:
        raise SystemExit(f"text.json holds no run of variant {variant!r}: run it first")

    def scale(run: dict) -> list[str]:
        return [o for o in run.get("scale", []) if not o.startswith("seed=")]

    reference = scale(runs[min(runs)])
    kept = {seed: run for seed, run in runs.items() if scale(run) == reference}

    def ahead(run: dict) -> bool:
        return all(run[f"regen_{m}"] > run[f"direct_{m}"] for m in ("bleu", "chrf"))

    mean = {
        f"{label}_{m}": round(sum(r[f"{label}_{m}"] for r in kept.values()) / len(kept), 2)
        for label in LABELS
        for m in ("bleu", "chrf", "rouge_l")
        if all(f"{label}_{m}" in r for r in kept.values())
    }
    return {
        "seeds": sorted(kept),
        "other_scale": sorted(set(runs) - set(kept)),
        "mean": mean,
        "regen_ahead_of_direct": {str(seed): ahead(run) for seed, run in kept.items()},
        "regen_ahead_of_direct_in_mean": ahead(mean),
        "rule": "target met when regen is ahead of direct (equal paired) on BLEU and chrF in "
        "every seed",
        "target_met": all(ahead(run) for run in kept.values()),
    }


def write_over_seeds(variant: str = "") -> Path:
    """Recompute ``summary.over_seeds`` of text.json from the seeds it holds (a variant's
    into ``summary.<variant>_over_seeds``)."""
    summary = json.loads((RESULTS / "text.json").read_text())["summary"]
    key = f"{variant}_over_seeds" if variant else "over_seeds"
    return update_summary("text", {key: over_seeds(summary, variant)})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench-text"))
    parser.add_argument(
        "--ablations",
        default=",".join(ABLATIONS),
        help="template kinds also scored, comma-separated ('' for none)",
    )
    parser.add_argument("--resume", action="store_true", help="reload finished systems")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="another seed (splits and initialisation): written as compare_seed<N> and "
        "summary seed<N>, beside seed 0's figures",
    )
    parser.add_argument(
        "--ablations-only",
        action="store_true",
        help="train and score only the --ablations kinds (no compare), written as "
        "ablations_<scale> beside the compare's figures",
    )
    parser.add_argument(
        "--renderer-steps",
        type=int,
        default=RENDERER_STEPS,
        help="the renderer asset's steps on the synopsis-only split (direct_lm's LM steps "
        "and direct_total's extra steps follow)",
    )
    parser.add_argument(
        "--variant",
        default="",
        help="a name for a compare at other settings (e.g. a smaller paired share, "
        "data.max_paired=2000): written as compare_<NAME> and summary <NAME>, beside seed 0's",
    )
    parser.add_argument(
        "--over-seeds",
        action="store_true",
        help="train nothing: recompute summary.over_seeds (with --variant, "
        "summary.<NAME>_over_seeds) from the seeds text.json holds",
    )
    parser.add_argument("overrides", nargs="*", help="more key=value overrides (both recipes)")
    return parser.parse_args(argv)


def result_name(args: argparse.Namespace) -> str:
    """The name a run's figures go under beside seed 0's ('' for seed 0 itself): the
    variant, then ``seed<N>`` for another seed (``p2000_seed1``)."""
    return "_".join(filter(None, [args.variant, f"seed{args.seed}" if args.seed else ""]))


def run_command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (its arguments other than the defaults), for
    the ``command`` the results JSON records."""
    parts = [COMMAND]
    if args.ablations_only:
        parts.append("--ablations-only")
    if args.ablations != ",".join(ABLATIONS):
        parts.append(f'--ablations "{args.ablations}"')
    if args.seed:
        parts.append(f"--seed {args.seed}")
    if args.variant:
        parts.append(f"--variant {args.variant}")
    if args.renderer_steps != RENDERER_STEPS:
        parts.append(f"--renderer-steps {args.renderer_steps}")
    if args.out != Path("runs/bench-text"):
        parts.append(f"--out {args.out}")
    return " ".join([*parts, *args.overrides])


def main() -> None:
    args = parse_args()
    if args.over_seeds:
        print(f"wrote {write_over_seeds(args.variant)}")
        return
    torch.set_num_threads(1)
    overrides = [*scale_overrides(args.renderer_steps), *args.overrides]
    overrides += [f"seed={args.seed}"] if args.seed else []
    if args.ablations_only:
        ablations_only(args, overrides)
        return
    start = time.perf_counter()
    run_compare(RECIPE, overrides, out_dir=args.out, resume=args.resume, progress=False)
    compare_wall = time.perf_counter() - start
    results = read_results(args.out)
    pipelines = results["pipelines"] + results["more_pipelines"]
    metrics = {p["label"]: {k: p["metrics"].get(k) for k in KEYS} for p in pipelines}
    regen_run = next(p for p in pipelines if p["label"] == "regen")
    regen = regen_run["metrics"]
    penalties = results.get("length_penalty", {})
    kinds = [k for k in args.ablations.split(",") if k]
    ablations = {kind: ablation(kind, overrides, args.out, args.resume) for kind in kinds}
    for kind, (scores, choice) in ablations.items():
        metrics[f"regen_{kind}"] = {k: scores.get(k) for k in KEYS}
        penalties[f"regen_{kind}"] = choice.get("regen")
    wall = time.perf_counter() - start
    data = results["data"]
    summary = {
        "command": run_command(args),
        "scale": overrides,
        "wall_clock_seconds": round(wall, 1),
        "compare_wall_clock_seconds": round(compare_wall, 1),
        "budget": results["budget"],
        "budget_rule": budget_rule(load_recipe(RECIPE, overrides)),
        # each view's baseline: direct at equal paired samples (the renderer asset counted as
        # shared infrastructure), direct_total at equal total samples (the asset counted too)
        "budget_views": {
            view: {"direct": v["direct"], "statement": v["statement"]}
            for view, v in results.get("views", {}).items()
        },
        "samples_seen": {label: metrics[label]["samples_seen"] for label in metrics},
        **{
            f"{label}_{k}": metrics[label][k]
            for label in metrics
            for k in ("bleu", "chrf", "rouge_l")
        },
        "regen_template_f1_generator": regen["template_f1_generator"],
        "regen_template_f1_output": regen["template_f1"],
        "renderer_bleu_from_true_template": regen["bleu_from_true_template"],
        "renderer_chrf_from_true_template": regen["chrf_from_true_template"],
        **{
            f"regen_{kind}_{k}": scores.get(k)
            for kind, (scores, _) in ablations.items()
            for k in ("template_f1_generator", "bleu_from_true_template", "chrf_from_true_template")
        },
        # template adherence of every system's output (F1 of its content lemmas vs the reference's)
        "template_f1": {label: metrics[label]["template_f1"] for label in metrics},
        "hallucination": {label: metrics[label]["hallucination"] for label in metrics},
        "mean_words": {label: metrics[label]["mean_words"] for label in metrics},
        "length_penalty": {k: v["chosen"] for k, v in penalties.items() if isinstance(v, dict)},
        "data_sha256": data.get("sha256"),
        "data_release_date": data.get("release_date"),
        "paired_records": data["paired_used"],
        "unpaired_synopses": data["unpaired_used"],
        "test_records": data["test_scored"],
    }
    detail = {
        "metrics": metrics,
        "metric_notes": results["metric_notes"],
        "data": data,
        "reference_stats": results["reference_stats"],
        "length_penalty": penalties,
        "views": results.get("views"),
        "renderer_asset": _asset(regen_run, overrides),
        "ablations": {kind: scores for kind, (scores, _) in ablations.items()},
        "examples": results["examples"],
    }
    # seed 0's figures stay the headline; another seed or a named variant sits beside them
    name = result_name(args)
    if name:
        summary = {name: summary}
    section = f"compare_{name}" if name else "compare"
    path = update_results("text", section, detail, summary)
    write_over_seeds(args.variant)
    print(f"wrote {path} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
