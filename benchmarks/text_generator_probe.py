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
    .venv/bin/python -m benchmarks.text_generator_probe noise0.2 renderer.input_noise=0.2 \
        --renderer-of runs/bench-text-2x/text_template

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
from benchmarks.text_regen_vs_direct import RECIPE, SCALE
from regen.config import load_recipe
from regen.eval.text_metrics import multiset_f1
from regen.representations.text_template import template
from regen.runs import load_run
from regen.tasks.text.build import load_text_data
from regen.tasks.text.compare import _choose_length_penalties, _lemmas
from regen.tasks.text.data import x_text
from regen.tasks.text.renderer_asset import renderer_job
from regen.tasks.text.train import train_text
from regen.training.renderer_assets import obtain

DEV = 200


def _generator_scores(pipeline, xs: list[str], true: list[str]) -> dict:
    codec, model = pipeline.conditioner, pipeline.generator.model
    out = {}
    for penalty in (0.0, 1.5, 3.0):
        model.cfg.length_penalty = penalty
        made: list[str] = []
        for start in range(0, len(xs), 64):
            made += codec.texts(pipeline.generate(codec.encode(xs[start : start + 64])))
        f1 = [multiset_f1(_lemmas(m), _lemmas(t)) for m, t in zip(made, true)]
        in_x = [
            sum(w in x.lower() for w in _lemmas(m)) / max(1, len(_lemmas(m)))
            for m, x in zip(made, xs)
        ]
        out[f"generator_lp{penalty}"] = {
            "template_f1": round(100 * sum(f1) / len(f1), 1),
            "items": round(sum(len(m.split()) for m in made) / len(made), 1),
            "words_in_x_pct": round(100 * sum(in_x) / len(in_x), 1),
            "examples": made[:5],
        }
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
        "--no-e2e", action="store_true", help="skip the end-to-end grid (generator scores only)"
    )
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_recipe(RECIPE, [*SCALE, *args.overrides])
    data = load_text_data(config)
    dev = data.corpus.splits["dev"][:DEV]
    xs = [x_text(r) for r in dev]
    true = [template(r.synopsis, config.representation.kind) for r in dev]
    row: dict = {"tag": args.tag, "overrides": args.overrides, "dev_records": len(dev)}
    if args.renderer_of:
        pipeline, _ = load_run(args.renderer_of)
        asset = obtain(renderer_job(config, data), progress=False)
        pipeline.renderer.load_state_dict(asset.module.state_dict())
        row["run"], row["asset"] = str(args.renderer_of), asset.record["key"]
        row["asset_quality_from_true_dev"] = asset.record["quality_from_true"]
        row["e2e"] = _choose_length_penalties({"regen": pipeline}, data, config, False)["regen"]
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
        true_in_x = [
            sum(w in x.lower() for w in _lemmas(t)) / max(1, len(_lemmas(t)))
            for t, x in zip(true, xs)
        ]
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
