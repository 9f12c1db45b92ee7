"""Video metrics without downloaded models: local FVD, caption adherence, reconstruction.

* local FVD: the Fréchet distance between Gaussians fitted to the pooled features of
  :class:`regen.eval.video_classifier.FactorClassifier` on two sets of clips. It plays the
  role of FVD but with a network trained here on this dataset, so its values are NOT
  comparable with published FVD. :func:`control_rows` gives the floor and references:
  real vs real (a second set of real clips), blurred per frame (mildly, and by a 3x3 box)
  and frame-shuffled (the frames of each real clip in random order).
* caption adherence: the classifiers' accuracy on generated clips against the factors
  their captions asked for, per factor and for all three at once (direction and speed from
  the 3-D classifier; the glyph, in the task, from per-frame reading, see video_glyphs).
* reconstruction: PSNR and SSIM (torchmetrics) per frame of decode(encode(clip)).

Clips are float ``[N, T, H, W]`` in [-1, 1] throughout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from regen.eval.video_classifier import FACTORS, FactorClassifier, embed, predict


def frechet_distance(a: Tensor, b: Tensor) -> float:
    """``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` for features ``[N, D]``."""
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # Tr((S_a S_b)^(1/2)) = sum of sqrt of the eigenvalues of S_a S_b (real, >= 0 up to noise)
    eigenvalues = torch.linalg.eigvals(cov_a @ cov_b).real.clamp_min(0)
    trace_sqrt = eigenvalues.sqrt().sum()
    distance = (mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * trace_sqrt
    return float(distance)


def blur(clips: Tensor, sigma: float | None = None) -> Tensor:
    """Every frame blurred by a 3x3 filter (edges padded by replication): a box filter by
    default, or a Gaussian of standard deviation ``sigma`` pixels (0.5: a mild blur)."""
    n, t, h, w = clips.shape
    if sigma is None:
        taps = torch.ones(3, dtype=clips.dtype)
    else:
        taps = torch.exp(-torch.tensor([1.0, 0.0, 1.0], dtype=clips.dtype) / (2 * sigma**2))
    kernel = torch.outer(taps, taps) / taps.sum() ** 2
    frames = F.pad(clips.reshape(n * t, 1, h, w), (1, 1, 1, 1), mode="replicate")
    return F.conv2d(frames, kernel[None, None]).reshape(n, t, h, w)


def shuffle_frames(clips: Tensor, seed: int = 0) -> Tensor:
    """The frames of each clip in an independent random order (motion destroyed)."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.stack([torch.randperm(clips.shape[1], generator=generator) for _ in clips])
    return clips.gather(1, order[:, :, None, None].expand_as(clips))


def local_fvd(model: FactorClassifier, ref: Tensor, clips: Tensor) -> float:
    """Local FVD of ``clips`` against the reference clips' features ``ref``
    (``embed(model, reference)``, computed once for every set scored against them)."""
    return frechet_distance(ref, embed(model, clips))


def control_rows(model: FactorClassifier, ref: Tensor, real: Tensor) -> dict[str, float]:
    """Local FVD of the controls against the reference features ``ref``: a second real set,
    the same set mildly blurred (Gaussian, sigma 0.5 px), blurred by a 3x3 box, and
    frame-shuffled.

    The issue expected real < blurred < shuffled; how a blur ranks against shuffling depends
    on the blur's strength and on the classifier, so both blurs are reported.
    """
    return {
        "real_vs_real": frechet_distance(ref, embed(model, real)),
        "blurred_mild": frechet_distance(ref, embed(model, blur(real, sigma=0.5))),
        "blurred": frechet_distance(ref, embed(model, blur(real))),
        "frame_shuffled": frechet_distance(ref, embed(model, shuffle_frames(real))),
    }


def adherence(
    model: FactorClassifier,
    clips: Tensor,
    asked: dict[str, Tensor],
    glyph: Tensor | None = None,
) -> dict[str, float]:
    """Accuracy per factor against the asked ``asked[factor]`` ``[N]``, and all at once.

    ``glyph`` ``[N]``, when given, replaces the 3-D classifier's glyph prediction (the
    per-frame reading of :mod:`regen.eval.video_glyphs` names glyphs far more reliably).
    """
    predicted = predict(model, clips)
    if glyph is not None:
        predicted["glyph"] = glyph
    hits = {k: predicted[k] == asked[k] for k in FACTORS}
    scores = {f"{k}_accuracy": float(v.float().mean()) for k, v in hits.items()}
    scores["caption_adherence"] = float(torch.stack(list(hits.values())).all(0).float().mean())
    return scores


def reconstruction_scores(real: Tensor, rebuilt: Tensor) -> dict[str, float]:
    """Per-frame PSNR (dB) and SSIM of ``rebuilt`` against ``real``, pixel range [-1, 1]."""
    a = real.reshape(-1, 1, *real.shape[-2:]).clamp(-1, 1)
    b = rebuilt.reshape(-1, 1, *rebuilt.shape[-2:]).clamp(-1, 1)
    return {
        "psnr_reconstruction": float(peak_signal_noise_ratio(b, a, data_range=2.0)),
        "ssim_reconstruction": float(structural_similarity_index_measure(b, a, data_range=2.0)),
    }
