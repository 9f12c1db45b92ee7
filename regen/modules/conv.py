"""Convolutional building blocks shared by the image autoencoders and renderers.

The stacks are sized for CPU training of 8-64 pixel images: the widest layers sit at the
lowest resolution and the width halves at each finer level, so the full-resolution layers,
which dominate the cost, stay narrow.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from regen.errors import ConfigError

MIN_WIDTH = 16


def group_norm(channels: int) -> nn.GroupNorm:
    """GroupNorm with up to 8 groups (batch-size independent, unlike BatchNorm)."""
    return nn.GroupNorm(math.gcd(8, channels), channels)


def num_levels(image_shape: tuple[int, int, int], factor: int, where: str) -> int:
    """Number of 2x down/upsampling levels for ``factor``; raises ConfigError when invalid.

    ``factor`` must be a power of two that divides the image height and width.
    """
    _, height, width = image_shape
    if factor < 1 or factor & (factor - 1) or height % factor or width % factor:
        raise ConfigError(
            f"{where}: factor {factor} must be a power of two dividing the image size "
            f"{height}x{width}; pick e.g. {where}.factor=4"
        )
    return factor.bit_length() - 1


def level_widths(hidden: int, levels: int) -> list[int]:
    """Channel width per resolution, finest first: ``hidden`` at the coarsest level, halved
    at each finer one (never below 16 or above ``hidden``)."""
    return [min(hidden, max(MIN_WIDTH, hidden >> (levels - i))) for i in range(levels + 1)]


class ResBlock(nn.Module):
    """Pre-activation residual block: (GroupNorm, SiLU, 3x3 conv) twice plus the input.

    Shapes: ``[B, C_in, H, W] -> [B, C_out, H, W]`` (1x1 conv on the skip when C changes).
    """

    def __init__(self, channels_in: int, channels_out: int | None = None) -> None:
        super().__init__()
        channels_out = channels_out or channels_in
        self.body = nn.Sequential(
            group_norm(channels_in),
            nn.SiLU(),
            nn.Conv2d(channels_in, channels_out, 3, padding=1),
            group_norm(channels_out),
            nn.SiLU(),
            nn.Conv2d(channels_out, channels_out, 3, padding=1),
        )
        self.skip = (
            nn.Identity()
            if channels_in == channels_out
            else nn.Conv2d(channels_in, channels_out, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.skip(x) + self.body(x)


class Upsample(nn.Module):
    """Nearest-neighbour 2x upsampling followed by a 3x3 conv (no checkerboard artefacts)."""

    def __init__(self, channels_in: int, channels_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def output_head(channels_in: int, channels_out: int) -> nn.Sequential:
    """GroupNorm, SiLU, 3x3 conv: the last layer of every stack."""
    return nn.Sequential(
        group_norm(channels_in), nn.SiLU(), nn.Conv2d(channels_in, channels_out, 3, padding=1)
    )


class Encoder(nn.Module):
    """Image ``[B, C, H, W]`` -> feature map ``[B, out_channels, H/2^levels, W/2^levels]``.

    A 3x3 stem, then per level a stride-2 conv and a ResBlock at the new resolution, then
    the output head. No ResBlock runs at full resolution, where convs cost the most.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden: int, levels: int) -> None:
        super().__init__()
        widths = level_widths(hidden, levels)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, padding=1)]
        for fine, coarse in zip(widths, widths[1:]):
            layers += [nn.Conv2d(fine, coarse, 3, stride=2, padding=1), ResBlock(coarse)]
        self.body = nn.Sequential(*layers)
        self.head = output_head(widths[-1], out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


class Decoder(nn.Module):
    """Feature map ``[B, in_channels, h, w]`` -> image ``[B, out_channels, h*2^levels, ...]``.

    The mirror of :class:`Encoder`: a 3x3 stem, then per level a ResBlock and a 2x
    :class:`Upsample`, then the output head (``self.head``; its last conv is the one to
    zero-initialise when the decoder predicts a residual). The output is unbounded.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden: int, levels: int) -> None:
        super().__init__()
        widths = level_widths(hidden, levels)[::-1]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, padding=1)]
        for coarse, fine in zip(widths, widths[1:]):
            layers += [ResBlock(coarse), Upsample(coarse, fine)]
        self.body = nn.Sequential(*layers)
        self.head = output_head(widths[-1], out_channels)

    def forward(self, z: Tensor) -> Tensor:
        return self.head(self.body(z))


def module_device(module: nn.Module) -> torch.device:
    """Device of a module's first parameter or buffer (CPU for modules with neither)."""
    tensor = next(itertools.chain(module.parameters(), module.buffers()), None)
    return tensor.device if tensor is not None else torch.device("cpu")
