"""The identity representation for speech, Y' = Y = the waveform: the TTS direct baseline."""

from __future__ import annotations

from torch import Tensor, nn

from regen.contracts import YSpec
from regen.data.audio import SAMPLE_RATE


def waveform_spec(sample_rate: int = SAMPLE_RATE) -> YSpec:
    return YSpec("continuous", (None,), value_range=(-1.0, 1.0), name=f"waveform {sample_rate} Hz")


class WaveformIdentity(nn.Module):
    """Waveforms [B, T] in [-1, 1] pass through unchanged; nothing to train."""

    trainable = False

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.spec = waveform_spec(sample_rate)

    def encode(self, y: Tensor) -> Tensor:
        return y

    def decode(self, y_prime: Tensor) -> Tensor:
        return y_prime
