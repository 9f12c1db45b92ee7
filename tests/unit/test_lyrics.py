"""Lyrics -> syllables: CMUdict stress, word positions, punctuation, refused inputs."""

from __future__ import annotations

import pytest

from regen.data.lyrics import (
    PUNCTUATION,
    STRESS,
    WORD_POSITION,
    lyrics_text,
    score_syllables,
    syllabify,
    word_stresses,
)
from regen.errors import DataError


def test_cmudict_gives_syllable_count_and_stress():
    assert word_stresses("wonder") == [STRESS["primary"], STRESS["none"]]
    assert word_stresses("tomorrow") == [0, 1, 2]  # CMUdict: T AH0 M AA1 R OW2


def test_unknown_words_get_first_syllable_stress():
    assert word_stresses("zzyqorabin", syllables=3) == [1, 0, 0]


def test_syllabify_marks_words_and_punctuation():
    syllables = syllabify("Twinkle, little star!")
    assert len(syllables) == 5
    assert [s.word_position for s in syllables[:2]] == [
        WORD_POSITION["begin"],
        WORD_POSITION["end"],
    ]
    assert syllables[1].punctuation == PUNCTUATION["comma"]
    assert syllables[-1].punctuation == PUNCTUATION["stop"]
    assert syllables[-1].word_position == WORD_POSITION["single"]
    assert lyrics_text(syllables).replace(" ", "") == "twinkle,littlestar."


def test_german_latin_script_lyrics_are_sung_with_the_stress_rule():
    syllables = syllabify("Gott ist mein Hirte")
    assert len(syllables) == 5 and syllables[3].stress == STRESS["primary"]


@pytest.mark.parametrize("text", ["", "   ", "!!! ... ???", "12 34", "привет мир", "你好"])
def test_lyrics_without_latin_words_are_refused(text):
    with pytest.raises(DataError, match="no singable words"):
        syllabify(text)


def test_score_syllables_rebuild_words_from_syllabic_marks():
    syllables = score_syllables(["Al", "lein", "Gott,"], ["begin", "end", "single"])
    assert [s.word_position for s in syllables] == [1, 3, 0]
    assert syllables[2].punctuation == PUNCTUATION["comma"]
    assert syllables[0].stress == STRESS["primary"] and syllables[1].stress == STRESS["none"]
