"""3-D (time x height x width) convolution stacks for video autoencoders.

The video twin of :mod:`regen.modules.conv`: every level halves height and width, and the
first ``time_levels`` levels also halve time, so ``[B, C, T, H, W]`` becomes
``[B, D, T / 2**time_levels, H / 2**levels, W / 2**levels]``. As in the 2-D stacks no residual
block runs at full resolution, where 3-D convolutions cost the most on a CPU.
"""

from __future__ import annotations

from torch import Tensor, nn

from regen.modules.conv import group_norm, level_widths


class ResBlock3d(nn.Module):
    """(GroupNorm, SiLU, 3x3x3 conv) twice plus the input: ``[B, C, T, H, W]`` kept."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            group_norm(channels),
            nn.SiLU(),
            nn.Conv3d(channels, channels, 3, padding=1),
            group_norm(channels),
            nn.SiLU(),
            nn.Conv3d(channels, channels, 3, padding=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def _stride(level: int, time_levels: int) -> tuple[int, int, int]:
    return (2 if level < time_levels else 1, 2, 2)


class Encoder3d(nn.Module):
    """Clip ``[B, C, T, H, W]`` -> latent ``[B, out_channels, T/2^tl, H/2^l, W/2^l]``."""

    def __init__(
        self, in_channels: int, out_channels: int, hidden: int, levels: int, time_levels: int
    ) -> None:
        super().__init__()
        widths = level_widths(hidden, levels)
        layers: list[nn.Module] = [nn.Conv3d(in_channels, widths[0], 3, padding=1)]
        for level, (fine, coarse) in enumerate(zip(widths, widths[1:])):
            stride = _stride(level, time_levels)
            layers += [nn.Conv3d(fine, coarse, 3, stride=stride, padding=1), ResBlock3d(coarse)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(
            group_norm(widths[-1]), nn.SiLU(), nn.Conv3d(widths[-1], out_channels, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


class Upsample3d(nn.Module):
    """Transposed convolution with kernel = stride (``scale`` per axis): every coarse voxel
    paints its own block, so there is no checkerboard overlap, and the full-resolution cost
    is one multiply per input channel instead of a 3x3x3 convolution (5x cheaper overall
    here; the 3x3x3 output head then smooths the block edges)."""

    def __init__(self, channels_in: int, channels_out: int, scale: tuple[int, int, int]) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose3d(channels_in, channels_out, scale, stride=scale)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class Decoder3d(nn.Module):
    """The mirror of :class:`Encoder3d`; the output is unbounded."""

    def __init__(
        self, in_channels: int, out_channels: int, hidden: int, levels: int, time_levels: int
    ) -> None:
        super().__init__()
        widths = level_widths(hidden, levels)[::-1]
        layers: list[nn.Module] = [nn.Conv3d(in_channels, widths[0], 3, padding=1)]
        for step, (coarse, fine) in enumerate(zip(widths, widths[1:])):
            scale = _stride(levels - 1 - step, time_levels)
            layers += [ResBlock3d(coarse), Upsample3d(coarse, fine, scale)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(
            group_norm(widths[-1]), nn.SiLU(), nn.Conv3d(widths[-1], out_channels, 3, padding=1)
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.head(self.body(z))
