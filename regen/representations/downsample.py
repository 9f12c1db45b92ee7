"""Explicit low-resolution representation: Y' is the image average-pooled by ``factor``.

Paired with :class:`regen.renderers.super_resolution.SuperResolutionRenderer` this is the
cascaded (low-resolution generator + super-resolution) design of cascaded diffusion models.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn import functional as F

from regen.contracts import YSpec
from regen.errors import ConfigError


def downsample_spec(image_shape: tuple[int, int, int], factor: int) -> YSpec:
    """The Y' spec of images ``(C, H, W)`` pooled by ``factor`` (which must divide H and W)."""
    channels, height, width = image_shape
    if factor < 1 or height % factor or width % factor:
        raise ConfigError(
            f"representation.factor {factor} must divide the image size {height}x{width}; "
            "pick a divisor such as 2 or 4"
        )
    h, w = height // factor, width // factor
    return YSpec(
        kind="continuous",
        shape=(channels, h, w),
        dtype="float32",
        value_range=(-1.0, 1.0),
        downsampling=factor,
        name=f"downsampled x{factor} {channels}x{h}x{w}",
    )


class DownsampleRepresentation(nn.Module):
    """``encode``: average pooling by ``factor``; ``decode``: bilinear upsampling back.

    Images ``[B, C, H, W]`` in ``[-1, 1]`` <-> ``[B, C, H/f, W/f]`` in ``[-1, 1]`` (averages
    stay in range). No parameters: the learned inverse is the super-resolution renderer.
    """

    trainable = False

    def __init__(self, image_shape: tuple[int, int, int], factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.spec = downsample_spec(image_shape, factor)

    def encode(self, y: Tensor) -> Tensor:
        return F.avg_pool2d(y, self.factor)

    def decode(self, y_prime: Tensor) -> Tensor:
        return upsample(y_prime, self.factor)


def upsample(y_prime: Tensor, factor: int) -> Tensor:
    """Bilinear upsampling by ``factor`` (half-pixel centres, matching average pooling)."""
    return F.interpolate(y_prime, scale_factor=float(factor), mode="bilinear", align_corners=False)
