"""Phoneme durations for a recording, transferred from a reference synthesis by DTW.

The TTS generator and the ASR recognizer read phonemes in ONE inventory: espeak-ng's
mnemonics (:mod:`regen.data.text_frontend`). flite and festival speak the same text with
their own lexicons and phone sets, and flite reports no timings at all, so their own labels
would give a second inventory and a second segmentation convention. Instead every non-espeak
utterance is aligned to espeak-ng's synthesis of the same text, whose phoneme boundaries are
known exactly from its phoneme events: dynamic time warping between the two utterances'
normalised MFCC frames maps each reference boundary onto the recording. This is a forced
alignment against a reference synthesis (the classic DTW-to-synthetic-speech alignment); it
is coarser than an HMM aligner within a phoneme, but it needs no trained model, and every
phoneme keeps the symbol the rest of regen expects.

Frames are those of ``torch.stft(center=True)`` at hop ``hop`` (``1 + samples // hop``), the
same frames as the mel-spectrograms the durations index.
"""

from __future__ import annotations

import librosa
import numpy as np

from regen.modules.dsp import SAMPLE_RATE

N_FFT = 1024
# 13 rather than 20 coefficients: the higher ones carry more of the speaker than of the
# phoneme (festival word starts aligned 54 -> 33 ms better for the HTS voice, docs/speech.md)
N_MFCC = 13
N_MELS = 40


def alignment_features(wav: np.ndarray, hop: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """[1 + len(wav) // hop, N_MFCC] MFCCs, each coefficient standardised over the utterance.

    Standardising per utterance (cepstral mean and variance normalisation) removes most of
    what differs between two speakers' or engines' spectra on average (vocal tract length,
    recording channel, loudness), leaving the phonetic changes over time that DTW must match.
    """
    mfcc = librosa.feature.mfcc(
        y=np.asarray(wav, np.float32),
        sr=sample_rate,
        n_mfcc=N_MFCC,
        n_fft=N_FFT,
        hop_length=hop,
        n_mels=N_MELS,
        center=True,
    )
    mfcc = (mfcc - mfcc.mean(axis=1, keepdims=True)) / (mfcc.std(axis=1, keepdims=True) + 1e-6)
    return mfcc.T


def frame_map(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each reference frame, the first frame of ``other`` DTW aligns with it ([F_ref]).

    ``reference`` and ``other`` are feature sequences [F, D]; the result is non-decreasing,
    starts at 0 and ends at or before ``len(other) - 1``.
    """
    _, path = librosa.sequence.dtw(X=reference.T, Y=other.T, metric="euclidean")
    path = path[::-1]  # librosa returns the path from the end
    first = np.full(len(reference), len(other) - 1, dtype=np.int64)
    # path is sorted by reference frame; the first visit of each frame is its earliest match
    np.minimum.at(first, path[:, 0], path[:, 1])
    return first


def transfer_durations(
    reference_wav: np.ndarray,
    reference_durations: list[int],
    other_wav: np.ndarray,
    hop: int,
    sample_rate: int = SAMPLE_RATE,
) -> list[int]:
    """Frames per phoneme of ``other_wav``, carried over from ``reference_durations``.

    ``reference_durations`` (frames of ``reference_wav``, summing to ``1 + len // hop``) gives
    each phoneme's span; each boundary is mapped through the DTW path onto ``other_wav``.
    The result has one entry per phoneme, every entry >= 0, summing to
    ``1 + len(other_wav) // hop``; a zero-length reference phoneme stays zero-length.
    """
    ref_frames = 1 + len(reference_wav) // hop
    other_frames = 1 + len(other_wav) // hop
    if sum(reference_durations) != ref_frames:
        raise ValueError(
            f"reference durations sum to {sum(reference_durations)}, not its {ref_frames} frames"
        )
    if not reference_durations:
        return []
    mapping = frame_map(
        alignment_features(reference_wav, hop, sample_rate),
        alignment_features(other_wav, hop, sample_rate),
    )
    edges = np.cumsum(reference_durations)[:-1]
    # a boundary at the reference's end (trailing empty phonemes) maps to the other's end
    inner = np.where(edges < ref_frames, mapping[np.minimum(edges, ref_frames - 1)], other_frames)
    bounds = np.concatenate([[0], np.maximum.accumulate(inner), [other_frames]])
    return np.diff(np.clip(bounds, 0, other_frames)).astype(int).tolist()
