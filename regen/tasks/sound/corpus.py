"""The sound corpus: melodies from music21 rendered by fluidsynth with General MIDI
instruments, each clip captioned from its metadata.

    music21 essenFolksong tunes + Bach chorale sopranos (regen.data.music, split by tune)
        ─ pick instrument, tempo, transposition ─▶ notes ─fluidsynth (FluidR3 GM)─▶ 16 kHz mono
        caption: "a lively folk tune in 6/8, D major, played on a flute at 140 bpm"

A clip loops its melody segment until the clip is full. Every clip carries the attributes its
caption states (instrument family, mode, meter, tempo band), which the local evaluator
(:mod:`regen.eval.audio_classifier`) learns to hear. The corpus is built once and cached
(:mod:`regen.data.cache`) with the versions of music21, fluidsynth and the SoundFont package.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from regen.data.cache import build_progress, debian_packages, files_fingerprint, load_or_build
from regen.data.fluidsynth import (
    SOUNDFONT,
    Note,
    check_installed,
    fluidsynth_version,
    render_clips,
)
from regen.errors import DataError
from regen.modules.music_tables import BAR, BEAT, DUR, KEY, PITCH

BUILDER_VERSION = 1
RENDER_BATCH = 64  # clips per fluidsynth run (each run loads the SoundFont once)

# family -> (General MIDI program 0-127, name in captions, octave shift from the melody)
INSTRUMENTS: dict[str, list[tuple[int, str, int]]] = {
    "keys": [(0, "piano", 0), (4, "electric piano", 0), (6, "harpsichord", 0), (19, "organ", 0)],
    "mallets": [(9, "glockenspiel", 1), (10, "music box", 1), (11, "vibraphone", 0),
                (12, "marimba", 0), (13, "xylophone", 1)],
    "plucked": [(24, "nylon guitar", 0), (25, "steel guitar", 0), (46, "harp", 0),
                (105, "banjo", 0)],
    "strings": [(40, "violin", 0), (41, "viola", 0), (42, "cello", -1),
                (48, "string ensemble", 0)],
    "winds": [(73, "flute", 1), (71, "clarinet", 0), (68, "oboe", 0), (70, "bassoon", -1),
              (74, "recorder", 1)],
    "brass": [(56, "trumpet", 0), (57, "trombone", -1), (60, "french horn", 0), (58, "tuba", -2)],
    "effects": [(123, "bird tweet", 1), (124, "telephone ring", 0), (122, "seashore", 0)],
}  # fmt: skip
FAMILIES = tuple(INSTRUMENTS)
MODES = ("major", "minor")
METERS = ("2/4", "3/4", "4/4", "6/8", "other")
TEMPO_BANDS = ("slow", "moderate", "fast")
TEMPO_EDGES = (90, 130)  # bpm: slow < 90 <= moderate < 130 <= fast
TEMPO_WORDS = {
    "slow": ("slow", "gentle", "calm"),
    "moderate": ("moderate", "steady", "walking"),
    "fast": ("lively", "fast", "brisk"),
}
TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
ATTRIBUTES = {"family": FAMILIES, "mode": MODES, "meter": METERS, "tempo": TEMPO_BANDS}
"""What a caption states and the evaluator predicts: attribute -> class names."""


@dataclass
class SoundDataConfig:
    """Which melodies, how many clips and how they are played."""

    sample_rate: int = 16000
    clip_seconds: float = 3.0
    clips: int = 1200  # clips rendered in all (train + test); 1200 x 3 s = 1.0 h
    folk_files: int = 2  # essenFolksong files parsed (~300 tunes each, ~20 s each once)
    max_chorales: int | None = None  # None: every chorale with lyrics
    test_fraction: float = 0.15  # share of tunes held out (the split is by source tune)
    tempo_min: int = 60
    tempo_max: int = 180
    transpose: int = 4  # semitones up or down, drawn per clip
    families: list[str] = field(default_factory=lambda: list(FAMILIES))


@dataclass
class SoundCorpus:
    """Clips, their captions and the attributes the captions state."""

    audio: torch.Tensor  # float32 [N, T] in [-1, 1]
    attributes: dict[str, torch.Tensor]  # ATTRIBUTES name -> int64 [N] class ids
    captions: list[str]
    pieces: list[str]  # the source tune of each clip
    sample_rate: int
    source: str = ""

    def __len__(self) -> int:
        return len(self.captions)

    def seconds(self) -> float:
        return self.audio.shape[0] * self.audio.shape[1] / self.sample_rate

    def subset(self, index: list[int] | torch.Tensor) -> SoundCorpus:
        index = torch.as_tensor(index, dtype=torch.long)
        picked = index.tolist()
        return SoundCorpus(
            self.audio[index],
            {k: v[index] for k, v in self.attributes.items()},
            [self.captions[i] for i in picked],
            [self.pieces[i] for i in picked],
            self.sample_rate,
            self.source,
        )


def meter_name(bar: int, beat: int) -> str:
    """Time signature of a bar and beat in 16ths: (12, 6) -> "6/8", (12, 4) -> "3/4"."""
    if beat == 6 or bar % 4:
        return f"{bar // 2}/8"
    return f"{bar // 4}/4"


def tempo_band(bpm: int) -> str:
    return TEMPO_BANDS[sum(bpm >= edge for edge in TEMPO_EDGES)]


def caption(
    tempo_word: str, source: str, meter: str, tonic: str, mode: str, instrument: str, family: str,
    bpm: int,
) -> str:  # fmt: skip
    """The caption of one clip; sound effects are "heard as", instruments "played on"."""
    article = "an" if instrument[0] in "aeiou" else "a"
    how = f"as {instrument} sounds" if family == "effects" else f"played on {article} {instrument}"
    return f"a {tempo_word} {source} in {meter}, {tonic} {mode}, {how} at {bpm} bpm"


def _notes(melody: np.ndarray, bpm: int, shift: int, seconds: float) -> list[Note]:
    """The segment's notes from time 0, looped until ``seconds`` are filled."""
    sixteenth = 60.0 / bpm / 4
    notes, now = [], 0.0
    while now < seconds:
        for row in melody:
            length = row[DUR] * sixteenth
            pitch = int(row[PITCH]) + shift
            while pitch > 100:
                pitch -= 12
            while pitch < 28:
                pitch += 12
            notes.append(Note(pitch, now, now + length * 0.95, 80 + (len(notes) * 7) % 24))
            now += length
            if now >= seconds:
                break
    return notes


def _plan(cfg: SoundDataConfig, seed: int) -> tuple[list[dict], str]:
    """What each clip plays (segment, instrument, tempo, shift) and the melody source."""
    from regen.data.music import MelodyDataConfig, load_corpus

    unknown = sorted(set(cfg.families) - set(FAMILIES))
    if unknown or not cfg.families:
        raise DataError(f"unknown instrument families {unknown}; choose from {list(FAMILIES)}")
    melodies = load_corpus(
        MelodyDataConfig(
            max_chorales=cfg.max_chorales,
            folk_collections=["essenFolksong"] if cfg.folk_files else [],
            max_folk_files=cfg.folk_files,
        )
    )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(melodies))
    plans = []
    for i in range(cfg.clips):
        k = int(order[i % len(order)])
        family = cfg.families[int(rng.integers(len(cfg.families)))]
        program, name, octave = INSTRUMENTS[family][int(rng.integers(len(INSTRUMENTS[family])))]
        bpm = int(rng.integers(cfg.tempo_min // 5, cfg.tempo_max // 5 + 1)) * 5
        shift = int(rng.integers(-cfg.transpose, cfg.transpose + 1))
        rows = melodies.melodies[k, : int(melodies.lengths[k])].numpy()
        key = int(rows[0, KEY])
        mode = MODES[int(key >= 12)]
        meter = meter_name(int(rows[0, BAR]), int(rows[0, BEAT]))
        band = tempo_band(bpm)
        piece = melodies.pieces[k]
        source = "chorale melody" if piece.startswith("bach/") else "folk tune"
        words = TEMPO_WORDS[band]
        plans.append(
            {
                "rows": rows,
                "program": program,
                "shift": shift + 12 * octave,
                "bpm": bpm,
                "piece": piece,
                "family": FAMILIES.index(family),
                "mode": MODES.index(mode),
                "meter": METERS.index(meter) if meter in METERS else METERS.index("other"),
                "tempo": TEMPO_BANDS.index(band),
                "caption": caption(
                    words[int(rng.integers(len(words)))],
                    source,
                    meter,
                    TONICS[(key % 12 + shift) % 12],
                    mode,
                    name,
                    family,
                    bpm,
                ),  # fmt: skip
            }
        )
    return plans, melodies.source


def _build(cfg: SoundDataConfig, seed: int) -> tuple[dict, dict]:
    exe, _ = check_installed()  # before parsing anything: a missing package fails at once
    plans, melody_source = _plan(cfg, seed)
    batches = [plans[i : i + RENDER_BATCH] for i in range(0, len(plans), RENDER_BATCH)]
    audio = []
    for batch in build_progress(batches, "rendering sound clips (fluidsynth)"):
        clips = [
            (p["program"], _notes(p["rows"], p["bpm"], p["shift"], cfg.clip_seconds)) for p in batch
        ]
        rendered = render_clips(clips, cfg.clip_seconds, cfg.sample_rate)
        # the same peak level for every clip: loudness says nothing the caption states
        peak = np.abs(rendered).max(1, keepdims=True)
        audio.append(rendered * (0.8 / np.maximum(peak, 1e-4)))
    pcm = np.round(np.concatenate(audio) * 32767).astype(np.int16)
    tensors = {"audio": torch.from_numpy(pcm)}
    tensors |= {name: torch.tensor([p[name] for p in plans]) for name in ATTRIBUTES}
    tensors["bpm"] = torch.tensor([p["bpm"] for p in plans])
    meta = {
        "captions": [p["caption"] for p in plans],
        "pieces": [p["piece"] for p in plans],
        "source": f"{melody_source}; rendered by {fluidsynth_version(exe)} with "
        f"{SOUNDFONT.name} ({debian_packages([SOUNDFONT])})",
    }
    return tensors, meta


def _key(cfg: SoundDataConfig, seed: int) -> str:
    import music21

    check_installed()  # the fingerprint below reads the SoundFont

    # the SoundFont's size and time stamp too: a new bank must not reuse old renders
    sources = (
        sorted(asdict(cfg).items()),
        seed,
        music21.__version__,
        files_fingerprint([SOUNDFONT]),
    )
    digest = zlib.crc32(repr(sources).encode())
    return f"sound-v{BUILDER_VERSION}-{cfg.clips}x{cfg.clip_seconds:g}s-{digest:08x}"


def load_sound_corpus(cfg: SoundDataConfig, seed: int = 0) -> SoundCorpus:
    """Every clip (rendered once, then read from the cache)."""
    if cfg.clips < 4 or cfg.clip_seconds <= 0:
        raise DataError("data.clips must be at least 4 and data.clip_seconds positive")
    tensors, meta = load_or_build(_key(cfg, seed), lambda: _build(cfg, seed))
    return SoundCorpus(
        tensors["audio"].float() / 32767,
        {name: tensors[name].long() for name in ATTRIBUTES},
        meta["captions"],
        meta["pieces"],
        cfg.sample_rate,
        meta["source"],
    )


def held_out_pieces(pieces: list[str], test_fraction: float) -> set[str]:
    """The held-out tunes: the ``test_fraction`` of distinct tunes (at least one, never all)
    that come first when ordered by a stable hash of their names."""
    tunes = sorted(set(pieces), key=lambda p: (zlib.crc32(p.encode()), p))
    count = min(len(tunes) - 1, max(1, round(test_fraction * len(tunes))))
    return set(tunes[:count])


def split_corpus(corpus: SoundCorpus, test_fraction: float) -> dict[str, SoundCorpus]:
    """``train`` and ``test`` clips; no tune is heard in both."""
    held = held_out_pieces(corpus.pieces, test_fraction)
    test = [i for i, p in enumerate(corpus.pieces) if p in held]
    train = [i for i, p in enumerate(corpus.pieces) if p not in held]
    if not train or not test:
        raise DataError(
            f"the split by tune left {len(train)} training and {len(test)} test clips; "
            "raise data.clips (the corpus needs at least two tunes)"
        )
    return {"train": corpus.subset(train), "test": corpus.subset(test)}
