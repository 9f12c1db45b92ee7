"""The identity representation, Y' = Y: what turns a pipeline into the direct baseline."""

from __future__ import annotations

from torch import Tensor, nn

from regen.contracts import YSpec


class IdentityRepresentation(nn.Module):
    """Images ``[B, C, H, W]`` in ``[-1, 1]`` pass through unchanged; nothing to train."""

    trainable = False

    def __init__(
        self, image_shape: tuple[int, int, int] = (), *, spec: YSpec | None = None
    ) -> None:
        super().__init__()
        if spec is not None:  # non-image Y (e.g. melody tokens) passes its own spec
            self.spec = spec
            return
        channels, height, width = image_shape
        self.spec = YSpec(
            kind="continuous",
            shape=(channels, height, width),
            dtype="float32",
            value_range=(-1.0, 1.0),
            downsampling=1,
            name=f"pixels {channels}x{height}x{width}",
        )

    def encode(self, y: Tensor) -> Tensor:
        return y

    def decode(self, y_prime: Tensor) -> Tensor:
        return y_prime
