"""Byte-level caption tokenizer for the learned text encoders.

Bytes need no vocabulary file and cover any caption: id = UTF-8 byte + 1, with 0 kept for
padding, so the vocabulary is 257 ids. Captions longer than ``max_len`` bytes are truncated
(possibly inside a multi-byte character, which a byte-level model tolerates).
"""

from __future__ import annotations

import torch

from regen.errors import DataError

PAD_ID = 0
TEXT_VOCAB_SIZE = 257  # 256 byte values + padding


def encode_captions(captions: list[str], max_len: int = 48) -> torch.Tensor:
    """int64 ``[len(captions), max_len]`` token ids in ``[0, 257)``, right-padded with 0."""
    if max_len < 1:
        raise ValueError(f"max_len must be positive, got {max_len}")
    tokens = torch.full((len(captions), max_len), PAD_ID, dtype=torch.long)
    for row, caption in enumerate(captions):
        if not caption.strip():
            raise DataError(f"caption {row} is empty; give every item some text")
        ids = [byte + 1 for byte in caption.encode("utf-8")[:max_len]]
        tokens[row, : len(ids)] = torch.tensor(ids)
    return tokens
