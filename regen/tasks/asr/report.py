"""The speech recognition comparison page: curve, transcripts with errors marked, confusions.

Built on :func:`regen.report.html.write_report`; this module only makes the ASR sections
(trusted HTML written here, every text escaped) and hands them over as ``extra_sections``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from regen.compare.records import by_label, read_results
from regen.data.audio import SAMPLE_RATE, wav_to_data_uri
from regen.eval.asr_metrics import word_alignment
from regen.report.html import machine_info
from regen.report.html import write_report as write_html
from regen.report.plots import line_plot_png

_STYLE = """<style>
.asr span.sub { background: #fde2c8; } .asr span.del { background: #f8c9c9;
  text-decoration: line-through; } .asr span.ins { background: #d6ecd2; }
.asr td.text { font: 13px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; max-width: 52em;
  overflow-wrap: anywhere; }
.asr audio { height: 28px; width: 220px; }
</style>"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def marked_transcript(reference: str, hypothesis: str) -> str:
    """The hypothesis as HTML with substituted, deleted and inserted words marked.

    Deleted words are shown struck through in the reference's wording; a substitution
    shows the recognised word with the reference word as its tooltip.
    """
    parts = []
    for kind, ref, hyp in word_alignment(reference, hypothesis):
        if kind == "equal":
            parts.append(_e(hyp))
        elif kind == "substitute":
            parts.append(f'<span class="sub" title="{_e(ref)}">{_e(hyp)}</span>')
        elif kind == "delete":
            parts.append(f'<span class="del">{_e(ref)}</span>')
        else:
            parts.append(f'<span class="ins">{_e(hyp)}</span>')
    return " ".join(parts) or '<span class="muted">(empty)</span>'


def curve_section(curve: list[dict[str, Any]]) -> tuple[bytes, str]:
    """CER against paired fraction (figure) and every metric per fraction (table)."""
    series = {}
    for kind in ("regen", "direct"):
        for key, split in (("cer", "held-out sentences"), ("cer_speaker", "held-out voice")):
            series[f"{kind} CER, {split}"] = [(p["fraction"] * 100, p[kind][key]) for p in curve]
    figure = line_plot_png(series, "paired speech used (% of training sentences)", "CER", logx=True)
    keys = ["per", "cer", "wer", "per_speaker", "cer_speaker", "wer_speaker"]
    head = (
        "<th>paired</th><th>utterances</th><th>budget</th>"
        + "".join(
            f"<th>{kind} {k}</th>"
            for kind in ("regen", "direct")
            for k in keys
            if kind == "regen" or not k.startswith("per")
        )
        + "<th>CER ratio regen / direct</th>"
    )
    rows = []
    for p in curve:
        cells = [f"{p['fraction'] * 100:g}%", str(p["paired_utterances"]), _e(p["budget"])]
        for kind in ("regen", "direct"):
            for k in keys:
                if kind == "direct" and k.startswith("per"):
                    continue
                value = p[kind].get(k)
                cells.append("—" if value is None else f"{value:.3f}")
        ratio = p["regen"]["cer"] / p["direct"]["cer"] if p["direct"]["cer"] else float("nan")
        cells.append(f"{ratio:.2f}×")
        rows.append("<tr>" + "".join(f'<td class="num">{c}</td>' for c in cells) + "</tr>")
    table = f'<div class="scroll"><table class="curve"><tr>{head}</tr>{"".join(rows)}</table></div>'
    return figure, table


def examples_section(results: dict[str, Any], audio: dict[str, np.ndarray], count: int) -> str:
    """Reference, regen and direct transcripts of the first utterances of each split."""
    outputs = results["outputs"]
    blocks = []
    for split, title in (("test", "held-out sentences"), ("test_speaker", "held-out voice")):
        if split not in results["references"]:  # a data.source has no held-out voice
            continue
        references = results["references"][split]
        rows = []
        for i in range(min(count, len(references))):
            ref = references[i]
            key = f"{split}/{i}"
            player = (
                f'<audio controls preload="none" src="{wav_to_data_uri(audio[key], SAMPLE_RATE)}">'
                "</audio>"
                if key in audio
                else ""
            )
            speaker = results["speakers"][split][i]
            rows.append(
                f'<tr><td rowspan="3">{player}<br><small>{_e(speaker)}</small></td>'
                f'<th>reference</th><td class="text">{_e(ref)}</td></tr>'
                f'<tr><th>regen</th><td class="text">'
                f"{marked_transcript(ref, outputs['regen'][split]['hypotheses'][i])}"
                f'<br><small class="muted">{_e(" ".join(outputs["regen"][split]["phonemes"][i]))}'
                "</small></td></tr>"
                f'<tr><th>direct</th><td class="text">'
                f"{marked_transcript(ref, outputs['direct'][split]['hypotheses'][i])}</td></tr>"
            )
        blocks.append(f'<h3>{_e(title)}</h3><table class="examples">{"".join(rows)}</table>')
    legend = (
        '<p class="muted">Marked words: <span class="sub">substituted</span> (hover for the '
        'reference word), <span class="del">deleted</span>, <span class="ins">inserted</span>. '
        "Under the regen transcript: the phonemes its acoustic model recognised (eSpeak "
        "mnemonics, | between words).</p>"
    )
    return f'{_STYLE}<div class="asr">{legend}{"".join(blocks)}</div>'


def confusion_section(confusions: list[list[Any]]) -> str:
    """The most frequent phoneme errors of the regeneration pipeline's acoustic model."""
    if not confusions:
        return "<p>No phoneme errors on the held-out utterances.</p>"
    rows = "".join(
        f'<tr><td>{_e(ref)}</td><td>{_e(hyp)}</td><td class="num">{count}</td></tr>'
        for ref, hyp, count in confusions
    )
    return (
        '<p class="muted">Reference phoneme → recognised phoneme over both held-out splits '
        "(∅: deleted or inserted), most frequent first.</p>"
        f'<table class="confusions"><tr><th>reference</th><th>recognised</th><th>count</th>'
        f"</tr>{rows}</table>"
    )


def write_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` from the ``results.json`` of an ASR compare run.

    The paired-data curve section appears when results hold a ``curve`` (from
    ``regen study paired asr/...``, or a compare folder written before that study existed).
    """
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    examples = out_dir / "examples.npz"
    audio = {}
    if examples.is_file():
        with np.load(examples) as stored:
            audio = {k: stored[k].astype(np.float32) / 32767 for k in stored.files}
    runs = by_label(results)
    regen_m, direct_m = runs["regen"]["metrics"], runs["direct"]["metrics"]
    data = results["data"]
    summary = (
        f"Speech -> phonemes -> text (renderer trained on {data['unpaired_texts']:,} unpaired "
        f"texts) vs CTC on characters, on {data['train_utterances']:,} paired training "
        f"utterances ({data['train_seconds'] / 60:.1f} min of speech). At "
        f"{results['paired_fraction'] * 100:g}% paired: CER {regen_m['cer']:.3f} vs "
        f"{direct_m['cer']:.3f}, WER {regen_m['wer']:.3f} vs {direct_m['wer']:.3f}."
    )
    sections = []
    if results.get("curve"):
        figure, table = curve_section(results["curve"])
        sections += [
            {"title": "Paired-data efficiency: CER against paired fraction", "figure": figure},
            {"title": "Paired-data efficiency: every metric", "html": table},
        ]
    count = max((int(k.split("/")[1]) + 1 for k in audio), default=8)
    sections += [
        {"title": "Example transcripts", "html": examples_section(results, audio, count)},
        {"title": "Most frequent phoneme errors", "html": confusion_section(results["confusions"])},
    ]
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "views": results.get("views"),
        "features": (
            f"Held-out sentences: {data['test_utterances']['test']} utterances in training "
            f"voices; held-out voice: {data['test_utterances']['test_speaker']} utterances. "
            f"Source: {data['source']}. Metric definitions: docs/asr.md."
        ),
        "machine": machine_info(),
        "pipelines": results["pipelines"],
        "metric_notes": results["metric_notes"],
        "extra_sections": sections,
    }
    return write_html(report, out_dir / "report.html")
