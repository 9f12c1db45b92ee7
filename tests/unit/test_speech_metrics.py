"""Speech metrics: MCD-DTW, F0/voicing, duration error."""

from __future__ import annotations

import numpy as np

from regen.data.espeak import synthesize
from regen.eval.pitch import f0_and_voicing
from regen.eval.speech_metrics import duration_error, mel_cepstrum, speech_distances


def test_f0_of_a_tone_and_silence() -> None:
    t = np.arange(22050) / 22050
    tone = (0.5 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    f0, voiced = f0_and_voicing(np.concatenate([tone, np.zeros(11025, np.float32)]))
    assert len(f0) == 1 + (22050 + 11025) // 256
    assert abs(np.median(f0[voiced]) - 150) < 3
    assert voiced[10:70].all() and not voiced[-20:].any()


def test_mcd_is_zero_for_identical_and_grows_with_distortion() -> None:
    wav = synthesize("The cat sat on the mat.", "en-us").wav
    same = speech_distances(wav, wav)
    assert same == {"mcd_db": 0.0, "logf0_rmse": 0.0, "vuv_error": 0.0}
    rng = np.random.default_rng(0)
    light = speech_distances(wav, wav + rng.normal(0, 0.003, len(wav)).astype(np.float32))
    heavy = speech_distances(wav, wav + rng.normal(0, 0.03, len(wav)).astype(np.float32))
    other = speech_distances(wav, synthesize("The cat sat on the mat.", "en-us+f2").wav)
    assert 0 < light["mcd_db"] < heavy["mcd_db"]
    assert other["logf0_rmse"] > 0.3  # the +f2 variant speaks much higher
    assert mel_cepstrum(wav).shape == (1 + len(wav) // 256, 25)


def test_duration_error() -> None:
    errors = duration_error([2, 4, 6], [2, 5, 8], hop_seconds=0.01)
    assert abs(errors["duration_mae_ms"] - 10.0) < 1e-9
    assert abs(errors["length_error_pct"] - 20.0) < 1e-9
