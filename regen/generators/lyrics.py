"""X -> Y' for lyrics: syllable features in, one row per syllable out (template or melody).

The condition X is int64 [B, T, 7] per syllable (``CONDITION_COLUMNS``): stress + 1 (0 marks
padding), word position, punctuation after it, and the asked key, bar length, beat length
and start position in the bar (the same on every row). One generator class serves both
pipelines, with the same network and budget:

- regen: lyrics -> music template, predicting chord, cadence, duration, contour and register
  per syllable (a template without contour or register has them all 0: learnt at once);
- direct: lyrics -> melody tokens, predicting pitch and duration per syllable.

Bar positions are not predicted: they follow from the start and the durations so far and
are fed back to each decoder step, so the rhythm always fits the meter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from regen.contracts import LossOutput
from regen.data.lyrics import Syllable
from regen.modules.aligned import AlignedTransformer
from regen.modules.music_tables import (
    BAR,
    BEAT,
    DUR,
    KEY,
    MAX_BAR,
    MELODY_COLUMNS,
    MELODY_SIZES,
    MELODY_SPEC,
    PHRASE,
    PITCH,
    POS,
    T_BAR,
    T_BEAT,
    T_CADENCE,
    T_CHORD,
    T_CONTOUR,
    T_DUR,
    T_KEY,
    T_POS,
    T_REGISTER,
    T_STRENGTH,
    TEMPLATE_COLUMNS,
    TEMPLATE_SIZES,
    TEMPLATE_SPEC,
    metrical_strength,
)
from regen.modules.music_theory import NO_CHORD, NUM_KEYS

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.melody.config import SequenceModelConfig

CONDITION_COLUMNS = ("stress", "word_position", "punctuation", "key", "bar", "beat", "start")
C_STRESS, C_WORD, C_PUNCT, C_KEY, C_BAR, C_BEAT, C_START = range(len(CONDITION_COLUMNS))
CONDITION_SIZES = (4, 4, 3, NUM_KEYS, MAX_BAR + 1, MAX_BAR + 1, MAX_BAR)

# target -> (spec, predicted columns, position column, duration column)
TARGETS = {
    "template": (
        TEMPLATE_SPEC,
        (T_CHORD, T_CADENCE, T_DUR, T_CONTOUR, T_REGISTER),
        T_POS,
        T_DUR,
        TEMPLATE_SIZES,
    ),
    "melody": (MELODY_SPEC, (PITCH, DUR), POS, DUR, MELODY_SIZES),
}


def condition_from_data(syllables: Tensor, melodies: Tensor, lengths: Tensor) -> Tensor:
    """X for scored segments: their syllables, and key/meter/start of the real melody.

    Args:
        syllables: int64 [B, T, 3]; melodies: int64 [B, T, 8]; lengths: int64 [B].
    """
    valid = torch.arange(syllables.shape[1])[None] < lengths[:, None]
    x = torch.zeros(*syllables.shape[:2], len(CONDITION_COLUMNS), dtype=torch.long)
    x[..., C_STRESS] = syllables[..., 0] + 1
    x[..., C_WORD] = syllables[..., 1]
    x[..., C_PUNCT] = syllables[..., 2]
    x[..., C_KEY] = melodies[..., KEY]
    x[..., C_BAR] = melodies[..., BAR]
    x[..., C_BEAT] = melodies[..., BEAT]
    x[..., C_START] = melodies[:, :1, POS]
    return x * valid[..., None]


def condition_from_lyrics(
    syllables: list[Syllable], key: int, bar: int = 16, beat: int = 4, start: int = 0
) -> Tensor:
    """X [1, T, 7] for free lyrics (from :func:`regen.data.lyrics.syllabify`)."""
    feats = torch.tensor([s.features() for s in syllables], dtype=torch.long)[None]
    meta = torch.zeros(1, len(syllables), 8, dtype=torch.long)
    meta[..., KEY], meta[..., BAR], meta[..., BEAT], meta[..., POS] = key, bar, beat, start
    return condition_from_data(feats, meta, torch.tensor([len(syllables)]))


class LyricsGenerator(nn.Module):
    """Lyrics X [B, T, 7] -> ``target`` table ("template" [B, T, 10] or "melody" [B, T, 8])."""

    trainable = True

    def __init__(self, target: str, cfg: SequenceModelConfig, max_len: int) -> None:
        super().__init__()
        self.target = target
        self.spec, self.predicted, self.pos_col, self.dur_col, sizes = TARGETS[target]
        self.durations = sizes[self.dur_col]
        self.cfg = cfg
        self.model = AlignedTransformer(
            CONDITION_SIZES,
            [sizes[c] for c in self.predicted],
            hidden=cfg.hidden,
            depth=cfg.depth,
            heads=cfg.heads,
            dropout=cfg.dropout,
            max_len=max_len,
            position_size=MAX_BAR,
        )

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        x, y_prime = batch["x"], batch["y_prime"]
        valid = x[..., C_STRESS] > 0
        targets = y_prime[..., list(self.predicted)]
        return self.model.loss(x, targets, valid, y_prime[..., self.pos_col])

    @torch.no_grad()
    def sample(
        self, x: Tensor, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> Tensor:
        """The ``target`` table int64 for conditions ``x`` (padding rows zero)."""
        valid = x[..., C_STRESS] > 0
        dur_field = self.predicted.index(self.dur_col)
        positions = torch.zeros(x.shape[:2], dtype=torch.long)
        bar = x[:, 0, C_BAR].clamp(min=1)

        def position_fn(step: int, out: Tensor) -> Tensor:
            if step == 0:
                positions[:, 0] = x[:, 0, C_START]
            else:
                positions[:, step] = (positions[:, step - 1] + out[:, step - 1, dur_field]) % bar
            return positions[:, step]

        def mask_fn(step: int, out: Tensor) -> list[Tensor | None]:
            masks: list[Tensor | None] = [None] * len(self.predicted)
            durations = torch.ones(len(x), self.durations, dtype=torch.bool)
            durations[:, 0] = False  # duration 0 marks padding
            masks[dur_field] = durations
            return masks

        options = {
            "temperature": sampling.get("temperature", self.cfg.temperature),
            "top_k": sampling.get("top_k", self.cfg.top_k),
            "top_p": sampling.get("top_p", self.cfg.top_p),
        }
        out = self.model.sample(
            x, valid, mask_fn=mask_fn, position_fn=position_fn, generator=generator, **options
        )
        return self._table(x, out, positions, valid)

    def _table(self, x: Tensor, out: Tensor, positions: Tensor, valid: Tensor) -> Tensor:
        width = len(TEMPLATE_COLUMNS) if self.target == "template" else len(MELODY_COLUMNS)
        table = torch.zeros(*x.shape[:2], width, dtype=torch.long)
        for field, column in enumerate(self.predicted):
            table[..., column] = out[..., field]
        beat = x[..., C_BEAT]
        if self.target == "template":
            table[..., T_KEY] = x[..., C_KEY]
            table[..., T_POS] = positions
            table[..., T_STRENGTH] = metrical_strength(positions, beat)
            table[..., T_BAR], table[..., T_BEAT] = x[..., C_BAR], beat
        else:
            table[..., POS] = positions
            table[..., BAR], table[..., BEAT], table[..., KEY] = x[..., C_BAR], beat, x[..., C_KEY]
            table[..., 6] = NO_CHORD
            last = torch.arange(x.shape[1])[None] == valid.sum(1, keepdim=True) - 1
            table[..., PHRASE] = ((x[..., C_PUNCT] > 0) | last).long()
        return table * valid[..., None]
