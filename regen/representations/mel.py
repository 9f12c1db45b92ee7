"""Explicit speech representations: log-mel and log-linear STFT magnitude spectrograms.

    waveform [B, T] in [-1, 1] at 22,050 Hz ──encode──▶ log-mel [B, 80, 1 + T // 256]

Nothing is learned; ``decode`` inverts with Griffin-Lim. The transforms themselves live in
:mod:`regen.modules.dsp`, because the vocoder, the direct waveform baseline and the spectral
losses compute the same spectrograms; this module is where the contracts find them as Y'.
"""

from __future__ import annotations

from regen.modules.dsp import LinearSpectrogram, MelSpectrogram

__all__ = ["LinearSpectrogram", "MelSpectrogram"]
