"""Learned super-resolution renderer: low-resolution image Y' -> full-resolution image Y.

The inverse of :class:`regen.representations.downsample.DownsampleRepresentation`, trained
on pairs ``(avg_pool(y), y)`` made from unpaired images.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from regen.contracts import LossOutput
from regen.modules.conv import Decoder, num_levels
from regen.representations.downsample import downsample_spec, upsample


class SuperResolutionRenderer(nn.Module):
    """Bilinear upsampling plus a learned residual.

    Args:
        image_shape: ``(C, H, W)`` of the full-resolution images.
        factor: downsampling factor of Y' (a power of two dividing H and W).
        hidden: width of the residual network at the low resolution (halved per 2x level).

    Y' ``[B, C, H/f, W/f]`` in ``[-1, 1]`` -> Y ``[B, C, H, W]`` in ``[-1, 1]``. The residual
    is a conv :class:`Decoder` from the low-resolution image, so most of its work happens at
    low resolution (cheap on CPU). Its last conv starts at zero: the untrained renderer is
    exactly bilinear upsampling and training only learns the missing detail. Loss: L1
    (sharper strokes than L2).
    """

    trainable = True

    def __init__(self, image_shape: tuple[int, int, int], factor: int, hidden: int) -> None:
        super().__init__()
        self.factor = factor
        self.spec = downsample_spec(image_shape, factor)
        channels = image_shape[0]
        self.residual = Decoder(
            channels, channels, hidden, num_levels(image_shape, factor, "representation")
        )
        last = self.residual.head[-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def _predict(self, y_prime: Tensor) -> Tensor:
        return upsample(y_prime, self.factor) + self.residual(y_prime)

    def render(self, y_prime: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        return self._predict(y_prime).clamp(-1.0, 1.0)

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Batch keys ``y_prime`` (low-res) and ``y`` (full-res target)."""
        loss = F.l1_loss(self._predict(batch["y_prime"]), batch["y"])
        return loss, {"l1": float(loss.detach())}
