"""Speech engines by voice name: espeak-ng, flite and festival behind one ``speak`` call.

A voice is ``engine:name`` (``flite:slt``, ``festival:ked_diphone``); a bare name is an
espeak-ng voice (``en-us``, ``en-gb-scotland+m3``), so recipes written for the espeak-ng
corpus keep their meaning. Every engine's utterance comes back in the same form
(:class:`SpokenUtterance`): samples at :data:`SAMPLE_RATE`, espeak-ng phonemes, frames per
phoneme. espeak-ng's come from its own phoneme events; flite's and festival's are espeak-ng's
phonemes of the same text with durations transferred onto their audio by DTW
(:mod:`regen.data.duration_transfer`, which says why).

Voice lists for recipes: :data:`MULTI_ENGINE_VOICES` (10 voices, 3 engines) with the
held-out voice :data:`MULTI_ENGINE_HELDOUT`, and :func:`heldout_engine_split` for a
held-out ENGINE (no voice of it in training), e.g. training on espeak-ng + festival and
evaluating on flite's ``awb``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import librosa
import numpy as np

from regen.data import espeak, festival, flite
from regen.data.duration_transfer import transfer_durations
from regen.errors import DataError
from regen.modules.dsp import SAMPLE_RATE

ESPEAK = "espeak"
# flite's and festival's voices here all pronounce through the CMU (US English) lexicon, so
# US espeak-ng is the pronunciation closest to what they say, and their phonemes are en-us's.
REFERENCE_VOICE = "en-us"
# A reference of the speaker's sex aligns better (festival word starts, 13 sentences: 54 ->
# 29 ms for the HTS slt voice, docs/speech.md); espeak-ng's variants keep en-us's phonemes.
# Speakers of a user's recordings (data.source) are voices "own:<speaker>": no engine speaks
# them; their phonemes, like flite's, are en-us espeak-ng's, aligned by DTW.
OWN_PREFIX = "own:"
REFERENCE_VOICES = {"flite:slt": "en-us+f2", "festival:cmu_us_slt_arctic_hts": "en-us+f2"}

MULTI_ENGINE_VOICES: tuple[str, ...] = (
    "en-us",
    "en-gb",
    "en-us+f2",
    "en-gb-scotland+m3",
    "flite:kal16",
    "flite:rms",
    "flite:slt",
    "festival:kal_diphone",
    "festival:ked_diphone",
    "festival:cmu_us_slt_arctic_hts",
)
# A speaker in no training voice (flite's Scottish male) of an engine heard in training.
MULTI_ENGINE_HELDOUT = "flite:awb"


@dataclass(frozen=True)
class SpokenUtterance:
    """One text said by one voice.

    Attributes:
        wav: float32 mono samples in [-1, 1] at :data:`SAMPLE_RATE`.
        phonemes: espeak-ng mnemonics with ``"|"`` between words (see :mod:`regen.data.espeak`).
        durations: frames per phoneme at ``hop``, each >= 0, summing to ``1 + len(wav) // hop``.
    """

    wav: np.ndarray
    phonemes: list[str]
    durations: list[int]


@dataclass(frozen=True)
class Engine:
    """An engine's three operations on its own voice names (the part after ``engine:``)."""

    check: Callable[[str], str]
    speak: Callable[[list[str], str], list[tuple[np.ndarray, int]]]
    packages: Callable[[str], tuple[str, ...]]


def _espeak_speak(texts: list[str], name: str) -> list[tuple[np.ndarray, int]]:
    return [(espeak.synthesize(t, name).wav, espeak.ESPEAK_SAMPLE_RATE) for t in texts]


ENGINES: dict[str, Engine] = {
    ESPEAK: Engine(
        espeak.check_voice, _espeak_speak, lambda _: ("libespeak-ng1", "espeak-ng-data")
    ),
    "flite": Engine(flite.check_voice, flite.synthesize, lambda _: (flite.PACKAGE,)),
    "festival": Engine(festival.check_voice, festival.synthesize, festival.packages),
}


def parse_voice(voice: str) -> tuple[str, str]:
    """``"flite:slt"`` -> ``("flite", "slt")``; a bare ``"en-us"`` -> ``("espeak", "en-us")``."""
    engine, colon, name = voice.partition(":")
    if not colon:
        return ESPEAK, voice
    if engine not in ENGINES or not name:
        raise DataError(
            f"voice '{voice}': write engine:name with engine one of {', '.join(ENGINES)} "
            "(a bare name is an espeak-ng voice)"
        )
    return engine, name


def engine_of(voice: str) -> str:
    """The engine that speaks ``voice`` (``espeak``, ``flite`` or ``festival``)."""
    return parse_voice(voice)[0]


def check_voice(voice: str) -> str:
    """``voice`` if its engine is installed and has it, else a one-line DataError that names
    the Debian package to install."""
    engine, name = parse_voice(voice)
    ENGINES[engine].check(name)
    if engine != ESPEAK:
        espeak.check_voice(phoneme_voice(voice))  # its phonemes and durations come from there
    return voice


def unavailable(voices: Sequence[str]) -> str | None:
    """Why one of ``voices`` cannot be spoken here (check_voice's message), or None."""
    for voice in voices:
        try:
            check_voice(voice)
        except DataError as exc:
            return str(exc)
    return None


def phoneme_voice(voice: str) -> str:
    """The espeak-ng voice whose pronunciation gives ``voice``'s phonemes: itself for an
    espeak-ng voice, else its reference (:data:`REFERENCE_VOICES`, default ``en-us``); a
    speaker of the user's own recordings (``own:NAME``) is pronounced as ``en-us``."""
    if voice.startswith(OWN_PREFIX):
        return REFERENCE_VOICE
    engine, name = parse_voice(voice)
    return name if engine == ESPEAK else REFERENCE_VOICES.get(voice, REFERENCE_VOICE)


def heldout_engine_split(
    engine: str, voices: Sequence[str] = MULTI_ENGINE_VOICES, heldout: str = MULTI_ENGINE_HELDOUT
) -> tuple[list[str], str]:
    """Training voices without any voice of ``engine``, and ``heldout`` (which must be one).

    With the defaults and ``engine="flite"``: espeak-ng + festival voices for training, flite's
    ``awb`` for the held-out split: the test measures a new engine and a new speaker at once.
    """
    if engine_of(heldout) != engine:
        raise DataError(f"held-out voice {heldout} is not a {engine} voice")
    kept = [v for v in voices if engine_of(v) != engine]
    if not kept:
        raise DataError(f"every voice is a {engine} voice; nothing is left to train on")
    return kept, heldout


def _resampled(wav: np.ndarray, rate: int) -> np.ndarray:
    if rate != SAMPLE_RATE:
        wav = librosa.resample(np.asarray(wav, np.float32), orig_sr=rate, target_sr=SAMPLE_RATE)
    # resampling can overshoot full scale; the corpus stores 16-bit samples
    return np.clip(wav, -1.0, 1.0).astype(np.float32)


def speak(texts: list[str], voice: str, hop: int) -> list[SpokenUtterance]:
    """Each (normalised) text said by ``voice``, with espeak-ng phonemes and durations.

    A text espeak-ng finds nothing to say in gets empty phonemes and durations.
    """
    engine, name = parse_voice(voice)
    check_voice(voice)
    if engine == ESPEAK:
        out = []
        for text in texts:
            u = espeak.synthesize(text, name)
            durations = espeak.durations_in_frames(u.starts, len(u.wav), hop)
            out.append(SpokenUtterance(u.wav, u.phonemes, durations))
        return out
    return [
        align_recording(text, _resampled(wav, rate), phoneme_voice(voice), hop)
        for text, (wav, rate) in zip(texts, ENGINES[engine].speak(texts, name))
    ]


def align_recording(text: str, wav: np.ndarray, reference: str, hop: int) -> SpokenUtterance:
    """A recording of ``text`` (at :data:`SAMPLE_RATE`) with espeak-ng's phonemes of it in the
    ``reference`` voice and their durations carried onto it by DTW to espeak-ng's synthesis
    (:mod:`regen.data.duration_transfer`). Empty phonemes when espeak-ng says nothing."""
    ref = espeak.synthesize(text, reference)
    if not ref.phonemes or len(wav) == 0:
        return SpokenUtterance(wav, [], [])
    ref_durations = espeak.durations_in_frames(ref.starts, len(ref.wav), hop)
    return SpokenUtterance(wav, ref.phonemes, transfer_durations(ref.wav, ref_durations, wav, hop))


@lru_cache(maxsize=16)
def _package_versions(packages: tuple[str, ...]) -> str:
    query = ["dpkg-query", "-W", "-f=${Package} ${Version}, ", *packages]
    try:
        found = subprocess.run(query, capture_output=True, text=True).stdout.strip(" ,")
    except FileNotFoundError:
        found = ""
    return found or f"{' '.join(packages)} (version unknown)"


def engine_packages(voices: Sequence[str]) -> dict[str, str]:
    """Per engine used by ``voices``: its Debian packages with versions (``dpkg-query``)."""
    needed: dict[str, list[str]] = {}
    for voice in voices:
        engine, name = parse_voice(voice)
        needed.setdefault(engine, []).extend(ENGINES[engine].packages(name))
    return {e: _package_versions(tuple(dict.fromkeys(p))) for e, p in needed.items()}
