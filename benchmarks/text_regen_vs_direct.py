"""Text generation through a template: regen (record -> content template -> synopsis) vs the
direct model (record -> synopsis), its LM-pretrained variant and the lead-sentence baseline.

One ``regen compare text/debian_synopsis`` at the scale below (set to finish in about 20
minutes on one CPU thread), on the Debian bookworm ``main`` records fetched by
``regen data text --fetch``; the lists' SHA-256 go into the result. Torch runs on one thread
(the machine is shared).

    .venv/bin/python -m benchmarks.text_regen_vs_direct   # writes benchmarks/results/text.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from benchmarks.common import update_results
from regen.compare.harness import run_compare
from regen.compare.records import read_results

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
    "train.generator.steps=600",
    "train.renderer.steps=600",
    "train.generator.lr=0.002",
    "train.renderer.lr=0.002",
    "train.lm.lr=0.002",
    "train.generator.ema_decay=0.99",
    "train.renderer.ema_decay=0.99",
    "train.lm.ema_decay=0.99",
    "eval.max_items=400",
    "eval.examples=12",
]
KEYS = ("bleu", "chrf", "rouge_l", "template_f1", "hallucination", "perplexity", "distinct_2",
        "self_bleu", "copy_rate", "mean_words", "train_seconds", "samples_seen")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench-text"))
    parser.add_argument("overrides", nargs="*", help="more key=value overrides (both recipes)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = SCALE + args.overrides
    start = time.perf_counter()
    run_compare("text/debian_synopsis", overrides, out_dir=args.out, progress=False)
    wall = time.perf_counter() - start
    results = read_results(args.out)
    pipelines = results["pipelines"] + results["more_pipelines"]
    metrics = {p["label"]: {k: p["metrics"].get(k) for k in KEYS} for p in pipelines}
    regen = next(p for p in pipelines if p["label"] == "regen")["metrics"]
    data = results["data"]
    summary = {
        "command": COMMAND,
        "scale": overrides,
        "wall_clock_seconds": round(wall, 1),
        "budget": results["budget"],
        **{
            f"{label}_{k}": metrics[label][k]
            for label in metrics
            for k in ("bleu", "chrf", "rouge_l")
        },
        "regen_template_f1_generator": regen["template_f1_generator"],
        "regen_template_f1_output": regen["template_f1"],
        "renderer_bleu_from_true_template": regen["bleu_from_true_template"],
        "renderer_chrf_from_true_template": regen["chrf_from_true_template"],
        "hallucination": {label: metrics[label]["hallucination"] for label in metrics},
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
        "examples": results["examples"],
    }
    path = update_results("text", "compare", detail, summary)
    print(f"wrote {path} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
