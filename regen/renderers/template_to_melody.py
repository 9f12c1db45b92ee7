"""Y' -> Y for music: a transformer that writes pitches into a template, trained on melodies
without lyrics (TeleMelody's template-to-melody model).

The template fixes rhythm, meter, key and phrase ends; the renderer chooses one pitch per
note. With ``constrained`` decoding (the default), each step may only pick pitches that

- lie in the voice's range (``renderer.low``..``renderer.high``, MIDI) and in the key's scale
  (harmonic minor's raised 7th allowed),
- lie in the template's register band and move the template's way (up, down, same) from the
  previous note, when the template gives them,
- are the tonic at an authentic cadence, and not the tonic at a half cadence,
- are tones of the template's chord on a beat (strength 0 or 1),
- leap at most an octave from the previous note;

in that order of priority: a rule that would leave no pitch at all is skipped. Register and
contour come before the cadence and chord rules because they are read off the melody itself,
while the chord-tone rule is a tendency the real chorales break on about one beat in ten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from regen.contracts import LossOutput
from regen.modules.aligned import AlignedTransformer
from regen.modules.music_tables import (
    PITCH,
    T_CADENCE,
    T_CHORD,
    T_CONTOUR,
    T_DUR,
    T_KEY,
    T_REGISTER,
    T_STRENGTH,
    TEMPLATE_SIZES,
    TEMPLATE_SPEC,
    register_pitches,
    valid_mask,
)
from regen.modules.music_theory import scale_masks, triad_masks
from regen.representations.music_template import melody_from_template

if TYPE_CHECKING:  # the recipe section that configures this model; a type only, so the
    # model does not import its task (any object with these fields will do)
    from regen.tasks.melody.config import MelodyRendererConfig


def template_pitch_mask(
    step: Tensor, previous: Tensor | None, low: int = 48, high: int = 84
) -> Tensor:
    """Allowed MIDI pitches [B, 128] for one template row per item ``step`` [B, 10].

    ``previous`` [B] is the pitch before (None for the first note); ``low``..``high`` is the
    range the melody must stay in (MIDI numbers, inclusive).
    """
    pitches = torch.arange(128)
    pc = pitches % 12
    keys = step[:, T_KEY]
    in_range = ((pitches >= low) & (pitches <= high))[None].expand(len(step), -1)
    rules = [in_range, scale_masks()[keys][:, pc]]
    band = step[:, T_REGISTER]
    band_low, band_high = register_pitches(band, keys)
    in_band = (pitches[None] >= band_low[:, None]) & (pitches[None] <= band_high[:, None])
    rules.append(torch.where(band[:, None] > 0, in_band, True))
    if previous is not None:
        move = step[:, T_CONTOUR][:, None]
        diff = pitches[None] - previous[:, None]
        follows = torch.where(move == 1, diff > 0, torch.where(move == 2, diff < 0, diff == 0))
        rules.append(torch.where(move > 0, follows, True))
    tonic = pc[None] == (keys % 12)[:, None]
    cadence = step[:, T_CADENCE][:, None]
    rules.append(torch.where(cadence == 2, tonic, torch.where(cadence == 1, ~tonic, True)))
    chord_tones = triad_masks()[keys, step[:, T_CHORD]][:, pc]
    strong = (step[:, T_STRENGTH] <= 1) & chord_tones.any(-1)
    rules.append(torch.where(strong[:, None], chord_tones, True))
    if previous is not None:
        rules.append((pitches[None] - previous[:, None]).abs() <= 12)
    allowed = rules[0]
    for rule in rules[1:]:
        tighter = allowed & rule
        allowed = torch.where(tighter.any(-1, keepdim=True), tighter, allowed)
    return allowed


class TemplateToMelody(nn.Module):
    """Template [B, T, 10] -> melody table [B, T, 8] (one pitch per template note)."""

    trainable = True

    def __init__(self, cfg: MelodyRendererConfig, max_len: int) -> None:
        super().__init__()
        self.spec = TEMPLATE_SPEC
        self.cfg = cfg
        self.model = AlignedTransformer(
            TEMPLATE_SIZES,
            [128],
            hidden=cfg.hidden,
            depth=cfg.depth,
            heads=cfg.heads,
            dropout=cfg.dropout,
            max_len=max_len,
        )

    def training_loss(self, batch: dict[str, Tensor]) -> LossOutput:
        """Pitch cross-entropy on pairs (``y_prime`` = encode(``y``), ``y``) of melodies."""
        template, melody = batch["y_prime"], batch["y"]
        return self.model.loss(
            template, melody[..., PITCH : PITCH + 1], valid_mask(template, T_DUR)
        )

    @torch.no_grad()
    def render(
        self, y_prime: Tensor, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> Tensor:
        valid = valid_mask(y_prime, T_DUR)

        def mask_fn(step: int, out: Tensor) -> list[Tensor | None]:
            if not self.cfg.constrained:
                return [None]
            previous = out[:, step - 1, 0] if step else None
            return [template_pitch_mask(y_prime[:, step], previous, self.cfg.low, self.cfg.high)]

        pitch = self.model.sample(
            y_prime,
            valid,
            mask_fn=mask_fn,
            generator=generator,
            temperature=sampling.get("temperature", self.cfg.temperature),
            top_k=sampling.get("top_k", self.cfg.top_k),
            top_p=sampling.get("top_p", self.cfg.top_p),
        )
        return melody_from_template(y_prime, pitch[..., 0])
