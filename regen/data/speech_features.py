"""Training features of a prepared speech store, computed once and read batch by batch.

At prepare time each recording gets its log-mel (the default mel of both speech tasks:
n_fft 1024, hop 256, 80 bands to 8 kHz; float16 frames ``[F, 80]``) and, per phoneme, the
mean log-F0 of its voiced frames (NaN when none is voiced) and its mean log frame energy
(NaN for a zero-length phoneme). Sums for the split's mean and standard deviation of voiced
log-F0 and of frame energy go to the manifest. Standardising a per-phoneme mean with them
gives exactly the per-phoneme mean of standardised frames that
:func:`regen.tasks.tts.data.acoustic_tensors` computes (the mean is linear), so training
reads the same pitch and energy targets without estimating F0 again.

Reading: :class:`PaddedRows` gives a batch of ragged rows as one tensor padded to the
longest row of the batch, and :class:`CropRows` fixed-length waveform crops, each read
from the memory-mapped store only when its batch is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from regen.data.store import RaggedArray
from regen.eval.pitch import f0_and_voicing
from regen.modules.dsp import MelSpectrogram

MEL = {"n_fft": 1024, "hop": 256, "n_mels": 80, "fmax": 8000.0}  # what a store's mel frames are
STAT_KEYS = ("log_f0", "energy")


def store_mel() -> MelSpectrogram:
    return MelSpectrogram(**MEL)


def utterance_features(
    wav: np.ndarray, durations: list[int], mel: MelSpectrogram
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rows to store for one recording, and its frame values for the split statistics."""
    spec = mel.encode(torch.from_numpy(wav)[None])[0]  # [80, F]
    f0, voiced = f0_and_voicing(wav, mel.sample_rate, mel.hop)
    log_f0 = np.log(f0)
    energy = torch.logsumexp(2 * spec, 0).numpy()
    pitch = np.full(len(durations), np.nan, np.float32)
    phone_energy = np.full(len(durations), np.nan, np.float32)
    start = 0
    for i, d in enumerate(durations):
        v = voiced[start : start + d]
        if v.any():
            pitch[i] = log_f0[start : start + d][v].mean()
        if d:
            phone_energy[i] = energy[start : start + d].mean()
        start += d
    rows = {
        "mel": spec.T.numpy().astype(np.float16),
        "pitch": pitch,
        "energy": phone_energy,
    }
    return rows, {"log_f0": log_f0[voiced], "energy": energy}


class Moments:
    """Count, sum and sum of squares of values seen, for a mean and a population std."""

    def __init__(self) -> None:
        self.n, self.sum, self.squares = 0, 0.0, 0.0

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, np.float64)
        self.n += values.size
        self.sum += float(values.sum())
        self.squares += float((values**2).sum())

    def record(self) -> list[float]:
        """``[mean, std]`` (``[0, 1]`` with no values, as the in-memory path does)."""
        if not self.n:
            return [0.0, 1.0]
        mean = self.sum / self.n
        return [mean, float(np.sqrt(max(self.squares / self.n - mean**2, 0.0)))]


def standardised(values: np.ndarray, stats: list[float]) -> np.ndarray:
    """Per-phoneme means standardised with the split's ``[mean, std]``; NaN (no frames to
    average) becomes 0, as in the in-memory path."""
    mean, std = stats
    return np.nan_to_num((values - mean) / (std + 1e-6), nan=0.0).astype(np.float32)


class PaddedRows:
    """A ragged key as training rows: ``rows[index]`` is a float tensor ``[B, L_max, ...]``
    (``[B, ..., L_max]`` with ``channels_first``) padded with ``pad`` to the batch's longest
    row; ``scale`` multiplies the stored values (int16 samples -> [-1, 1])."""

    def __init__(
        self,
        rows: RaggedArray,
        pad: float = 0.0,
        scale: float = 1.0,
        channels_first: bool = False,
        positions: np.ndarray | None = None,
    ) -> None:
        self.rows, self.pad, self.scale, self.channels_first = rows, pad, scale, channels_first
        # which stored rows, in order (a selection such as the utterances with a transcript)
        self.positions = np.arange(len(rows)) if positions is None else np.asarray(positions)

    def __len__(self) -> int:
        return len(self.positions)

    def head(self, count: int) -> PaddedRows:
        """The first ``count`` rows (as ``tensor[:count]`` would be)."""
        return PaddedRows(
            self.rows, self.pad, self.scale, self.channels_first, self.positions[:count]
        )

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor:
        rows = self.positions[np.asarray(index, np.int64).reshape(-1)]
        picked = [np.asarray(self.rows[int(i)], np.float32) * self.scale for i in rows]
        longest = max(len(p) for p in picked)
        out = np.full((len(picked), longest, *picked[0].shape[1:]), self.pad, np.float32)
        for i, p in enumerate(picked):
            out[i, : len(p)] = p
        tensor = torch.from_numpy(out)
        return tensor.movedim(1, -1).contiguous() if self.channels_first else tensor


class CropRows:
    """``per_row`` random crops of ``samples`` samples of each stored waveform, drawn once
    with ``seed`` exactly as :func:`regen.tasks.tts.data.waveform_segments` draws them and
    read from the store when a batch asks for them."""

    def __init__(self, wavs: RaggedArray, samples: int, per_row: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.wavs, self.samples = wavs, samples
        crops = []
        for row in range(len(wavs)):
            room = max(int(wavs.lengths[row]), samples) - samples + 1
            crops += [(row, int(s)) for s in rng.integers(0, room, per_row)]
        self.crops = np.asarray(crops, np.int64).reshape(-1, 2)

    def __len__(self) -> int:
        return len(self.crops)

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor:
        out = np.zeros((len(index), self.samples), np.float32)
        for i, k in enumerate(np.asarray(index, np.int64).reshape(-1)):
            row, start = self.crops[k]
            piece = self.wavs[int(row)][start : start + self.samples]
            out[i, : len(piece)] = piece.astype(np.float32) / 32767
        return torch.from_numpy(out)

    def split(self, size: int) -> Iterator[torch.Tensor]:
        """Consecutive chunks of ``size`` crops, like ``Tensor.split`` (a learned
        representation's ``calibrate`` reads every crop this way)."""
        for start in range(0, len(self), size):
            yield self[torch.arange(start, min(start + size, len(self)))]


class Picked(Sequence):
    """The items of ``base`` at ``positions``, read from ``base`` when asked for; a slice is
    another lazy selection (so a subset of memory-mapped waveforms stays mapped)."""

    def __init__(self, base: Sequence, positions: np.ndarray) -> None:
        self.base, self.positions = base, np.asarray(positions, np.int64)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Picked(self.base, self.positions[index])
        return self.base[int(self.positions[index])]
