"""Text as character ids: the Y of speech recognition, and the identity Y' of its direct baseline.

Transcripts are compared in one normal form (see docs/asr.md): the shared text front end's
``normalize_text`` (numbers and abbreviations as words), lower case, hyphens as spaces,
punctuation removed, single spaces. What is left must be letters, apostrophes and spaces;
anything else is a :class:`DataError` naming the character.

Ids: 0 is padding (also the CTC blank), 1 a space, 2 an apostrophe, 3..28 the letters a-z.
"""

from __future__ import annotations

import re
import string

from torch import Tensor, nn

from regen.contracts import YSpec
from regen.data.text_frontend import normalize_text
from regen.errors import DataError
from regen.modules.sequences import pad_rows

CHARACTERS = " '" + string.ascii_lowercase
CHAR_VOCAB_SIZE = len(CHARACTERS) + 1
_CHAR_ID = {c: i + 1 for i, c in enumerate(CHARACTERS)}
# Punctuation carries no sound; curly quotes and dashes count as their plain forms.
_DROP = re.compile(r"[.,;:!?\"()\[\]{}“”‘’«»…*_/\\]")
_TO_SPACE = re.compile(r"[-–—\s]+")


def normalize_transcript(text: str) -> str:
    """The comparison form of ``text``: ``"Hello, Dr. Smith!"`` -> ``"hello doctor smith"``."""

    text = normalize_text(text).lower().replace("’", "'").replace("‘", "'")
    text = _TO_SPACE.sub(" ", _DROP.sub(" ", text)).strip()
    text = " ".join(word.strip("'") for word in text.split(" "))
    for char in text:
        if char not in _CHAR_ID:
            raise DataError(
                f"character {char!r} (U+{ord(char):04X}) in {text[:40]!r} is not a letter, "
                "apostrophe or punctuation; remove it from the text or spell it out"
            )
    return re.sub(" +", " ", text).strip()


def encode_texts(texts: list[str], max_len: int | None = None) -> tuple[Tensor, Tensor]:
    """Normalized transcripts -> (int64 ids [N, L] right-padded with 0, int64 lengths [N]).

    Texts must already be in normal form (see :func:`normalize_transcript`).
    """
    rows = []
    for text in texts:
        try:
            rows.append([_CHAR_ID[c] for c in text])
        except KeyError as exc:
            raise DataError(
                f"character {exc.args[0]!r} is not in the transcript alphabet; "
                "pass texts through normalize_transcript first"
            ) from None
    return pad_rows(rows, max_len)


def decode_ids(ids: Tensor, lengths: Tensor | None = None) -> list[str]:
    """Character ids [N, L] (0 = padding, ignored) -> strings, single-spaced and stripped."""
    texts = []
    for row, ids_row in enumerate(ids.tolist()):
        if lengths is not None:
            ids_row = ids_row[: int(lengths[row])]
        chars = "".join(CHARACTERS[i - 1] for i in ids_row if 0 < i < CHAR_VOCAB_SIZE)
        texts.append(re.sub(" +", " ", chars).strip())
    return texts


class CharacterRepresentation(nn.Module):
    """Y' = Y for text: character ids [B, L] pass through. The ASR direct baseline's Y'."""

    trainable = False

    def __init__(self) -> None:
        super().__init__()
        self.spec = YSpec(
            kind="discrete",
            shape=(None,),
            dtype="int64",
            vocab_size=CHAR_VOCAB_SIZE,
            name=f"characters ({CHAR_VOCAB_SIZE} ids)",
        )

    def options(self) -> dict[str, object]:
        return {}

    def encode_texts(self, texts: list[str]) -> list[list[int]]:
        """Normalized transcripts -> lists of character ids."""
        return [[_CHAR_ID[c] for c in text] for text in texts]

    def encode(self, y: Tensor) -> Tensor:
        return y

    def decode(self, y_prime: Tensor) -> Tensor:
        return y_prime
