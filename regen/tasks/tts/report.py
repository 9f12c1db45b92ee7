"""The HTML report of a TTS compare run, from its saved ``results.json`` and ``examples.npz``.

Sections: the metric table (regen vs direct, with the resynthesis rows beside them), audio
players for the same held-out sentences (ground truth, Griffin-Lim and vocoder resynthesis
from the true mel, regen, direct), mel-spectrograms side by side, the training-inference
mismatch, loss curves, the budget, the configs and the machine.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import torch

from regen.compare.records import read_results
from regen.modules.dsp import SAMPLE_RATE, MelSpectrogram
from regen.report.audio import audio_table, mel_images_png
from regen.report.html import machine_info
from regen.report.html import write_report as write_html

PLAYER_ORDER = (
    "ground truth",
    "griffin-lim resynthesis",
    "vocoder resynthesis",
    "regen",
    "regen + griffin-lim",
    "direct",
)


def _load_examples(out_dir: Path) -> dict[str, list[np.ndarray]]:
    columns: dict[str, list[np.ndarray]] = {}
    with np.load(out_dir / "examples.npz") as data:
        for key in sorted(data.files, key=lambda k: int(k.rsplit("/", 1)[1])):
            name = key.rsplit("/", 1)[0]
            columns.setdefault(name, []).append(data[key])
    return {name: columns[name] for name in PLAYER_ORDER if name in columns}


def _fmt(value) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.3g}"


def _resynthesis_table(metrics: dict[str, dict[str, float]]) -> str:
    keys = ("mcd_db", "logf0_rmse", "vuv_error")
    head = "<th>system</th>" + "".join(f"<th>{k}</th>" for k in keys)
    rows = [
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f'<td class="num">{_fmt(values.get(k))}</td>' for k in keys)
        + "</tr>"
        for name, values in metrics.items()
    ]
    return f'<table class="resynthesis"><tr>{head}</tr>{"".join(rows)}</table>'


def write_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` of a TTS compare folder."""
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    metrics = results["metrics"]
    columns = _load_examples(out_dir)
    examples = results["examples"]
    mel = MelSpectrogram()
    sections = [
        {
            "title": "Listen: the same held-out sentences",
            "html": "<p>Ground truth is the held-out recording; the resynthesis "
            "columns render the TRUE mel (renderer alone); regen and direct start from the "
            "text.</p>"
            + audio_table(examples["texts"], examples["speakers"], columns, SAMPLE_RATE),
        }
    ]
    for i, text in enumerate(examples["texts"]):
        mels = {
            name: mel.encode(torch.from_numpy(np.asarray(wavs[i], np.float32))[None])[0].numpy()
            for name, wavs in columns.items()
        }
        sections.append(
            {"title": f"Mel-spectrograms {i + 1}", "figure": mel_images_png(mels, text)}
        )
    gap = results["mismatch_gap_db"]
    gap_text = "; ".join(f"{k}: {v:+.2f} dB" for k, v in gap.items())
    sections.append(
        {
            "title": "All systems, and the training-inference mismatch",
            "html": _resynthesis_table(metrics)
            + f"<p><b>Mismatch</b> (MCD of a renderer fed the predicted mel minus the same "
            f"renderer fed the true mel): {html.escape(gap_text)}.</p>"
            + f"<p><b>Intelligibility.</b> {html.escape(results['intelligibility'])}.</p>"
            + f"<p><b>Data.</b> {html.escape(json.dumps(results['data']))}</p>",
        }
    )
    keep = (
        "mcd_db", "logf0_rmse", "vuv_error", "duration_mae_ms", "length_error_pct",
        "realtime_speedup", "asr_wer", "train_seconds",
    )  # fmt: skip
    pipelines = [
        {**record, "metrics": {k: record["metrics"].get(k) for k in keep}}
        for record in results["pipelines"]
    ]
    regen_m, direct_m = metrics["regen"], metrics["direct"]
    summary = (
        f"Regeneration (text -> mel -> vocoder) vs direct (text -> waveform) on "
        f"{results['data']['train_utterances']} training utterances, scored on "
        f"{results['data']['test_utterances_scored']} held-out sentences: MCD "
        f"{regen_m['mcd_db']:.2f} vs {direct_m['mcd_db']:.2f} dB; real-time speed "
        f"{regen_m['realtime_speedup']:.1f}x vs {direct_m['realtime_speedup']:.1f}x."
    )
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "views": results.get("views"),
        "features": "MCD-DTW, log-F0 RMSE and V/UV error against the held-out recording of "
        f"the same sentence and voice (source: {results['data']['source']}); definitions in "
        "docs/speech.md.",
        "machine": machine_info(),
        "pipelines": pipelines,
        "metric_notes": results["metric_notes"],
        "extra_sections": sections,
    }
    return write_html(report, out_dir / "report.html")
