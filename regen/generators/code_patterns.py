"""How multi-codebook codes [B, Q, F] are laid out as steps for a language model (MusicGen).

A pattern places every code (level q, frame t) at one step s and slot j; the model emits all
slots of a step at once. Steps that reach outside the frames hold the padding id.

- :class:`DelayPattern` (MusicGen's default): level q is shifted right by q steps, so one
  step emits Q codes, the coarse code of frame t together with level 1 of frame t - 1, level
  2 of t - 2, ...; each code is predicted after the coarser codes of its own frame. F + Q - 1
  steps for F frames: about one step per frame.
- :class:`FlattenPattern`: every code its own step, frame-major (t0q0, t0q1, ..., t1q0, ...):
  exact autoregression over levels, Q times as many steps (the ablation).

``layout(frames)`` gives per step and slot the level and frame (-1: padding); ``build`` and
``undo`` map codes to the step grid [B, S, J] and back. Both are pure index arithmetic.
"""

from __future__ import annotations

import torch


class DelayPattern:
    """Level q delayed by q steps: S = F + Q - 1 steps of Q slots."""

    name = "delay"

    def __init__(self, levels: int) -> None:
        self.levels = levels
        self.slots = levels

    def steps(self, frames: int) -> int:
        return frames + self.levels - 1 if frames else 0

    def layout(self, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(level [S, J], frame [S, J]); frame is -1 where the slot is padding."""
        steps = torch.arange(self.steps(frames))[:, None]
        level = torch.arange(self.levels)[None].expand(len(steps), -1)
        frame = steps - level
        frame = torch.where((frame >= 0) & (frame < frames), frame, -1)
        return level.contiguous(), frame

    def build(self, codes: torch.Tensor, pad: int) -> torch.Tensor:
        """Codes [B, Q, F] -> steps [B, S, J] with ``pad`` in the padding slots."""
        return _gather(codes, *self.layout(codes.shape[-1]), pad)

    def undo(self, steps: torch.Tensor, frames: int) -> torch.Tensor:
        """Steps [B, S, J] -> codes [B, Q, F] (the inverse of :meth:`build`)."""
        return _scatter(steps, *self.layout(frames), self.levels, frames)


class FlattenPattern:
    """One code per step, frame-major: S = F * Q steps of 1 slot."""

    name = "flatten"

    def __init__(self, levels: int) -> None:
        self.levels = levels
        self.slots = 1

    def steps(self, frames: int) -> int:
        return frames * self.levels

    def layout(self, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        steps = torch.arange(self.steps(frames))[:, None]
        return steps % self.levels, steps // self.levels

    def build(self, codes: torch.Tensor, pad: int) -> torch.Tensor:
        return _gather(codes, *self.layout(codes.shape[-1]), pad)

    def undo(self, steps: torch.Tensor, frames: int) -> torch.Tensor:
        return _scatter(steps, *self.layout(frames), self.levels, frames)


PATTERNS = {"delay": DelayPattern, "flatten": FlattenPattern}


def _gather(codes: torch.Tensor, level: torch.Tensor, frame: torch.Tensor, pad: int):
    level, frame = level.to(codes.device), frame.to(codes.device)
    picked = codes[:, level, frame.clamp_min(0)]  # [B, S, J]
    return torch.where(frame >= 0, picked, torch.full_like(picked, pad))


def _scatter(
    steps: torch.Tensor, level: torch.Tensor, frame: torch.Tensor, levels: int, frames: int
) -> torch.Tensor:
    level, frame = level.to(steps.device), frame.to(steps.device)
    keep = frame >= 0
    codes = steps.new_zeros(steps.shape[0], levels, frames)
    codes[:, level[keep], frame[keep]] = steps[:, keep]
    return codes
