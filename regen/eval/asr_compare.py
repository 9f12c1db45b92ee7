"""``regen compare asr/...``: speech recognition by regeneration vs direct, along a curve.

For every paired fraction in ``eval.fractions`` both pipelines are trained on the same first
share of the paired training speech and scored on held-out sentences (training voices) and
on the held-out voice. The phoneme-to-text renderer learns from unpaired text only, so it is
trained once and shared by every regeneration run; its cost still counts in each run's
budget. The direct baseline gets the same total budget as the regeneration run at the same
fraction: ``seconds`` (default) gives it the regeneration run's whole training wall-clock
(acoustic + renderer) as extra acoustic steps at its own measured step time; ``samples``
gives it as many training items (steps x batch) as both regeneration stages together.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from regen.asr import Recognizer
from regen.asr_config import ASRRecipe
from regen.config import load_with_baseline
from regen.data.asr_data import paired_count, speech_tensors
from regen.data.speech import load_speech_corpus
from regen.eval.asr_evaluate import evaluate_split
from regen.eval.asr_metrics import phoneme_confusions
from regen.eval.compare import run_record
from regen.representations.mel import MelSpectrogram
from regen.representations.phonemes import MARKS
from regen.training.asr_stages import (
    SharedRenderer,
    build_asr_pipeline,
    load_asr_data,
    train_asr,
    train_renderer,
)
from regen.training.loop import StageResult

RESULTS_FILE = "results.json"
SPLITS = {"test": "held-out sentences", "test_speaker": "held-out voice"}
METRIC_NOTES = {
    "cer": "character error rate, held-out sentences (training voices), lower is better",
    "wer": "word error rate, held-out sentences, lower is better",
    "per": "phoneme error rate of X -> Y' (regen only), held-out sentences, lower is better",
    "cer_true_phonemes": "CER of the renderer alone from the true phonemes of the held-out "
    "sentences (the floor the acoustic model cannot remove), lower is better",
    "cer_speaker": "character error rate on the held-out voice, lower is better",
    "wer_speaker": "word error rate on the held-out voice, lower is better",
    "per_speaker": "phoneme error rate on the held-out voice, lower is better",
    "realtime_speedup": "seconds of audio recognised per second of compute (greedy, batch 16),"
    " higher is better",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "optimizer steps x batch summed over stages",
}


def direct_steps(
    regen_cfg: ASRRecipe, direct_cfg: ASRRecipe, results: list[StageResult]
) -> tuple[int, str]:
    """Acoustic steps that give the direct baseline the regeneration run's budget."""
    gen = next(r for r in results if r.name == "generator")
    batch = direct_cfg.train.generator.batch_size
    if regen_cfg.compare.budget == "samples":
        total = sum(r.samples_seen for r in results)
        return math.ceil(total / batch), f"{total:,} training items"
    total = sum(r.seconds for r in results)
    per_step = gen.seconds / max(1, gen.steps) * batch / regen_cfg.train.generator.batch_size
    return max(1, math.ceil(total / per_step)), f"{total:.0f} s of training"


def fraction_label(fraction: float) -> str:
    return f"{fraction * 100:g}pct"


def run_asr_compare(
    recipe: str | Path,
    overrides: list[str] | None = None,
    *,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Train both pipelines at every paired fraction, evaluate, write ``report.html``."""
    regen_cfg, direct_cfg = load_with_baseline(recipe, overrides or [])
    out_dir = Path(out_dir or Path("runs") / f"compare-{regen_cfg.name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load_asr_data(regen_cfg)
    mel = MelSpectrogram(n_mels=regen_cfg.generator.n_mels)
    limit = regen_cfg.eval.max_utterances
    held_out = {
        split: speech_tensors(load_speech_corpus(regen_cfg.data, split), mel, limit)
        for split in SPLITS
    }
    pipeline = build_asr_pipeline(regen_cfg)
    shared: SharedRenderer = train_renderer(
        regen_cfg, pipeline, data, out_dir / "renderer", resume=resume, progress=progress
    )
    # The recipe's own fraction first (its pipelines fill the metrics table), then the rest
    # from small to large; results and report are rewritten after every fraction, so an
    # interrupted comparison still leaves a readable (shorter) curve.
    others = sorted(set(regen_cfg.eval.fractions) - {regen_cfg.paired_fraction})
    fractions = [regen_cfg.paired_fraction, *others]
    budget_path = out_dir / "budget.json"
    budgets = json.loads(budget_path.read_text()) if resume and budget_path.is_file() else {}
    curve, records, outputs = [], {}, {}
    _save_example_audio(out_dir, held_out, regen_cfg.eval.examples)
    for fraction in fractions:
        label = fraction_label(fraction)
        cfg = replace(regen_cfg, paired_fraction=fraction, name=f"{regen_cfg.name}-{label}")
        pipe, results = train_asr(
            cfg,
            out_dir / f"regen-{label}",
            resume=resume,
            progress=progress,
            data=data,
            renderer=shared,
        )
        steps, budget_text = direct_steps(regen_cfg, direct_cfg, results)
        steps = budgets.setdefault(label, {"direct_steps": steps, "budget": budget_text})[
            "direct_steps"
        ]
        budget_path.write_text(json.dumps(budgets, indent=1))
        dcfg = replace(direct_cfg, paired_fraction=fraction, name=f"{direct_cfg.name}-{label}")
        dcfg.train = replace(dcfg.train, generator=replace(dcfg.train.generator, steps=steps))
        dpipe, dresults = train_asr(
            dcfg, out_dir / f"direct-{label}", resume=resume, progress=progress, data=data
        )
        point = {
            "fraction": fraction,
            "paired_utterances": paired_count(len(data.train), fraction),
            "budget": budgets[label]["budget"],
        }
        for kind, p, c, res in (("regen", pipe, cfg, results), ("direct", dpipe, dcfg, dresults)):
            recognizer = Recognizer(p, c.generator.n_mels)
            scored = {split: evaluate_split(recognizer, held_out[split]) for split in SPLITS}
            metrics = flat_metrics(scored)
            metrics["train_seconds"] = sum(r.seconds for r in res)
            metrics["samples_seen"] = float(sum(r.samples_seen for r in res))
            point[kind] = metrics
            if fraction == regen_cfg.paired_fraction:
                records[kind] = pipeline_record(kind, c, res, metrics)
                outputs[kind] = {
                    s: {k: v for k, v in scored[s].items() if k != "metrics"} for s in SPLITS
                }
        curve.append(point)
        curve.sort(key=lambda p: p["fraction"])
        report = _write_results(
            out_dir, regen_cfg, direct_cfg, records, curve, outputs, data, held_out
        )
    return report


def _write_results(out_dir, regen_cfg, direct_cfg, records, curve, outputs, data, held_out):
    results = {
        "task": "asr",
        "recipe": regen_cfg.name,
        "baseline": direct_cfg.name,
        "paired_fraction": regen_cfg.paired_fraction,
        "budget_rule": regen_cfg.compare.budget,
        "pipelines": [records["regen"], records["direct"]],
        "curve": curve,
        "outputs": outputs,
        "references": {s: held_out[s].texts for s in SPLITS},
        "speakers": {s: held_out[s].speakers for s in SPLITS},
        "confusions": confusions(outputs["regen"], regen_cfg.eval.confusions),
        "data": {
            "train_utterances": len(data.train),
            "train_seconds": round(data.train.seconds, 1),
            "test_utterances": {s: len(held_out[s]) for s in SPLITS},
            "unpaired_texts": len(data.renderer_text[0]) if data.renderer_text else 0,
            "skipped_texts": data.renderer_text[1] if data.renderer_text else 0,
            "source": data.source,
        },
    }
    (out_dir / RESULTS_FILE).write_text(json.dumps(results, indent=1))
    from regen.report.asr_report import write_asr_report

    return write_asr_report(out_dir)


def flat_metrics(scored: dict[str, dict[str, Any]]) -> dict[str, float]:
    """``{"cer": .., "wer": .., "per": .., "cer_speaker": .., ...}`` from both splits."""
    metrics: dict[str, float] = {}
    for split, suffix in (("test", ""), ("test_speaker", "_speaker")):
        for key, value in scored[split]["metrics"].items():
            if key in ("realtime_speedup", "cer_true_phonemes"):  # same for both splits
                if split == "test":
                    metrics[key] = value
                continue
            metrics[key + suffix] = value
    return metrics


def confusions(regen_outputs: dict[str, Any], top: int) -> list[tuple[str, str, int]]:
    refs, hyps = [], []
    for split in SPLITS:
        refs += [
            [s for s in r if s not in MARKS] for r in regen_outputs[split]["reference_phonemes"]
        ]
        hyps += [[s for s in h if s not in MARKS] for h in regen_outputs[split]["phonemes"]]
    return phoneme_confusions(refs, hyps, top)


def pipeline_record(label: str, cfg: ASRRecipe, results: list[StageResult], metrics) -> dict:
    what = (
        f"phonemes ({'boundaries' if cfg.representation.word_boundaries else 'no boundaries'}"
        f"{', stress' if cfg.representation.stress else ''}) + CTC + P2G"
        if label == "regen"
        else "CTC on characters"
    )
    return run_record(label, what, cfg, results, metrics)


def _save_example_audio(out_dir: Path, held_out, count: int) -> None:
    """The example utterances' audio, so ``regen report`` can rebuild the page."""
    import numpy as np

    arrays = {
        f"{split}/{i}": np.round(held_out[split].wavs[i] * 32767).astype(np.int16)
        for split in SPLITS
        for i in range(min(count, len(held_out[split])))
    }
    np.savez_compressed(out_dir / "examples.npz", **arrays)
