"""text_encoder: words — hashed word ids and the encoder that reads them."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from regen.data.caption_words import (
    WORD_BUCKETS,
    WORD_VOCAB_SIZE,
    caption_words,
    encode_caption_words,
    word_ids,
)
from regen.errors import ConfigError, DataError
from regen.modules.condition import MAX_CAPTION_WORDS, ConditionEncoder, with_null_rows
from regen.tasks.video.config import GeneratorConfig

CAPTIONS = ["the letter K moves up slowly", "the letter k moves down, bouncing"]


def words_encoder(seed: int = 0) -> ConditionEncoder:
    torch.manual_seed(seed)
    cfg = GeneratorConfig(kind="diffusion", hidden=32, text_encoder="words")
    return ConditionEncoder(cfg, 0, 64)


def test_words_split_on_punctuation_and_keep_case():
    assert caption_words("a 6/8 jig, on a Flute") == [
        "a",
        "6",
        "/",
        "8",
        "jig",
        ",",
        "on",
        "a",
        "Flute",
    ]


def test_ids_are_stable_across_processes():
    """crc32, not the per-process salted hash(): weights saved by one process must see the
    same ids in the next."""
    code = "from regen.data.caption_words import word_ids; print(word_ids('flute'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == str(word_ids("flute"))


def test_case_changes_one_id_and_keeps_the_other():
    upper, lower = word_ids("K"), word_ids("k")
    assert upper[0] != lower[0] and upper[1] == lower[1]
    assert 1 <= upper[0] <= WORD_BUCKETS < upper[1] < WORD_VOCAB_SIZE


def test_encoding_pads_cuts_and_refuses_empty():
    tokens = encode_caption_words(CAPTIONS, max_words=8)
    assert tokens.shape == (2, 8, 2) and tokens.dtype == torch.long
    assert (tokens[0, 6:] == 0).all() and (tokens[0, :6] > 0).all()  # 6 words, then padding
    assert (tokens[1, :7] > 0).all() and (tokens[1, 7] == 0).all()  # 6 words and a comma
    cut = encode_caption_words(["one two three"], max_words=2)
    assert cut[0].tolist() == [list(word_ids("one")), list(word_ids("two"))]
    with pytest.raises(DataError, match="caption 1 is empty"):
        encode_caption_words(["fine", "  "])


def test_encoder_reads_words_and_makes_null_rows():
    model = words_encoder().eval()
    x = encode_caption_words(CAPTIONS)
    tokens, mask = model(x)
    assert tokens.shape == (2, x.shape[1], 64)
    assert mask.sum(1).tolist() == [6, 7]
    both, drop = with_null_rows(x)
    tokens, mask = model(both, drop)
    assert mask[2:].sum(1).tolist() == [1, 1]  # null rows: the null vector only
    torch.testing.assert_close(tokens[2, 0], model.null)


def test_words_that_differ_give_pooled_vectors_that_differ_more_than_bytes():
    """Why the option exists: one changed word moves a words encoding clearly at init."""
    model = words_encoder().eval()
    with torch.no_grad():
        a, b = model.pooled(
            encode_caption_words(["the letter K moves up", "the letter K moves down"])
        )
    assert torch.nn.functional.cosine_similarity(a, b, dim=0) < 0.99


def test_padding_does_not_move_the_encoding():
    model = words_encoder().eval()
    short = encode_caption_words(CAPTIONS, max_words=8)
    long = encode_caption_words(CAPTIONS, max_words=20)
    with torch.no_grad():
        torch.testing.assert_close(model.pooled(short), model.pooled(long), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (torch.zeros(2, 5, dtype=torch.long), "int64 \\[B, W, 2\\]"),
        (torch.zeros(1, MAX_CAPTION_WORDS + 1, 2, dtype=torch.long), "exceed"),
        (torch.full((1, 3, 2), WORD_VOCAB_SIZE, dtype=torch.long), "word ids must lie"),
    ],
)
def test_wrong_inputs_are_one_line_errors(x, match):
    with pytest.raises(DataError, match=match):
        words_encoder()(x)


def test_unknown_text_encoder_names_the_choices():
    with pytest.raises(ConfigError, match="learned, words or minilm"):
        ConditionEncoder(GeneratorConfig(text_encoder="glove"), 0, 64)
