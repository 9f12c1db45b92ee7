"""Audio metrics without downloaded models: local Fréchet audio distance, caption adherence
and codec reconstruction distances. Waveforms are float [N, T] in [-1, 1].

- :func:`frechet_distance`: ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) of two
  feature sets (Heusel et al.), here in the penultimate space of regen's own attribute
  classifier: a *local* FAD, comparable between systems of one report, never with published
  FAD values (those use VGGish features). With few clips it is biased upward; the real-vs-real
  value at the same set sizes is the floor to read it against.
- :func:`adherence`: per attribute, the share of clips where the classifier hears what the
  caption states; ``mean`` over attributes.
- :func:`reconstruction`: log-mel L1 (nats), multi-resolution STFT distance (spectral
  convergence + log-magnitude L1, the training loss of :mod:`regen.losses.spectral`) and
  SI-SNR (dB) of a resynthesis against the original.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import torch

from regen.losses.spectral import multi_resolution_stft_loss
from regen.modules.dsp import MelSpectrogram


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to feature rows ``a`` [N, D] and ``b`` [M, D]."""
    a64, b64 = a.double().numpy(), b.double().numpy()
    mu_a, mu_b = a64.mean(0), b64.mean(0)
    cov_a, cov_b = np.cov(a64, rowvar=False), np.cov(b64, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = np.real(root)
    value = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root)
    return float(max(value, 0.0))


def adherence(predicted: dict[str, torch.Tensor], wanted: dict[str, torch.Tensor]) -> dict:
    """Accuracy per attribute (``adherence_<name>``) and their mean (``adherence``)."""
    scores = {
        f"adherence_{name}": float((predicted[name] == wanted[name]).float().mean())
        for name in wanted
    }
    scores["adherence"] = float(np.mean(list(scores.values())))
    return scores


def si_snr(reference: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
    """Scale-invariant SNR in dB per row of [N, T] waveforms (means removed first)."""
    reference = reference - reference.mean(-1, keepdim=True)
    estimate = estimate - estimate.mean(-1, keepdim=True)
    scale = (estimate * reference).sum(-1, keepdim=True) / reference.pow(2).sum(-1, keepdim=True)
    target = scale * reference
    noise = estimate - target
    ratio = target.pow(2).sum(-1) / noise.pow(2).sum(-1).clamp_min(1e-12)
    return 10 * torch.log10(ratio.clamp_min(1e-12))


@torch.no_grad()
def reconstruction(
    mel: MelSpectrogram, reference: torch.Tensor, estimate: torch.Tensor
) -> dict[str, float]:
    """Mean ``mel_l1``, ``mrstft`` and ``si_snr_db`` of ``estimate`` against ``reference``
    (both [N, T]; the longer is cut to the shorter)."""
    length = min(reference.shape[-1], estimate.shape[-1])
    reference, estimate = reference[..., :length], estimate[..., :length]
    rows = [
        (
            float((mel.encode(r[None]) - mel.encode(e[None])).abs().mean()),
            float(multi_resolution_stft_loss(e[None], r[None])),
            float(si_snr(r[None], e[None])[0]),
        )
        for r, e in zip(reference, estimate)
    ]
    mel_l1, mrstft, snr = (float(np.mean(column)) for column in zip(*rows))
    return {"mel_l1": mel_l1, "mrstft": mrstft, "si_snr_db": snr}


def low_pass(audio: torch.Tensor, sample_rate: int, cutoff_hz: float) -> torch.Tensor:
    """[N, T] waveforms with every FFT bin above ``cutoff_hz`` removed (a degraded control)."""
    spectrum = torch.fft.rfft(audio)
    freqs = torch.fft.rfftfreq(audio.shape[-1], 1 / sample_rate)
    return torch.fft.irfft(spectrum * (freqs <= cutoff_hz), n=audio.shape[-1])


def with_noise(audio: torch.Tensor, snr_db: float, seed: int = 0) -> torch.Tensor:
    """[N, T] waveforms plus white noise at ``snr_db`` per clip (a degraded control)."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(audio.shape, generator=g)
    power = audio.pow(2).mean(-1, keepdim=True)
    return audio + noise * (power / 10 ** (snr_db / 10)).sqrt()
