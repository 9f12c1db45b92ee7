"""How faithfully a representation round-trips images: PSNR of ``decode(encode(y))``."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchmetrics.functional.image import peak_signal_noise_ratio

from regen.modules.conv import module_device


@torch.no_grad()
def reconstruction_psnr(representation: nn.Module, y: Tensor, batch_size: int = 256) -> float:
    """PSNR in dB of ``decode(encode(y))`` against ``y`` for images in ``[-1, 1]``.

    The data range is 2 and the mean squared error is pooled over every pixel of the set
    (not averaged per image). Reconstructions are clamped to ``[-1, 1]`` first.
    """
    device = module_device(representation)
    recon = torch.cat(
        [
            representation.decode(representation.encode(chunk.to(device))).cpu()
            for chunk in y.split(batch_size)
        ]
    )
    return float(peak_signal_noise_ratio(recon.clamp(-1.0, 1.0), y.cpu(), data_range=2.0))
