"""Speech quality metrics against a reference recording of the same sentence and speaker.

Mel-cepstral distortion with DTW (MCD-DTW), exactly as computed here:

1. Frames: Hann window of 1024 samples, hop 256, centred (22,050 Hz), power spectrum |X|^2
   floored at 60 dB below the utterance's strongest bin (without a floor, the empty band
   above a mel-spectrogram's 8 kHz would dominate the distance of every mel-based system).
2. Mel-cepstrum of order 24 with all-pass constant alpha = 0.455 (the usual value for
   22.05 kHz): the log power spectrum is resampled on the all-pass-warped frequency axis
   and transformed by an inverse real FFT (a frequency-warped cepstrum; SPTK's ``mcep``
   reaches nearly the same coefficients by iterative fitting, which would need pysptk).
   c0 (the frame's log energy) is EXCLUDED; c1..c24 are compared.
3. Frames whose reference energy is more than 40 dB below the utterance's loudest frame
   are dropped from both sides (leading/trailing silence would otherwise dominate).
4. The two sequences are aligned by DTW (``librosa.sequence.dtw``, Euclidean cost on
   c1..c24); MCD = mean over the aligned pairs of (10 / ln 10) * sqrt(2 * sum_d (c_d - c'_d)^2),
   in dB.

On the same DTW path: log-F0 RMSE (natural-log units) over pairs voiced on both sides and the
voiced/unvoiced error (fraction of pairs whose voicing disagrees), with F0 and voicing from
:mod:`regen.eval.pitch`.
"""

from __future__ import annotations

import librosa
import numpy as np

from regen.eval.pitch import f0_and_voicing
from regen.modules.dsp import SAMPLE_RATE

N_FFT, HOP = 1024, 256
MCD_SCALE = 10.0 / np.log(10.0) * np.sqrt(2.0)
SILENCE_DB = 40.0
POWER_FLOOR = 1e-6  # -60 dB below the utterance's strongest bin


def _warped_axis(bins: int, alpha: float) -> np.ndarray:
    """For each bin of the warped axis, the (fractional) linear-frequency bin it samples."""
    omega = np.linspace(0, np.pi, bins)
    # inverse all-pass warping: the linear frequency that maps onto each warped frequency
    linear = omega - 2 * np.arctan(alpha * np.sin(omega) / (1 + alpha * np.cos(omega)))
    return linear / np.pi * (bins - 1)


def mel_cepstrum(wav: np.ndarray, order: int = 24, alpha: float = 0.455) -> np.ndarray:
    """[F, order + 1] warped cepstra c0..c_order of ``wav`` (22,050 Hz), F = 1 + len // 256."""
    spec = np.abs(librosa.stft(np.asarray(wav, np.float32), n_fft=N_FFT, hop_length=HOP)) ** 2
    log_power = np.log(np.maximum(spec, spec.max() * POWER_FLOOR))  # [bins, F]
    bins = log_power.shape[0]
    positions = _warped_axis(bins, alpha)
    warped = np.stack([np.interp(positions, np.arange(bins), col) for col in log_power.T])
    cepstrum = np.fft.irfft(warped, axis=1)[:, : order + 1]
    cepstrum[:, 1:] *= 2.0  # one-sided real cepstrum of a symmetric spectrum
    return cepstrum / 2.0  # of the log amplitude, not the log power


def _dtw_path(ref: np.ndarray, gen: np.ndarray) -> np.ndarray:
    _, path = librosa.sequence.dtw(X=ref.T, Y=gen.T, metric="euclidean")
    return path[::-1]


def speech_distances(
    reference: np.ndarray,
    generated: np.ndarray,
    order: int = 24,
    alpha: float = 0.455,
    sample_rate: int = SAMPLE_RATE,
) -> dict[str, float]:
    """``mcd_db``, ``logf0_rmse`` and ``vuv_error`` of ``generated`` against ``reference``."""
    if len(generated) < N_FFT or len(reference) < N_FFT:
        return {"mcd_db": float("nan"), "logf0_rmse": float("nan"), "vuv_error": float("nan")}
    ref_c, gen_c = mel_cepstrum(reference, order, alpha), mel_cepstrum(generated, order, alpha)
    ref_f0, ref_v = f0_and_voicing(reference, sample_rate, HOP)
    gen_f0, gen_v = f0_and_voicing(generated, sample_rate, HOP)
    n_ref, n_gen = min(len(ref_c), len(ref_f0)), min(len(gen_c), len(gen_f0))
    loud_ref = _loud(ref_c[:n_ref, 0])
    loud_gen = _loud(gen_c[:n_gen, 0])
    ref_idx, gen_idx = np.flatnonzero(loud_ref), np.flatnonzero(loud_gen)
    path = _dtw_path(ref_c[ref_idx, 1:], gen_c[gen_idx, 1:])
    r, g = ref_idx[path[:, 0]], gen_idx[path[:, 1]]
    diff = ref_c[r, 1:] - gen_c[g, 1:]
    mcd = float(np.mean(MCD_SCALE * np.sqrt((diff**2).sum(1))))
    both = ref_v[r] & gen_v[g]
    logf0 = (
        float(np.sqrt(np.mean((np.log(ref_f0[r][both]) - np.log(gen_f0[g][both])) ** 2)))
        if both.any()
        else float("nan")
    )
    return {"mcd_db": mcd, "logf0_rmse": logf0, "vuv_error": float(np.mean(ref_v[r] != gen_v[g]))}


def _loud(c0: np.ndarray) -> np.ndarray:
    # c0 is the mean log amplitude of the frame; 40 dB = 40 / 20 * ln 10 natural-log units
    loud = c0 > c0.max() - SILENCE_DB / 20 * np.log(10)
    return loud if loud.sum() >= 2 else np.ones_like(loud)


def duration_error(predicted: list[int], reference: list[int], hop_seconds: float) -> dict:
    """Mean absolute phoneme duration error in ms, and total-length error in percent."""
    p, r = np.asarray(predicted, float), np.asarray(reference, float)
    return {
        "duration_mae_ms": float(np.abs(p - r).mean() * hop_seconds * 1000),
        "length_error_pct": float(abs(p.sum() - r.sum()) / max(r.sum(), 1) * 100),
    }
