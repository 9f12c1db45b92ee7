"""X for the generator, from what a user types: class names or captions."""

from __future__ import annotations

import torch

from regen.errors import DataError
from regen.tasks.image.data import resolve_labels

MAX_CAPTION_BYTES = 48


class Conditioner:
    """Maps class names (``condition: class``) or captions (``condition: text``) to X.

    Class X is int64 [B] label ids; text X is int64 [B, 48] byte tokens (see
    :func:`regen.data.text.encode_captions`), read by the generator's learned text encoder.
    """

    def __init__(self, kind: str, class_names: list[str]) -> None:
        self.kind = kind
        self.class_names = list(class_names)

    def encode(self, names: list[str]) -> torch.Tensor:
        if not names:
            raise DataError("no class names or captions given; pass at least one")
        if self.kind == "text":
            from regen.data.text import encode_captions

            return encode_captions([str(n) for n in names], max_len=MAX_CAPTION_BYTES)
        return resolve_labels(self.class_names, [str(n) for n in names])

    def for_items(self, labels: torch.Tensor, captions: list[str]) -> torch.Tensor:
        """X for dataset items (labels for class conditioning, captions for text)."""
        if self.kind == "text":
            return self.encode(captions)
        return labels.long()
