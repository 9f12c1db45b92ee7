"""Training tensors for TTS, padded to equal length as the training loop wants.

- :func:`acoustic_tensors`: per utterance the phoneme ids, durations, per-phoneme pitch and
  energy (standardised), the speaker id, the target log-mel and (for the direct baseline)
  the waveform, all padded, with the frame count as the length.
- :func:`waveform_segments`: random fixed-length crops of the waveforms, the unpaired
  speech a vocoder trains on.
- :func:`stored_acoustic_tensors`, :func:`stored_segments`: the same for a prepared
  ``data.source``, from the features its store holds (:mod:`regen.data.speech_features`):
  log-mels, waveforms and crops stay memory-mapped and are read batch by batch.
- :class:`EncodedRows`: a learned Y' (VAE latent, RVQ codes) of those stored log-mels,
  encoded a batch at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from regen.contracts import WrapsMel
from regen.data.speech import SpeechCorpus
from regen.data.speech_features import CropRows, PaddedRows, standardised
from regen.data.speech_source import prepare  # noqa: F401  (Task.prepare: data.source)
from regen.data.store import RaggedArray, read_manifest
from regen.data.text_frontend import PhonemeVocabulary
from regen.errors import DataError
from regen.eval.pitch import f0_and_voicing
from regen.modules.conv import module_device
from regen.modules.dsp import MelSpectrogram


def speaker_ids(speakers: list[str], voices: list[str]) -> torch.Tensor:
    """[N] index of each speaker in ``voices``; a voice outside the list is a DataError."""
    unknown = sorted(set(speakers) - set(voices))
    if unknown:
        raise DataError(f"voice {unknown[0]} has no speaker embedding; known: {', '.join(voices)}")
    return torch.tensor([voices.index(s) for s in speakers], dtype=torch.long)


def pad_stack(rows: list[torch.Tensor], value: float = 0.0) -> torch.Tensor:
    """Right-pad tensors along their last axis to the longest one and stack them."""
    longest = max(r.shape[-1] for r in rows)
    return torch.stack(
        [torch.nn.functional.pad(r, (0, longest - r.shape[-1]), value=value) for r in rows]
    )


def per_phoneme(values: np.ndarray, weights: np.ndarray, durations: list[int]) -> np.ndarray:
    """Weighted mean of frame ``values`` over each phoneme's frames (0 where no weight)."""
    out = np.zeros(len(durations), np.float32)
    start = 0
    for i, d in enumerate(durations):
        w = weights[start : start + d]
        if w.sum() > 0:
            out[i] = (values[start : start + d] * w).sum() / w.sum()
        start += d
    return out


def acoustic_tensors(
    corpus: SpeechCorpus,
    vocab: PhonemeVocabulary,
    voices: list[str],
    mel: MelSpectrogram,
    *,
    with_waveforms: bool = False,
) -> dict[str, torch.Tensor]:
    """Keys ``x, durations, pitch, energy, speakers, frames, y_prime`` (log-mel [N, 80, F]).

    With ``with_waveforms`` the waveform [N, T] is added as ``wav``. Pitch is the mean log-F0
    of each phoneme's voiced frames and energy the mean log frame energy, each standardised
    over the corpus (unvoiced phonemes get pitch 0, the mean).
    """
    if len(corpus) == 0:
        raise DataError("the speech corpus split is empty; raise data.num_sentences")
    mels, log_f0, voiced, energy = [], [], [], []
    for wav in corpus.wavs:
        spec = mel.encode(torch.from_numpy(wav)[None])[0]
        mels.append(spec)
        f0, is_voiced = f0_and_voicing(wav, mel.sample_rate, mel.hop)
        log_f0.append(np.log(f0))
        voiced.append(is_voiced.astype(np.float32))
        energy.append(torch.logsumexp(2 * spec, 0).numpy())
    all_voiced = np.concatenate([f[v > 0] for f, v in zip(log_f0, voiced)])
    f0_mean, f0_std = (all_voiced.mean(), all_voiced.std() + 1e-6) if len(all_voiced) else (0, 1)
    all_energy = np.concatenate(energy)
    e_mean, e_std = all_energy.mean(), all_energy.std() + 1e-6
    pitch_rows, energy_rows = [], []
    for f0, v, e, durations in zip(log_f0, voiced, energy, corpus.durations):
        pitch_rows.append(torch.from_numpy(per_phoneme((f0 - f0_mean) / f0_std, v, durations)))
        ones = np.ones_like(e)
        energy_rows.append(torch.from_numpy(per_phoneme((e - e_mean) / e_std, ones, durations)))
    tensors = {
        "x": pad_stack([torch.tensor(vocab.encode(p)) for p in corpus.phonemes]).long(),
        "durations": pad_stack([torch.tensor(d) for d in corpus.durations]).long(),
        "pitch": pad_stack(pitch_rows),
        "energy": pad_stack(energy_rows),
        "speakers": speaker_ids(corpus.speakers, voices),
        "frames": torch.tensor([m.shape[-1] for m in mels]),
        "y_prime": pad_stack(mels, value=float(np.log(1e-5))),
    }
    if with_waveforms:
        tensors["wav"] = pad_stack([torch.from_numpy(w) for w in corpus.wavs])
    return tensors


def waveform_segments(
    wavs: list[np.ndarray], samples: int, per_utterance: int, seed: int
) -> dict[str, torch.Tensor]:
    """``{"wav": [M, samples]}``: ``per_utterance`` random crops of each waveform (seeded)."""
    rng = np.random.default_rng(seed)
    crops = []
    for wav in wavs:
        if len(wav) < samples:
            wav = np.pad(wav, (0, samples - len(wav)))
        for start in rng.integers(0, len(wav) - samples + 1, per_utterance):
            crops.append(wav[start : start + samples])
    return {"wav": torch.from_numpy(np.stack(crops).astype(np.float32))}


def stored_acoustic_tensors(
    corpus: SpeechCorpus, vocab: PhonemeVocabulary, voices: list[str], *, with_waveforms: bool
) -> dict[str, Any]:
    """:func:`acoustic_tensors` of a prepared ``data.source`` split, from its store.

    Phoneme ids, durations, pitch and energy (small) are padded in memory; ``y_prime`` (and
    ``wav``) are :class:`PaddedRows` over the memory-mapped log-mels (and waveforms), padded
    per batch to its longest utterance, so memory does not grow with the hours of audio.
    """
    if len(corpus) == 0:
        raise DataError("the speech corpus split is empty; raise data.test_fraction")
    folder = corpus.store
    stats = read_manifest(folder.parent)["stats"][folder.name]
    pitch, energy = RaggedArray.open(folder, "pitch"), RaggedArray.open(folder, "energy")
    mels = RaggedArray.open(folder, "mel")
    tensors: dict[str, Any] = {
        "x": pad_stack([torch.tensor(vocab.encode(p)) for p in corpus.phonemes]).long(),
        "durations": pad_stack([torch.tensor(d) for d in corpus.durations]).long(),
        "pitch": pad_stack([torch.from_numpy(standardised(p, stats["log_f0"])) for p in pitch]),
        "energy": pad_stack([torch.from_numpy(standardised(e, stats["energy"])) for e in energy]),
        "speakers": speaker_ids(corpus.speakers, voices),
        "frames": torch.from_numpy(mels.lengths.copy()),
        "y_prime": PaddedRows(mels, pad=float(np.log(1e-5)), channels_first=True),
    }
    if with_waveforms:
        tensors["wav"] = PaddedRows(RaggedArray.open(folder, "wav"), scale=1 / 32767)
    return tensors


def stored_segments(corpus: SpeechCorpus, samples: int, per_utterance: int, seed: int) -> dict:
    """:func:`waveform_segments` of a prepared ``data.source`` split: the same crops, read
    from the store when a batch asks for them."""
    wavs = RaggedArray.open(corpus.store, "wav")
    return {"wav": CropRows(wavs, samples, per_utterance, seed)}


class EncodedRows:
    """The learned Y' of memory-mapped log-mels as training rows: ``rows[index]`` encodes the
    batch's stored log-mels (padded to its longest) with the trained ``representation``.

    Encoding each batch when the loop asks for it keeps memory flat in the hours of audio (the
    in-memory path encodes every padded mel at once) and costs one encoder forward per step.
    The encoders are deterministic (posterior mean, nearest code), so a batch's Y' depends only
    on (seed, step) and ``--resume`` stays exact.
    """

    def __init__(self, mels: PaddedRows, representation: WrapsMel) -> None:
        self.mels, self.representation = mels, representation

    def __len__(self) -> int:
        return len(self.mels)

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor:
        device = module_device(self.representation)
        with torch.no_grad():
            return self.representation.encode_mel(self.mels[index].to(device)).cpu()
