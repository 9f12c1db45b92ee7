"""The HTML report of a sound compare run, from its ``results.json`` and ``examples.npz``.

Sections: audio players for the same held-out captions (real, codec resynthesis, regen,
direct), log-mel spectrograms side by side, every system's scores (resynthesis rows
included), the local FAD against its controls, the codec (bitrate, reconstruction by number
of levels, codebook usage per level), then the shared metric table, loss curves, budget,
configs and machine.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import torch

from regen.compare.records import read_results
from regen.modules.dsp import MelSpectrogram
from regen.report.audio import audio_table, mel_images_png
from regen.report.html import machine_info
from regen.report.html import write_report as write_html

PLAYER_ORDER = ("real", "codec resynthesis", "regen", "direct", "direct_total")
SYSTEM_KEYS = ("adherence", "adherence_family", "adherence_mode", "adherence_meter",
               "adherence_tempo", "local_fad", "realtime_speedup")  # fmt: skip


def _load_examples(out_dir: Path) -> dict[str, list[np.ndarray]]:
    columns: dict[str, list[np.ndarray]] = {}
    with np.load(out_dir / "examples.npz") as data:
        for key in sorted(data.files, key=lambda k: int(k.rsplit("/", 1)[1])):
            columns.setdefault(key.rsplit("/", 1)[0], []).append(data[key])
    return {name: columns[name] for name in PLAYER_ORDER if name in columns}


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:.3g}" if isinstance(value, float) else html.escape(str(value))


def _table(rows: dict[str, dict], keys: tuple[str, ...] | list[str], first: str) -> str:
    head = f"<th>{html.escape(first)}</th>" + "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f'<td class="num">{_fmt(values.get(k))}</td>' for k in keys)
        + "</tr>"
        for name, values in rows.items()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _codec_html(codec: dict) -> str:
    usage = codec["usage"]
    per_level = {
        f"level {q}": {
            "usage": usage[f"usage_level{q}"],
            "perplexity": usage[f"perplexity_level{q}"],
        }
        for q in range(codec["levels"])
    }
    warning = codec.get("collapse_warning")
    text = (
        f"<p>{codec['levels']} levels x {codec['codebook_size']} codes at "
        f"{codec['frame_rate_hz']:.1f} frames/s = <b>{codec['bitrate_bps']:.0f} bit/s</b>.</p>"
        + (f'<p class="warning"><b>Warning:</b> {html.escape(warning)}</p>' if warning else "")
        + "<p>Reconstruction of the held-out clips (mel_l1 in nats, mrstft = spectral "
        "convergence + log-magnitude L1, SI-SNR in dB):</p>"
        + _table(codec["reconstruction"], ["mel_l1", "mrstft", "si_snr_db"], "system")
        + "<p>From the first q levels only (quantizer dropout trains the decoder for it):</p>"
        + _table(
            {f"{q} levels": v for q, v in codec["by_levels"].items()},
            ["bitrate_bps", "mel_l1_codes", "mel_l1", "mrstft", "si_snr_db"],
            "codes",
        )
        + "<p>Codebook usage per level on the held-out clips:</p>"
        + _table(per_level, ["usage", "perplexity"], "level")
    )
    return text


def write_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` of a sound compare folder."""
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    columns = _load_examples(out_dir)
    captions = results["examples"]["captions"]
    rate = results["data"]["sample_rate"]
    mel = MelSpectrogram(sample_rate=rate, n_mels=64, fmax=rate / 2)
    sections = [
        {
            "title": "Listen: the same held-out captions",
            "html": "<p>Real is the held-out fluidsynth render (a tune never heard in "
            "training); codec resynthesis encodes and decodes it; regen and direct start from "
            "the caption alone.</p>"
            + audio_table(captions, [""] * len(captions), columns, rate, "caption"),
        }
    ]
    for i, text in enumerate(captions):
        mels = {
            name: mel.encode(torch.from_numpy(np.asarray(wavs[i], np.float32))[None])[0].numpy()
            for name, wavs in columns.items()
        }
        sections.append(
            {"title": f"Log-mel spectrograms {i + 1}", "figure": mel_images_png(mels, text)}
        )
    controls = results["fad_controls"]
    sections.append(
        {
            "title": "All systems, and the local FAD against its controls",
            "html": _table(results["systems"], SYSTEM_KEYS, "system")
            + "<p>Local FAD (the classifier's penultimate features, against the held-out real "
            "clips; not comparable to published FAD). Controls at the same set size:</p>"
            + _table(controls, ["local_fad"], "control")
            + f"<p><b>Classifier.</b> {html.escape(json.dumps(results['classifier']['trained_on']))}"
            f", {results['classifier']['steps']} steps.</p>"
            + f"<p><b>Data.</b> {html.escape(json.dumps(results['data']))}</p>",
        }
    )
    sections.append({"title": "The codec (Y')", "html": _codec_html(results["codec"])})
    keep = (*SYSTEM_KEYS, "peak_rss_mb", "train_seconds")
    pipelines = [
        {**record, "metrics": {k: record["metrics"].get(k) for k in keep}}
        for record in results["pipelines"]
    ]
    systems = results["systems"]
    summary = (
        "Regeneration (caption -> codec tokens -> log-mel -> waveform) vs direct "
        f"(caption -> waveform) on "
        f"{results['data']['train_clips']} training clips, scored on "
        f"{results['data']['test_clips_scored']} held-out captions: caption adherence "
        f"{systems['regen']['adherence']:.2f} vs {systems['direct']['adherence']:.2f} (real "
        f"{systems['real']['adherence']:.2f}); local FAD {systems['regen']['local_fad']:.2f} vs "
        f"{systems['direct']['local_fad']:.2f} (real-vs-real floor "
        f"{controls['real vs real (other tunes, floor)']['local_fad']:.2f})."
    )
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "views": results.get("views"),
        "features": "Adherence and local FAD use a small classifier regen trains on the real "
        "training clips (no downloaded audio model); see docs/sound.md.",
        "machine": machine_info(),
        "pipelines": pipelines,
        "metric_notes": results["metric_notes"],
        "extra_sections": sections,
    }
    return write_html(report, out_dir / "report.html")
