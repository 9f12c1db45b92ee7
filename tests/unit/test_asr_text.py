"""Transcript normal form, the phoneme representation and the ASR metrics."""

from __future__ import annotations

import pytest
import torch

from regen.errors import DataError
from regen.eval.asr_metrics import (
    error_rates,
    phoneme_confusions,
    phoneme_error_rate,
    word_alignment,
)
from regen.representations.characters import (
    CHAR_VOCAB_SIZE,
    CharacterRepresentation,
    decode_ids,
    encode_texts,
    normalize_transcript,
)
from regen.representations.phonemes import MARKS, PhonemeRepresentation, add_stress
from regen.tasks.asr.data import normalize_all
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)


def test_normal_form_spells_out_and_strips_punctuation() -> None:
    assert normalize_transcript("Hello, Dr. Smith -- it's 42!") == (
        "hello doctor smith it's forty two"
    )
    assert normalize_transcript("  'Quoted'   words; here.  ") == "quoted words here"


def test_characters_round_trip_and_ids_stay_in_range() -> None:
    texts = ["it's a test", "z"]
    ids, lengths = encode_texts(texts)
    assert lengths.tolist() == [11, 1]
    assert int(ids.max()) < CHAR_VOCAB_SIZE and int(ids.min()) >= 0
    assert decode_ids(ids) == texts
    rep = CharacterRepresentation()
    rep.spec.check(rep.encode(ids), "characters")
    with pytest.raises(DataError, match="not in the transcript alphabet"):
        encode_texts(["café!"])


def test_unknown_characters_are_dropped_or_the_text_skipped() -> None:
    kept, texts = normalize_all(["Snow ☃ falls.", "日本語", "", "Plain text."])
    assert kept == [0, 3]
    assert texts == ["snow falls", "plain text"]
    with pytest.raises(DataError, match="nothing to speak"):
        normalize_transcript("☃ ☃")


def test_phonemes_follow_the_options() -> None:
    texts = ["the cat read a book", "hello there"]
    ids = encode_texts(texts)[0]
    plain = PhonemeRepresentation(word_boundaries=False)
    bounded = PhonemeRepresentation(word_boundaries=True)
    stressed = PhonemeRepresentation(word_boundaries=True, stress=True)
    for rep in (plain, bounded, stressed):
        y_prime = rep.encode(ids)
        rep.spec.check(y_prime, "phonemes")
        assert int(y_prime.min()) >= 0 and rep.vocab.unk_id not in y_prime.tolist()
    words = [len(t.split()) for t in texts]
    marked = bounded.symbols(bounded.encode(ids), marks=True)
    assert [row.count("|") for row in marked] == [w - 1 for w in words]
    # boundaries are the only difference between the plain and the bounded sequences
    assert bounded.symbols(bounded.encode(ids)) == plain.symbols(plain.encode(ids), marks=True)
    stress_marks = stressed.symbols(stressed.encode(ids), marks=True)
    assert any("'" in row for row in stress_marks)
    assert all(s not in MARKS for row in stressed.symbols(stressed.encode(ids)) for s in row)
    assert stressed.spec.vocab_size == bounded.spec.vocab_size + 2 == plain.spec.vocab_size + 3


def test_stress_marks_come_from_cmudict_when_vowels_align() -> None:
    # "hello": CMUdict HH AH0 L OW1 -> the second vowel is stressed
    assert add_stress(["hello"], ["h", "@", "l", "oU"]) == ["h", "@", "l", "'", "oU"]
    # vowel counts disagree: left unmarked
    assert add_stress(["hello"], ["h", "l", "oU"]) == ["h", "l", "oU"]
    # words and phoneme groups disagree: nothing is marked
    assert add_stress(["a", "b"], ["a#"]) == ["a#"]


def test_error_rates_match_hand_counts() -> None:
    rates = error_rates(["a cat sat", "dog"], ["a hat sat", ""])
    assert rates["wer"] == pytest.approx(2 / 4)
    assert rates["cer"] == pytest.approx((1 + 3) / (9 + 3))
    assert phoneme_error_rate([["a", "b", "c"]], [["a", "c"]]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="empty reference"):
        error_rates([""], ["x"])


def test_confusions_and_alignment() -> None:
    refs = [["p", "a", "t"], ["p", "i", "t"]]
    hyps = [["b", "a", "t"], ["b", "i", "t", "s"]]
    assert phoneme_confusions(refs, hyps, top=2) == [("p", "b", 2), ("∅", "s", 1)]
    spans = word_alignment("the cat sat", "a cat sat down")
    assert spans[0] == ("substitute", "the", "a") and spans[-1] == ("insert", "", "down")
    assert word_alignment("x", "") == [("delete", "x", "")]


def test_encode_of_an_empty_text_is_empty() -> None:
    rep = PhonemeRepresentation()
    assert rep.encode_texts(["", "hi"])[0] == []
    assert isinstance(rep.encode(torch.zeros(1, 3, dtype=torch.long)), torch.Tensor)
