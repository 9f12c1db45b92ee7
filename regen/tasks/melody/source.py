"""``regen data prepare`` for the melody task: a folder of MIDI / MusicXML files
(:mod:`regen.data.music_folder`)."""

from regen.data.music_folder import prepare

__all__ = ["prepare"]
