"""Report pieces for speech: <audio> players with inline WAV data, mel-spectrogram images.

Everything is inline (base64 data URIs), like the rest of the report, so the HTML file plays
offline. The returned HTML goes into ``extra_sections`` of :func:`regen.report.html.write_report`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from regen.data.audio import wav_to_data_uri
from regen.report.plots import figure_png


def audio_player(wav: np.ndarray, sample_rate: int, label: str) -> str:
    """One ``<audio controls>`` element playing ``wav`` (float [T] in [-1, 1])."""
    uri = wav_to_data_uri(np.asarray(wav, np.float32), sample_rate)
    return f'<audio controls preload="metadata" style="width: 150px" title="{html.escape(label)}" src="{uri}"></audio>'


def audio_table(
    sentences: Sequence[str],
    speakers: Sequence[str],
    columns: Mapping[str, Sequence[np.ndarray]],
    sample_rate: int,
    first_header: str = "sentence (voice)",
) -> str:
    """A table: one row per sentence, one player per column (system), same order."""
    head = f"<th>{html.escape(first_header)}</th>" + "".join(
        f"<th>{html.escape(c)}</th>" for c in columns
    )
    rows = []
    for i, (text, voice) in enumerate(zip(sentences, speakers)):
        cells = "".join(
            f"<td>{audio_player(wavs[i], sample_rate, f'{name}: {text}')}</td>"
            for name, wavs in columns.items()
        )
        rows.append(
            f"<tr><td>{html.escape(text)}<br><small>{html.escape(voice)}</small></td>{cells}</tr>"
        )
    table = f'<table class="audio">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>"
    return f'<div class="scroll">{table}</div>'


def mel_images_png(mels: Mapping[str, np.ndarray], title: str) -> bytes:
    """PNG of log-mel spectrograms [n_mels, F] side by side, on one colour scale."""
    names = list(mels)
    low = min(float(np.percentile(m, 1)) for m in mels.values())
    high = max(float(m.max()) for m in mels.values())
    fig = Figure(figsize=(1.9 * len(names), 2.4), dpi=90)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        ax.imshow(mels[name], origin="lower", aspect="auto", vmin=low, vmax=high, cmap="magma")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("frame", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("mel band", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return figure_png(fig)
