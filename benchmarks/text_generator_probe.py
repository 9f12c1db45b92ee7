"""Short dev probes of the text task's record -> template generator (issue 18): train a
generator at the benchmark's scale (the renderer is the cached asset), then on 200 dev
records report its template F1 against the true templates at three generator length
penalties, the share of its template words found in X, a few templates, and the end-to-end
dev BLEU of every (generator, renderer) length-penalty pair; ``--load RUN`` skips training
and decodes a trained run with the spelling guard off and on.

    .venv/bin/python -m benchmarks.text_generator_probe c600 \\
        generator.spell_from_source=false renderer.spell_from_source=false
    .venv/bin/python -m benchmarks.text_generator_probe w600 representation.kind=words \\
        generator.spell_from_source=false renderer.spell_from_source=false
    .venv/bin/python -m benchmarks.text_generator_probe --load runs/probe-text/c600 c600-spell
    .venv/bin/python -m benchmarks.text_generator_probe noise0.2 renderer.input_noise=0.2 \\
        --renderer-of runs/bench-text-2x/text_template
    .venv/bin/python -m benchmarks.text_generator_probe direct-through \\
        --direct-through runs/bench-text-2x/text_template runs/bench-text-2x/text_direct
    .venv/bin/python -m benchmarks.text_generator_probe r4800 train.renderer.steps=4800 \\
        --renderer-of runs/probe-text/c1200 --direct runs/probe-text/direct1200
    .venv/bin/python -m benchmarks.text_generator_probe lm4800 representation.kind=lemmas \\
        train.renderer.steps=4800 --renderer-of runs/probe-text/lm1200 \\
        --direct runs/probe-text/direct1200

Prints one JSON line and appends it to benchmarks/results/text_generator_probes.jsonl.
Dev records only: nothing here reads the test split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS
from benchmarks.text_regen_vs_direct import RECIPE, scale_overrides
from regen.config import load_recipe
from regen.eval.text_metrics import bleu, chrf, generated_template_f1
from regen.representations.text_template import template, template_words
from regen.runs import load_run
from regen.tasks.text.build import load_text_data, render_texts
from regen.tasks.text.compare import _choose_length_penalties
from regen.tasks.text.data import x_text
from regen.tasks.text.renderer_asset import renderer_job
from regen.tasks.text.train import synopses, train_text
from regen.training.renderer_assets import obtain

DEV = 200
DIRECT_RECIPE = "text/direct"


def _share_in_x(template_text: str, x: str, kind: str) -> float:
    """The share of a template's words found in the record's text X."""
    words = template_words(template_text, kind)
    return sum(w in x.lower() for w in words) / max(1, len(words))


def _generator_scores(pipeline, xs: list[str], true: list[str]) -> dict:
    codec, model = pipeline.conditioner, pipeline.generator.model
    kind = pipeline.representation.kind
    out = {}
    for penalty in (0.0, 1.5, 3.0):
        model.cfg.length_penalty = penalty
        made: list[str] = []
        for start in range(0, len(xs), 64):
            made += codec.texts(pipeline.generate(codec.encode(xs[start : start + 64])))
        in_x = [_share_in_x(m, x, kind) for m, x in zip(made, xs)]
        out[f"generator_lp{penalty}"] = {
            "template_f1": round(generated_template_f1(made, true, kind), 1),
            "items": round(sum(len(m.split()) for m in made) / len(made), 1),
            "words_in_x_pct": round(100 * sum(in_x) / len(in_x), 1),
            "examples": made[:5],
        }
    return out


def direct_through_renderer(regen_run: Path, direct_run: Path, dev, kind: str) -> dict:
    """:func:`direct_through` for two runs of one compare, each at the length penalties the
    compare chose on dev (its results.json, beside the run folders)."""
    regen, _ = load_run(regen_run)
    direct, _ = load_run(direct_run)
    chosen = json.loads((regen_run.parent / "results.json").read_text())["length_penalty"]
    for model, penalty in zip(
        (regen.generator.model, regen.renderer.model), chosen["regen"]["chosen"]
    ):
        model.cfg.length_penalty = float(penalty)
    direct.generator.model.cfg.length_penalty = float(chosen["direct"]["chosen"])
    return direct_through(regen, direct, dev, kind)


def _direct_run(folder: Path, overrides: list[str]):
    """The direct model at the benchmark's scale and equal paired budget (the generator's
    steps), trained into ``folder`` unless it holds one; its length penalty chosen on dev."""
    kept = [o for o in overrides if not o.startswith("representation.")]  # direct: identity
    config = load_recipe(DIRECT_RECIPE, [*scale_overrides(), *kept])
    data = load_text_data(config)
    if (folder / "pipeline.json").exists():
        direct, _ = load_run(folder)
    else:
        direct, _ = train_text(config, folder, progress=False, data=data)
    choice = _choose_length_penalties({"direct": direct}, data, config, False)["direct"]
    return direct, choice


def direct_through(regen, direct, dev, kind: str) -> dict:
    """Where regen loses, at equal content: the direct model's dev synopses, turned into
    templates by the fixed rule and rendered by regen's renderer, against the direct synopses
    themselves, regen's own pipeline and the renderer from the true templates (each pipeline
    at the length penalties already set on it). If the direct model's templates rendered score
    far below the direct model, the template route loses what the content words alone do not
    carry (word order, function words); if close, regen's generator is what holds it back."""
    xs, references = [x_text(r) for r in dev], [r.synopsis for r in dev]
    true = [template(r.synopsis, kind) for r in dev]
    direct_texts = synopses(direct, xs)[0]
    direct_templates = [template(t, kind) for t in direct_texts]
    regen_texts, regen_templates = synopses(regen, xs)
    systems = {
        "direct": direct_texts,
        "direct_templates_rendered": render_texts(
            regen.render, regen.conditioner, direct_templates
        ),
        "regen": regen_texts,
        "true_templates_rendered": render_texts(regen.render, regen.conditioner, true),
    }
    out: dict = {
        name: {"bleu": bleu(texts, references), "chrf": chrf(texts, references)}
        for name, texts in systems.items()
    }
    for name, made in (("direct", direct_templates), ("regen", regen_templates or [])):
        out[name]["template_f1"] = generated_template_f1(made, true, kind)
    out["examples"] = [
        {"reference": r, "direct": d, "direct_template": t, "rendered": x}
        for r, d, t, x in list(
            zip(references, direct_texts, direct_templates, systems["direct_templates_rendered"])
        )[:5]
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag")
    parser.add_argument("--load", type=Path, help="a trained run: decode only, guard off/on")
    parser.add_argument(
        "--renderer-of",
        type=Path,
        help="a trained run: keep its generator, put in the renderer asset the overrides name "
        "(trained now if not cached) and score that pipeline end to end",
    )
    parser.add_argument(
        "--direct-through",
        nargs=2,
        type=Path,
        metavar=("REGEN_RUN", "DIRECT_RUN"),
        help="render the direct run's synopses' templates with the regen run's renderer",
    )
    parser.add_argument(
        "--direct",
        type=Path,
        metavar="DIRECT_RUN",
        help="with --renderer-of: also render this direct run's dev synopses' templates with "
        "the asset (the direct model trained there at the benchmark's scale if absent)",
    )
    parser.add_argument(
        "--no-e2e", action="store_true", help="skip the end-to-end grid (generator scores only)"
    )
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    if args.direct and not args.renderer_of:
        parser.error("--direct needs --renderer-of (the regen run whose generator it pairs with)")
    torch.set_num_threads(1)
    config = load_recipe(RECIPE, [*scale_overrides(), *args.overrides])
    data = load_text_data(config)
    dev = data.corpus.splits["dev"][:DEV]
    xs = [x_text(r) for r in dev]
    kind = config.representation.kind
    true = [template(r.synopsis, kind) for r in dev]
    row: dict = {"tag": args.tag, "overrides": args.overrides, "dev_records": len(dev)}
    if args.direct_through:
        row["runs"] = [str(p) for p in args.direct_through]
        row.update(direct_through_renderer(*args.direct_through, dev, kind))
    elif args.renderer_of:
        pipeline, _ = load_run(args.renderer_of)
        asset = obtain(renderer_job(config, data), progress=False)
        pipeline.renderer.load_state_dict(asset.module.state_dict())
        row["run"], row["asset"] = str(args.renderer_of), asset.record["key"]
        row["asset_quality_from_true_dev"] = asset.record["quality_from_true"]
        row["e2e"] = _choose_length_penalties({"regen": pipeline}, data, config, False)["regen"]
        if args.direct:  # the e2e choice above left regen's best pair set on its stages
            direct, row["direct_length_penalty"] = _direct_run(args.direct, args.overrides)
            row["direct_run"] = str(args.direct)
            row["through"] = direct_through(pipeline, direct, dev, kind)
    elif args.load:
        pipeline, _ = load_run(args.load)
        row["run"] = str(args.load)
        for spell in (False, True):
            for model in (pipeline.generator.model, pipeline.renderer.model):
                model.cfg.spell_from_source, model.cfg.no_repeat_words = spell, 4
            row[f"spell_{spell}"] = {
                **_generator_scores(pipeline, xs, true),
                "e2e": _choose_length_penalties({"regen": pipeline}, data, config, False)["regen"],
            }
    else:
        start = time.perf_counter()
        pipeline, results = train_text(
            config, Path("runs/probe-text") / args.tag, progress=False, data=data
        )
        generator = results[0]
        row["train_seconds"] = round(time.perf_counter() - start)
        row["final_loss"] = [r.final_loss for r in results]
        step = max(1, len(generator.curve) // 8)
        row["loss_curve"] = [(s, round(v, 3)) for s, v in generator.curve[::step]]
        row.update(_generator_scores(pipeline, xs, true))
        true_in_x = [_share_in_x(t, x, kind) for t, x in zip(true, xs)]
        row["true_templates"] = {
            "items": round(sum(len(t.split()) for t in true) / len(true), 1),
            "words_in_x_pct": round(100 * sum(true_in_x) / len(true_in_x), 1),
        }
        if not args.no_e2e:
            row["e2e"] = _choose_length_penalties({"regen": pipeline}, data, config, False)["regen"]
    line = json.dumps(row, default=float)
    print(line)
    with open(RESULTS / "text_generator_probes.jsonl", "a") as out:
        out.write(line + "\n")


if __name__ == "__main__":
    main()
