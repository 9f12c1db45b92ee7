"""The melody task's ``regen compare`` hooks: lyrics -> template -> melody vs lyrics -> melody.

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
import sys
import time
from pathlib import Path
from typing import Any

import torch

from regen.compare.records import by_label, read_results
from regen.data.lyrics import Syllable, lyrics_text
from regen.data.music import MelodySet
from regen.eval.melody_metrics import (
    alignment_accuracy,
    distribution_similarity,
    melody_distance,
    template_accuracy,
)
from regen.generators.lyrics import condition_from_data
from regen.pipeline import Pipeline
from regen.report.html import _img, machine_info
from regen.report.html import write_report as write_html
from regen.report.music import (
    audio_html,
    melody_wav,
    piano_roll_png,
    write_midi,
    write_musicxml,
)
from regen.representations.music_template import MusicTemplate
from regen.tasks.melody.config import MelodyRecipeConfig
from regen.tasks.melody.train import (
    build_melody_pipeline,
    generate_melodies,
    generator_tensors,
    melody_splits,
    train_melody,
)
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

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


def learned_stages(config: MelodyRecipeConfig) -> list[str]:
    if config.renderer.kind == "template_to_melody" and not config.is_direct:
        return ["generator", "renderer"]
    return ["generator"]


def load_data(config: MelodyRecipeConfig) -> dict[str, MelodySet]:
    """Paired, unpaired and held-out segments; ``scored`` is the held-out part evaluated."""
    data = melody_splits(config)
    test = data["test"]
    if config.eval.max_test is not None:
        test = test.subset(list(range(min(len(test), config.eval.max_test))))
    return {**data, "scored": test}


def train(
    config: MelodyRecipeConfig,
    run_dir: Path,
    *,
    data: dict[str, MelodySet],
    resume: bool,
    progress: bool,
) -> tuple[Pipeline, list[StageResult]]:
    splits = {k: v for k, v in data.items() if k != "scored"}
    return train_melody(config, run_dir, resume=resume, progress=progress, data=splits)


def probe_step_seconds(direct_cfg: MelodyRecipeConfig, data: dict[str, MelodySet]) -> float:
    """Seconds of one optimizer step of the direct baseline's generator (timed probe)."""
    pipeline = build_melody_pipeline(direct_cfg)
    tensors = generator_tensors(pipeline, data["paired"])
    batch = direct_cfg.train.generator.batch_size
    first = {k: v[:batch] for k, v in tensors.items()}
    return best_step_seconds(pipeline.generator.train(), lambda: first)


def evaluate(
    runs: dict[str, tuple[Pipeline, MelodyRecipeConfig]],
    data: dict[str, MelodySet],
    config: MelodyRecipeConfig,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # only a task whose evaluate trains (text) reads it
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """PD/DD/MD and template metrics of both pipelines; example piano rolls, audio, files."""
    test = data["scored"]
    metrics, outputs = {}, {}
    for label, (pipeline, cfg) in runs.items():
        if progress:
            print(f"evaluating {label} on {len(test)} held-out segments", file=sys.stderr)
        metrics[label], melodies, templates = evaluate_melodies(pipeline, test, cfg)
        outputs[label] = (melodies, templates)
    examples = write_examples(Path(out_dir), test, outputs, config.eval.examples)
    (Path(out_dir) / EXAMPLES_FILE).write_text(examples)
    extra = {
        "reference": reference_metrics(test),
        "data": {k: len(v) for k, v in data.items() if k != "scored"} | {"scored": len(test)},
        "source": test.source,
    }
    return metrics, extra


def write_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` of a melody compare folder from its saved results."""
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    examples = out_dir / EXAMPLES_FILE
    return write_melody_report(out_dir, results, examples.read_text() if examples.is_file() else "")


def describe(label: str, pipeline: Pipeline, cfg: MelodyRecipeConfig) -> str:
    if pipeline.is_direct:
        return "lyrics -> melody tokens"
    constrained = ", constrained" if cfg.renderer.constrained else ""
    return f"lyrics -> template -> melody ({cfg.renderer.kind}{constrained})"


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
    runs = by_label(results)
    regen_m, direct_m = runs["regen"]["metrics"], runs["direct"]["metrics"]
    summary = (
        f"{runs['regen']['name']} vs {runs['direct']['name']} (equal paired compute) on "
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
        "views": results.get("views"),
        "machine": machine_info(),
        "pipelines": results["pipelines"],
        "metric_notes": results["metric_notes"],
        "extra_sections": [
            {"title": "Held-out lyrics: real, regen and direct melodies", "html": examples_html},
            {
                "title": "Reference: the real held-out melodies against their own templates",
                "html": f"<table>{reference}</table>",
            },
        ],
    }
    return write_html(report, out_dir / "report.html")
