"""``regen compare melody/...``: lyrics -> template -> melody against lyrics -> melody.

Both pipelines train on the same budget (optimizer steps x batch summed over the stages that
learn: the direct generator gets the regen generator's plus the renderer's), generate one
melody for each held-out chorale segment from its lyrics, key and meter, and are scored
against the real soprano line (:mod:`regen.eval.melody_metrics`). The report shows the
metrics, loss curves, and for a few held-out lyrics the real, regen and direct melodies as
piano rolls (template drawn over the regen one) and audio; MIDI and MusicXML files of the
same melodies are written beside it.
"""

from __future__ import annotations

import html
import json
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from regen.config import load_with_baseline
from regen.data.lyrics import Syllable, lyrics_text
from regen.data.music import MelodySet
from regen.eval.compare import budget_statement, run_record
from regen.eval.melody_metrics import (
    alignment_accuracy,
    distribution_similarity,
    melody_distance,
    template_accuracy,
)
from regen.generators.lyrics import condition_from_data
from regen.melody_config import MelodyRecipeConfig
from regen.pipeline import Pipeline
from regen.representations.music_template import MusicTemplate
from regen.training.loop import StageResult
from regen.training.melody import generate_melodies, melody_splits, train_melody

RESULTS_FILE = "results.json"
EXAMPLES_FILE = "examples.html"  # piano rolls and players, kept so `regen report` can rewrite
METRIC_NOTES = {
    "pd": "pitch-distribution similarity to the real melody (%), higher is better",
    "dd": "duration-distribution similarity to the real melody (%), higher is better",
    "md": "melody distance, DTW over mean-removed pitch contours (semitones), lower is better",
    "template_tonality": "melody's analysed key = the key of its template, higher is better",
    "template_chord": "on-beat notes that are tones of the template chord, higher is better",
    "template_rhythm": "notes with the template's position and duration, higher is better",
    "template_cadence": "phrase ends that realise the template cadence, higher is better",
    "truth_template_chord": "on-beat notes in the chord of the REAL melody's template, "
    "higher is better",
    "truth_template_cadence": "phrase ends realising the REAL melody's cadences, higher is better",
    "key_accuracy": "melody's analysed key = the asked key, higher is better",
    "syllable_one_note": "syllables that got exactly one note, higher is better",
    "stress_on_beat": "stressed syllables of longer words on a beat (real melodies: see "
    "reference), higher is better",
    "melodies_per_s": "melodies generated per second on this machine, higher is better",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "training budget: optimizer steps x batch summed over stages",
}


def load_melody_pair(
    recipe: str | Path, overrides: list[str]
) -> tuple[MelodyRecipeConfig, MelodyRecipeConfig]:
    """The regen recipe and its direct baseline, the baseline's steps set to the same budget."""
    regen_cfg, direct_cfg = load_with_baseline(recipe, overrides)
    stages = [regen_cfg.train.generator]
    if regen_cfg.renderer.kind == "template_to_melody":
        stages.append(regen_cfg.train.renderer)
    budget = sum(s.steps * s.batch_size for s in stages)
    gen = direct_cfg.train.generator
    direct_cfg.train.generator = replace(gen, steps=math.ceil(budget / gen.batch_size))
    return regen_cfg, direct_cfg


def evaluate_melodies(
    pipeline: Pipeline, test: MelodySet, config: MelodyRecipeConfig
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor | None]:
    """Metrics of one pipeline on held-out segments, and the melodies (and templates) scored.

    Generation is timed on this pass, after a one-song warm-up.
    """
    x = condition_from_data(test.syllables, test.melodies, test.lengths)
    generate_melodies(pipeline, x[:1], seed=config.seed)
    start = time.perf_counter()
    melodies, templates = generate_melodies(
        pipeline, x, seed=config.seed, batch_size=config.eval.batch_size
    )
    seconds = time.perf_counter() - start
    truth = test.melodies
    metrics = distribution_similarity(melodies, truth)
    metrics["md"] = melody_distance(melodies, truth)
    if templates is not None:
        metrics.update(template_accuracy(melodies, templates))
    truth_templates = MusicTemplate().encode(truth)
    vs_truth = template_accuracy(melodies, truth_templates)
    metrics["truth_template_chord"] = vs_truth["template_chord"]
    metrics["truth_template_cadence"] = vs_truth["template_cadence"]
    metrics["key_accuracy"] = vs_truth["template_tonality"]
    metrics.update(alignment_accuracy(melodies, test.syllables, test.lengths))
    metrics["melodies_per_s"] = len(x) / seconds
    return metrics, melodies, templates


def reference_metrics(test: MelodySet) -> dict[str, float]:
    """The real held-out melodies scored like the generated ones (the ceiling)."""
    truth = test.melodies
    metrics = template_accuracy(truth, MusicTemplate().encode(truth))
    metrics.update(alignment_accuracy(truth, test.syllables, test.lengths))
    return metrics


def run_melody_compare(
    recipe: str | Path,
    overrides: list[str] | None = None,
    *,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Train regen and direct on the same budget, score both, write the report."""
    regen_cfg, direct_cfg = load_melody_pair(recipe, overrides or [])
    out_dir = Path(out_dir or Path("runs") / f"compare-{regen_cfg.name}")
    data = melody_splits(regen_cfg)
    test = data["test"]
    if regen_cfg.eval.max_test is not None:
        test = test.subset(list(range(min(len(test), regen_cfg.eval.max_test))))
    records, outputs = [], {}
    for label, cfg in (("regen", regen_cfg), ("direct", direct_cfg)):
        pipeline, results = train_melody(
            cfg, out_dir / cfg.name, resume=resume, progress=progress, data=data
        )
        metrics, melodies, templates = evaluate_melodies(pipeline, test, cfg)
        metrics["train_seconds"] = sum(r.seconds for r in results)
        metrics["samples_seen"] = float(sum(r.samples_seen for r in results))
        outputs[label] = (melodies, templates)
        records.append(pipeline_record(label, cfg, pipeline, results, metrics))
    examples = write_examples(out_dir, test, outputs, regen_cfg.eval.examples)
    results = {
        "task": "melody",
        "recipe": regen_cfg.name,
        "baseline": direct_cfg.name,
        "pipelines": records,
        "reference": reference_metrics(test),
        "budget": budget_statement(records, "samples"),
        "data": {k: len(v) for k, v in data.items()} | {"scored": len(test)},
        "source": test.source,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RESULTS_FILE).write_text(json.dumps(results, indent=1))
    (out_dir / EXAMPLES_FILE).write_text(examples)
    return write_melody_report(out_dir, results, examples)


def rewrite_melody_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` of a melody compare folder from its saved results."""
    out_dir = Path(out_dir)
    results = json.loads((out_dir / RESULTS_FILE).read_text())
    examples = out_dir / EXAMPLES_FILE
    return write_melody_report(out_dir, results, examples.read_text() if examples.is_file() else "")


def pipeline_record(label, cfg, pipeline, results: list[StageResult], metrics) -> dict[str, Any]:
    kind = (
        "lyrics -> melody tokens"
        if pipeline.is_direct
        else (
            f"lyrics -> template -> melody ({cfg.renderer.kind}"
            + (", constrained" if cfg.renderer.constrained else "")
            + ")"
        )
    )
    return run_record(label, kind, cfg, results, metrics)


def _pick_examples(test: MelodySet, count: int) -> list[int]:
    """The first segment of each of the first ``count`` held-out pieces."""
    seen, picked = set(), []
    for i, piece in enumerate(test.pieces):
        if piece not in seen and len(picked) < count:
            seen.add(piece)
            picked.append(i)
    return picked


def write_examples(out_dir: Path, test: MelodySet, outputs: dict[str, tuple], count: int) -> str:
    """Piano rolls, audio players and MIDI/MusicXML files for ``count`` held-out lyrics."""
    from regen.report.html import _img
    from regen.report.music import (
        audio_html,
        melody_wav,
        piano_roll_png,
        write_midi,
        write_musicxml,
    )

    folder = out_dir / "melodies"
    blocks, synth = [], ""
    for n, i in enumerate(_pick_examples(test, count)):
        syllables = test.texts[i]
        feats = test.syllables[i, : len(syllables)].tolist()
        text = lyrics_text([Syllable(t, *f) for t, f in zip(syllables, feats)])
        rows = [
            (
                "real (held-out)",
                test.melodies[i],
                MusicTemplate().encode(test.melodies[i : i + 1])[0],
            )
        ]
        for label, (melodies, templates) in outputs.items():
            rows.append((label, melodies[i], None if templates is None else templates[i]))
        players, links = [], []
        for label, melody, _ in rows:
            short = label.split()[0]
            stem = f"{n:02d}_{short}"
            write_midi(melody, folder / f"{stem}.mid")
            write_musicxml(melody, folder / f"{stem}.musicxml", syllables)
            wav, synth = melody_wav(melody)
            players.append(f"<td><b>{html.escape(label)}</b><br>{audio_html(wav, label)}</td>")
            links.append(
                f'<a href="melodies/{stem}.mid">{stem}.mid</a> '
                f'<a href="melodies/{stem}.musicxml">{stem}.musicxml</a>'
            )
        roll = _img(piano_roll_png(rows, syllables), f"piano rolls for {test.pieces[i]}")
        blocks.append(
            f"<h3>{html.escape(test.pieces[i])}: “{html.escape(text)}”</h3>\n{roll}\n"
            f"<table><tr>{''.join(players)}</tr></table>\n"
            f'<p class="muted">Files: {" · ".join(links)}</p>'
        )
    legend = (
        '<p class="muted">Blue bars are notes; yellow bands are the tones of the template chord '
        "under each note (Roman numeral where the chord changes); A / H mark authentic / half "
        f"cadences; grey lines are bar lines. Audio: {html.escape(synth)}.</p>"
    )
    return legend + "\n" + "\n".join(blocks)


def write_melody_report(out_dir: Path, results: dict[str, Any], examples_html: str) -> Path:
    from regen.report.html import machine_info, write_report

    regen_m, direct_m = (p["metrics"] for p in results["pipelines"])
    summary = (
        f"{results['pipelines'][0]['name']} vs {results['pipelines'][1]['name']} on "
        f"{results['data']['scored']} held-out chorale segments ({results['source']}). "
        f"PD {regen_m['pd']:.1f}% vs {direct_m['pd']:.1f}%, DD {regen_m['dd']:.1f}% vs "
        f"{direct_m['dd']:.1f}%, MD {regen_m['md']:.2f} vs {direct_m['md']:.2f}."
    )
    reference = "".join(
        f"<tr><td>{html.escape(k)}</td><td class='num'>{v:.3f}</td></tr>"
        for k, v in results["reference"].items()
    )
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "machine": machine_info(),
        "pipelines": results["pipelines"],
        "metric_notes": METRIC_NOTES,
        "extra_sections": [
            {"title": "Held-out lyrics: real, regen and direct melodies", "html": examples_html},
            {
                "title": "Reference: the real held-out melodies against their own templates",
                "html": f"<table>{reference}</table>",
            },
        ],
    }
    return write_report(report, out_dir / "report.html")
