"""The identity representation, Y' = Y: what turns a pipeline into the direct baseline."""

from __future__ import annotations

from torch import Tensor, nn

from regen.contracts import YSpec


def pixel_spec(image_shape: tuple[int, int, int]) -> YSpec:
    """Y' = Y for images ``[C, H, W]`` in ``[-1, 1]``."""
    channels, height, width = image_shape
    return YSpec(
        kind="continuous",
        shape=(channels, height, width),
        dtype="float32",
        value_range=(-1.0, 1.0),
        downsampling=1,
        name=f"pixels {channels}x{height}x{width}",
    )


class IdentityRepresentation(nn.Module):
    """Y passes through unchanged; ``spec`` describes Y itself; nothing to train."""

    trainable = False

    def __init__(self, spec: YSpec) -> None:
        super().__init__()
        self.spec = spec

    def encode(self, y: Tensor) -> Tensor:
        return y

    def decode(self, y_prime: Tensor) -> Tensor:
        return y_prime
