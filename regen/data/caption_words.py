"""Word-level caption tokenizer by hashing: no vocabulary file, any caption encodes.

Why words: a byte-level encoder has to learn spelling before it can tell "flute" from
"flugelhorn" or "up" from "down", and the mean of a caption's byte tokens barely moves when
one word changes. A word id makes each word one token from the first step.

Why hashing (the "hashing trick" of fastText / spaCy's hash embeddings): the ids need no
vocabulary saved beside the weights, and a word never seen in training still gets ids (its
embeddings are then untrained, which the encoder treats as an unfamiliar word). Each word
gets two ids, one from its exact spelling and one from its lower-cased form, summed by the
encoder: two words collide only if both hashes collide, and "K" and "k" stay apart while
sharing the lower-case half.
"""

from __future__ import annotations

import re
import zlib

import torch

from regen.errors import DataError

WORD_BUCKETS = 4096
"""Ids per hash; the encoder's table has ``2 * WORD_BUCKETS + 1`` rows (0 = padding)."""
WORD_VOCAB_SIZE = 2 * WORD_BUCKETS + 1
WORD_PATTERN = re.compile(r"\w+|[^\w\s]")
"""Words are runs of letters/digits; each other non-space character is a token of its own."""


def caption_words(caption: str) -> list[str]:
    """The tokens of ``caption``: words and single punctuation marks, in order."""
    return WORD_PATTERN.findall(caption)


def word_ids(word: str) -> tuple[int, int]:
    """The two ids of ``word``: exact spelling in ``[1, B]``, lower case in ``[B+1, 2B]``.

    crc32 rather than ``hash()``: Python salts string hashes per process, and the ids must be
    the same in training and in every later process that loads the weights.
    """
    exact = zlib.crc32(b"exact:" + word.encode("utf-8")) % WORD_BUCKETS
    folded = zlib.crc32(b"lower:" + word.lower().encode("utf-8")) % WORD_BUCKETS
    return 1 + exact, 1 + WORD_BUCKETS + folded


def encode_caption_words(captions: list[str], max_words: int = 32) -> torch.Tensor:
    """int64 ``[len(captions), max_words, 2]`` word ids, right-padded with 0; captions of
    more than ``max_words`` tokens are cut."""
    if max_words < 1:
        raise ValueError(f"max_words must be positive, got {max_words}")
    tokens = torch.zeros(len(captions), max_words, 2, dtype=torch.long)
    for row, caption in enumerate(captions):
        words = caption_words(caption)
        if not words:
            raise DataError(f"caption {row} is empty; give every item some text")
        ids = [word_ids(word) for word in words[:max_words]]
        tokens[row, : len(ids)] = torch.tensor(ids)
    return tokens
