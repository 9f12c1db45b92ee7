"""espeak-ng through its C library: speech, and when each phoneme starts, in one call.

libespeak-ng reports a *phoneme event* (the phoneme's eSpeak mnemonic and the audio sample at
which it starts) while it synthesizes. Those events are the alignment targets of the TTS
corpus: no forced aligner is needed, because the durations are the synthesizer's own. The
library is driven synchronously through ``ctypes`` (no subprocess per sentence); it keeps
global state, so calls are serialised with a lock.

Mnemonics are eSpeak's ASCII phoneme names (``h @ l oU``, the same names ``espeak-ng -x``
prints, without stress marks); ``_:`` and ``_`` are the pauses eSpeak inserts at clause ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from regen.errors import DataError

ESPEAK_SAMPLE_RATE = 22050
WORD_BOUNDARY = "|"
INSTALL_HINT = "install it with: apt-get install espeak-ng"

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED, _EVENT_WORD, _EVENT_PHONEME = 0, 1, 7
_LOCK = threading.Lock()
# espeak-ng lists British English as language "en-gb" but its voice file is "en": the
# library's lookup by name only finds the file name.
_FILE_NAMES = {"en-gb": "en"}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    # espeak_EVENT from speak_lib.h (stable since eSpeak 1.4x).
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class Utterance:
    """One synthesized text.

    Attributes:
        wav: float32 mono samples in [-1, 1] at :data:`ESPEAK_SAMPLE_RATE`.
        phonemes: eSpeak mnemonics with ``"|"`` before every word but the first.
        starts: sample index at which each phoneme starts (``"|"`` takes no time: it shares
            the start of the phoneme after it), non-decreasing, same length as ``phonemes``.
    """

    wav: np.ndarray
    phonemes: list[str]
    starts: list[int]


def find_library() -> str | None:
    """The libespeak-ng shared library name, or None when espeak-ng is not installed."""
    return ctypes.util.find_library("espeak-ng")


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL:
    name = find_library()
    if name is None:
        raise DataError(f"espeak-ng is not installed; {INSTALL_HINT}")
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise DataError(f"cannot load {name} ({exc}); {INSTALL_HINT}") from exc
    options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, options)
    if rate != ESPEAK_SAMPLE_RATE:
        raise DataError(f"libespeak-ng initialised at {rate} Hz, not {ESPEAK_SAMPLE_RATE}")
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    return lib


def _voice_name(voice: str) -> bytes:
    base, plus, variant = voice.partition("+")
    return (_FILE_NAMES.get(base, base) + plus + variant).encode()


@lru_cache(maxsize=64)
def check_voice(voice: str) -> str:
    """``voice`` if espeak-ng knows it (e.g. ``en-us``, ``en-gb-scotland+f2``), else DataError."""
    lib = _library()
    with _LOCK:
        status = lib.espeak_SetVoiceByName(_voice_name(voice))
    if status != 0:
        raise DataError(
            f"unknown voice '{voice}'; pick one listed by `espeak-ng --voices=en`, optionally "
            "with a variant such as +f2 or +m3"
        )
    return voice


def synthesize(text: str, voice: str = "en-us") -> Utterance:
    """Speak ``text`` with ``voice``; returns the waveform and each phoneme's start sample."""
    lib = _library()
    check_voice(voice)
    chunks: list[np.ndarray] = []
    phonemes: list[str] = []
    starts: list[int] = []

    def on_audio(wav, count, events) -> int:
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD and phonemes and phonemes[-1] != WORD_BOUNDARY:
                phonemes.append(WORD_BOUNDARY)
                starts.append(event.sample)
            elif event.type == _EVENT_PHONEME:
                phonemes.append(event.id.string.decode("ascii", "replace"))
                starts.append(event.sample)
            i += 1
        return 0

    callback = _CALLBACK(on_audio)  # kept alive until the synchronous call returns
    data = text.encode("utf-8")
    with _LOCK:
        lib.espeak_SetSynthCallback(callback)
        lib.espeak_SetVoiceByName(_voice_name(voice))
        lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
    wav = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    # No word follows the closing pauses, so no "|" belongs among them. espeak-ng keeps
    # state between calls, and after some texts (Cyrillic spelled out by an English voice)
    # it sends a WORD event between those pauses; dropping it keeps a text's phonemes
    # independent of what was said before.
    end = len(phonemes)
    while end and (phonemes[end - 1] == WORD_BOUNDARY or phonemes[end - 1].startswith("_")):
        end -= 1
    keep = [i for i in range(len(phonemes)) if i < end or phonemes[i] != WORD_BOUNDARY]
    phonemes, starts = [phonemes[i] for i in keep], [starts[i] for i in keep]
    # A WORD event can arrive with the previous word's trailing pause; its start is then
    # the next phoneme's, which keeps the starts non-decreasing and "|" zero-length.
    for i in range(len(phonemes) - 2, -1, -1):
        if phonemes[i] == WORD_BOUNDARY:
            starts[i] = starts[i + 1]
    starts = list(np.maximum.accumulate(np.asarray(starts, np.int64)).tolist()) if starts else []
    return Utterance((wav.astype(np.float32) / 32768.0), phonemes, starts)


def durations_in_frames(starts: list[int], num_samples: int, hop: int) -> list[int]:
    """Frames per phoneme at ``hop`` samples per frame, summing to ``1 + num_samples // hop``.

    A phoneme covers the frames whose centre falls between its start and the next one's
    (frames of ``torch.stft(center=True)`` are centred on multiples of ``hop``); the first
    phoneme also takes the leading silence and the last one the trailing frames.
    """
    frames = 1 + num_samples // hop
    if not starts:
        return []
    edges = [round(s / hop) for s in starts[1:]]
    edges = [min(max(e, 0), frames) for e in edges]
    bounds = [0, *edges, frames]
    return [bounds[i + 1] - bounds[i] for i in range(len(starts))]
