"""Melodies a person can see and hear: piano rolls, audio, MIDI and MusicXML files.

- :func:`piano_roll_png`: notes as bars on a pitch/time grid, with the template drawn over
  them (chord tones shaded per note, bar lines, cadences marked) and the syllables below.
- :func:`melody_wav`: audio through the Debian ``fluidsynth`` with the General MIDI
  soundfont when both are installed, else a small additive synthesizer (numpy).
- :func:`audio_html`: an ``<audio>`` player with the WAV inline as a data URI.
- :func:`write_midi`, :func:`write_musicxml`: files through pretty_midi and music21.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from regen.modules.dsp import SAMPLE_RATE
from regen.modules.music_tables import BAR, DUR, PITCH, POS, T_CADENCE, T_CHORD, T_KEY, lengths_of
from regen.modules.music_theory import NOTE_NAMES, key_name, triad
from regen.report.plots import figure_png

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SIXTEENTH_SECONDS = 60 / 96 / 4  # quarter note = 96 bpm
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")


def notes(melody: torch.Tensor) -> list[tuple[int, int, int]]:
    """(pitch, onset, duration) per note, times in 16ths from the segment start."""
    rows = melody[: int(lengths_of(melody[None], DUR)[0])].tolist()
    onset, out = 0, []
    for row in rows:
        out.append((row[PITCH], onset, row[DUR]))
        onset += row[DUR]
    return out


def piano_roll_png(
    rows: list[tuple[str, torch.Tensor, torch.Tensor | None]],
    syllables: list[str] | None = None,
    width: float = 11.0,
) -> bytes:
    """One piano roll per (label, melody [T, 8], template [T, 10] or None), stacked."""
    figure = Figure(figsize=(width, 1.9 * len(rows) + 0.3))
    axes_list = figure.subplots(len(rows), 1, squeeze=False, sharex=True)[:, 0]
    for axes, (label, melody, template) in zip(axes_list, rows):
        played = notes(melody)
        if not played:
            continue
        low = min(p for p, _, _ in played) - 3
        high = max(p for p, _, _ in played) + 3
        end = played[-1][1] + played[-1][2]
        bar, first = int(melody[0, BAR]), int(melody[0, POS])
        for x in range((bar - first) % bar, end + 1, bar):
            axes.axvline(x, color="#bbb", lw=0.8)
        for i, (pitch, onset, duration) in enumerate(played):
            if template is not None:
                key, chord = int(template[i, T_KEY]), int(template[i, T_CHORD])
                for pc in triad(key, chord):
                    for octave in range((low - pc) // 12, (high - pc) // 12 + 1):
                        y = pc + 12 * octave
                        if low <= y <= high:
                            axes.add_patch(
                                Rectangle((onset, y - 0.5), duration, 1, color="#ffe8a8", lw=0)
                            )
                cadence = int(template[i, T_CADENCE])
                if cadence:
                    axes.text(
                        onset + duration,
                        high - 2.5,
                        "AH"[cadence == 1],
                        color="#b00",
                        ha="right",
                        fontsize=8,
                    )
                if chord < len(_ROMAN) and (i == 0 or chord != int(template[i - 1, T_CHORD])):
                    axes.text(onset, high - 1, _ROMAN[chord], fontsize=7, color="#8a6d00")
            axes.add_patch(
                Rectangle((onset, pitch - 0.4), duration - 0.15, 0.8, color="#2f5fb3", lw=0)
            )
            if syllables and i < len(syllables):
                axes.text(onset, low + 0.2, syllables[i], fontsize=6, rotation=60, va="bottom")
        axes.set_xlim(0, end)
        axes.set_ylim(low - 0.5, high + 0.5)
        ticks = [p for p in range(low, high + 1) if p % 12 in (0, 7)]
        axes.set_yticks(ticks, [f"{NOTE_NAMES[p % 12]}{p // 12 - 1}" for p in ticks], fontsize=7)
        title = (
            label
            if template is None
            else f"{label} (template: {key_name(int(template[0, T_KEY]))})"
        )
        axes.set_title(title, fontsize=9, loc="left")
    axes_list[-1].set_xlabel("time (16ths)", fontsize=8)
    figure.tight_layout()
    return figure_png(figure)


def to_pretty_midi(melody: torch.Tensor, program: int = 0):
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=96)
    instrument = pretty_midi.Instrument(program=program, name="melody")
    for pitch, onset, duration in notes(melody):
        start = onset * SIXTEENTH_SECONDS
        end = (onset + duration) * SIXTEENTH_SECONDS
        instrument.notes.append(pretty_midi.Note(90, int(pitch), start, end - 0.01))
    midi.instruments.append(instrument)
    return midi


def write_midi(melody: torch.Tensor, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_pretty_midi(melody).write(str(path))
    return path


def write_musicxml(melody: torch.Tensor, path: Path, lyrics: list[str] | None = None) -> Path:
    """MusicXML through music21, with the syllables as lyrics when given."""
    from music21 import meter, note, stream

    part = stream.Part()
    bar = int(melody[0, BAR]) or 16
    part.append(meter.TimeSignature(f"{bar // 4}/4" if bar % 4 == 0 else f"{bar // 2}/8"))
    for i, (pitch, _, duration) in enumerate(notes(melody)):
        n = note.Note(int(pitch), quarterLength=duration / 4)
        if lyrics and i < len(lyrics):
            n.lyric = lyrics[i]
        part.append(n)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream.Score([part]).write("musicxml", fp=str(path))
    return path


def synthesize(melody: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A plain additive synthesizer: three harmonics, short attack, exponential decay."""
    played = notes(melody)
    end = (played[-1][1] + played[-1][2]) if played else 0
    audio = np.zeros(int((end * SIXTEENTH_SECONDS + 0.5) * sample_rate), np.float32)
    for pitch, onset, duration in played:
        start = int(onset * SIXTEENTH_SECONDS * sample_rate)
        t = np.arange(int(duration * SIXTEENTH_SECONDS * sample_rate)) / sample_rate
        freq = 440.0 * 2 ** ((pitch - 69) / 12)
        tone = sum(a * np.sin(2 * np.pi * k * freq * t) for k, a in ((1, 1.0), (2, 0.4), (3, 0.2)))
        envelope = np.minimum(1.0, t / 0.01) * np.exp(-2.5 * t)
        audio[start : start + len(t)] += 0.25 * (tone * envelope).astype(np.float32)
    return audio


def melody_wav(melody: torch.Tensor, prefer_fluidsynth: bool = True) -> tuple[bytes, str]:
    """16-bit mono WAV bytes of ``melody`` and the name of what rendered it."""
    fluidsynth = shutil.which("fluidsynth")
    if prefer_fluidsynth and fluidsynth and SOUNDFONT.is_file():
        with tempfile.TemporaryDirectory(prefix="regen-audio-") as folder:
            mid, wav = Path(folder) / "m.mid", Path(folder) / "m.wav"
            write_midi(melody, mid)
            command = [fluidsynth, "-ni", "-g", "0.8", "-r", str(SAMPLE_RATE), "-F", str(wav)]
            done = subprocess.run(
                [*command, str(SOUNDFONT), str(mid)], capture_output=True, timeout=60
            )
            if done.returncode == 0 and wav.is_file() and wav.stat().st_size > 44:
                audio, rate = soundfile.read(wav, dtype="float32")
                mono = audio.mean(1) if audio.ndim == 2 else audio
                return _wav_bytes(mono, rate), f"fluidsynth + {SOUNDFONT.name}"
    return _wav_bytes(synthesize(melody), SAMPLE_RATE), "numpy additive synthesizer"


def _wav_bytes(audio: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(audio, -1, 1), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def audio_html(wav: bytes, label: str) -> str:
    """An inline ``<audio>`` player for WAV bytes."""
    data = base64.b64encode(wav).decode("ascii")
    return (
        f'<audio controls preload="none" title="{html.escape(label)}" '
        f'src="data:audio/wav;base64,{data}"></audio>'
    )
