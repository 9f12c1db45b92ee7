"""Y' -> Y word by word: the phoneme-to-text transformer applied to each word on its own.

When Y' keeps word boundaries, spelling a sentence is mostly spelling its words: split the
phonemes at ``|``, render every word with one :class:`PhonemeToText` (all words of a batch
decoded together), join with spaces. Word sequences are a dozen tokens instead of a few
hundred, so the same transformer learns far faster and decodes far cheaper; the price is
that a homophone ("there" / "their") is spelled without its sentence (the sentence-level
renderer, ``renderer.unit: sentence``, sees the whole sentence).

Training pairs come from the same unpaired text: each sentence's phonemes split at ``|``
beside its words (sentences where espeak-ng joined or split words are skipped), plus the
CMUdict words.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.modules.sequences import pad_rows, split_at, unpad_rows
from regen.renderers.p2g import PhonemeToText

SPACE = 1  # character id of " " (regen.representations.characters)
DECODE_WORDS = 256  # words rendered per call


def word_pairs(
    y_prime: torch.Tensor, chars: torch.Tensor, boundary: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentence pairs -> word pairs (phoneme ids [W, Lp], char ids [W, Lc], 0-padded).

    A sentence contributes only when its phoneme words and its written words agree in number.
    """
    phoneme_words, char_words = [], []
    for phonemes, text in zip(unpad_rows(y_prime), unpad_rows(chars)):
        p_words, c_words = split_at(phonemes, boundary), split_at(text, SPACE)
        if len(p_words) == len(c_words):
            phoneme_words += p_words
            char_words += c_words
    return pad_rows(phoneme_words)[0], pad_rows(char_words)[0]


class WordwisePhonemeToText(nn.Module):
    """Phoneme ids [B, Lp] with word boundaries -> character ids [B, Lc], word by word.

    Args:
        spec: the phoneme Y' (with ``|`` tokens).
        char_vocab: size of the character vocabulary.
        boundary: the id of ``|`` in Y'.
        cfg: a ``P2GConfig`` for the word model.
    """

    trainable = True

    def __init__(self, spec: YSpec, char_vocab: int, boundary: int, cfg: Any) -> None:
        super().__init__()
        self.spec = spec
        self.boundary = boundary
        self.words = PhonemeToText(spec, char_vocab, cfg)

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        """Cross-entropy on word pairs: ``y_prime`` [N, Lp] and ``y`` [N, Lc] of single words."""
        return self.words.training_loss(batch)

    @torch.no_grad()
    def render(
        self,
        y_prime: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        beam_size: int | None = None,
    ) -> torch.Tensor:
        words, owners = [], []
        for row, ids in enumerate(unpad_rows(y_prime)):
            for word in split_at(ids, self.boundary):
                words.append(word)
                owners.append(row)
        spelled: list[list[int]] = []
        for start in range(0, len(words), DECODE_WORDS):
            chunk = pad_rows(words[start : start + DECODE_WORDS])[0].to(y_prime.device)
            spelled += unpad_rows(self.words.render(chunk, beam_size=beam_size))
        texts: list[list[int]] = [[] for _ in range(len(y_prime))]
        for row, word in zip(owners, spelled):
            if word:
                texts[row] += ([SPACE] if texts[row] else []) + word
        return pad_rows(texts)[0].to(y_prime.device)
