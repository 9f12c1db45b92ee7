"""SpecAugment (Park et al. 2019): random frequency and time masks on log-mel features.

Masked cells are set to the utterance's mean, which after per-utterance normalisation is 0,
so a mask reads as "no information" rather than as silence.
"""

from __future__ import annotations

import torch


def spec_augment(
    features: torch.Tensor,
    lengths: torch.Tensor,
    *,
    freq_masks: int = 2,
    freq_width: int = 12,
    time_masks: int = 2,
    time_width: float = 0.05,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Masked copy of ``features``.

    Args:
        features: [B, C, T] normalised features (mean 0 per utterance and channel).
        lengths: [B] valid frames; time masks fall inside them.
        freq_masks, freq_width: number of frequency masks and their maximum width in bands.
        time_masks, time_width: number of time masks and their maximum width as a fraction
            of each utterance's length.
    """
    batch, channels, frames = features.shape
    device = features.device
    keep = torch.ones(batch, channels, frames, dtype=torch.bool, device=device)

    def draw(count: int, max_width: torch.Tensor, size: torch.Tensor) -> list[torch.Tensor]:
        spans = []
        for _ in range(count):
            width = (torch.rand(batch, generator=generator) * (max_width + 1)).long()
            start = (
                torch.rand(batch, generator=generator) * (size - width + 1).clamp(min=1)
            ).long()
            spans.append((start.to(device), (start + width).to(device)))
        return spans

    bands = torch.arange(channels, device=device)[None, :]
    full = torch.full((batch,), channels)
    for start, end in draw(freq_masks, torch.full((batch,), freq_width).clamp(max=channels), full):
        keep &= ~((bands >= start[:, None]) & (bands < end[:, None]))[:, :, None]
    steps = torch.arange(frames, device=device)[None, :]
    widths = (lengths.cpu().float() * time_width).long()
    for start, end in draw(time_masks, widths, lengths.cpu()):
        keep &= ~((steps >= start[:, None]) & (steps < end[:, None]))[:, None, :]
    return features * keep
