"""Render note lists to audio with Debian ``fluidsynth`` and a General MIDI SoundFont.

Starting fluidsynth loads the 140 MB FluidR3 bank (about a second), so clips are rendered in
batches: one MIDI file holds many clips one after another, each starting with a reset and its
own program change and separated by silence, and one fluidsynth run renders them all; the
output is then cut at the known clip starts. Reverb and chorus are off so that no tail leaks
from one clip into the next. The MIDI clock is 1,000 ticks per second (500 ticks per beat at
120 bpm), so a tick is a millisecond and cutting is exact up to fluidsynth's 64-sample block.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regen.errors import DataError

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
PACKAGES = "fluidsynth fluid-soundfont-gm"
TICKS_PER_SECOND = 1000
GAP_SECONDS = 0.5  # silence between clips in one render: note releases die out in it


@dataclass(frozen=True)
class Note:
    """One note of a clip: MIDI ``pitch``, ``start`` and ``end`` in seconds, ``velocity``."""

    pitch: int
    start: float
    end: float
    velocity: int = 90


def check_installed() -> tuple[str, Path]:
    """The fluidsynth executable and the SoundFont, or a one-line DataError naming both packages."""
    exe = shutil.which("fluidsynth")
    missing = [
        name for name, ok in (("fluidsynth", exe), (str(SOUNDFONT), SOUNDFONT.is_file())) if not ok
    ]
    if missing:
        raise DataError(
            f"the sound corpus needs {' and '.join(missing)}: install the Debian packages "
            f"{PACKAGES} (apt-get install {PACKAGES}, or scripts/setup_system.sh)"
        )
    return str(exe), SOUNDFONT


def fluidsynth_version(exe: str) -> str:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else "fluidsynth (unknown version)"


def _midi_file(clips: list[tuple[int, list[Note]]], clip_seconds: float, path: Path) -> None:
    import mido

    events: list[tuple[int, int, object]] = []  # (tick, order, message): offs before ons
    span = clip_seconds + GAP_SECONDS
    for i, (program, notes) in enumerate(clips):
        base = round(i * span * TICKS_PER_SECOND)
        events.append((base, 0, mido.Message("control_change", control=120, value=0)))
        events.append((base, 0, mido.Message("control_change", control=121, value=0)))
        events.append((base, 1, mido.Message("program_change", program=program)))
        limit = base + round(clip_seconds * TICKS_PER_SECOND)
        for note in notes:
            on = base + round(note.start * TICKS_PER_SECOND)
            off = min(limit, base + round(note.end * TICKS_PER_SECOND))
            if on >= off:
                continue
            events.append((on, 3, mido.Message("note_on", note=note.pitch, velocity=note.velocity)))
            events.append((off, 2, mido.Message("note_off", note=note.pitch, velocity=0)))
        events.append((limit, 2, mido.Message("control_change", control=123, value=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_SECOND // 2)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500_000))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    midi.save(path)


def render_clips(
    clips: list[tuple[int, list[Note]]],
    clip_seconds: float,
    sample_rate: int,
    gain: float = 0.5,
) -> np.ndarray:
    """float32 [len(clips), clip_seconds * sample_rate] mono audio of ``(program, notes)`` clips.

    ``program`` is a General MIDI program (0-127) on channel 1 (never the drum channel).
    """
    exe, soundfont = check_installed()
    samples = round(clip_seconds * sample_rate)
    span = round((clip_seconds + GAP_SECONDS) * sample_rate)
    with tempfile.TemporaryDirectory(prefix="regen-fluidsynth-") as tmp:
        midi, wav = Path(tmp) / "clips.mid", Path(tmp) / "clips.wav"
        _midi_file(clips, clip_seconds, midi)
        command = [exe, "-ni", "-q", "-R", "0", "-C", "0", "-g", str(gain)]
        command += ["-r", str(sample_rate), "-F", str(wav), str(soundfont), str(midi)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not wav.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"fluidsynth failed (exit {done.returncode}): {last}")
        import soundfile

        audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    if rate != sample_rate:
        raise DataError(f"fluidsynth wrote {rate} Hz instead of {sample_rate} Hz")
    mono = audio.mean(1)
    mono = np.pad(mono, (0, max(0, len(clips) * span - len(mono))))
    return np.stack([mono[i * span : i * span + samples] for i in range(len(clips))])
