"""The three contracts of regeneration learning and the Y' spec that joins them.

    X ──Generator──▶ Y′ ──Renderer──▶ Y          (inference)
    Y ──Representation.encode──▶ Y′              (targets for the generator)
    Y′ = encode(Y) ──Renderer──▶ Y               (trained on unpaired Y)

Trainable parts are ``torch.nn.Module`` objects that also expose ``training_loss``; the one
training loop in :mod:`regen.training.loop` calls it, so a new model brings its loss and
nothing else. Contracts are Protocols: no implementation inheritance below them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import torch

from regen.errors import SpecMismatchError

Batch = dict[str, torch.Tensor]
"""A training batch: ``y`` (target data), ``x`` (condition), ``y_prime`` (representation)."""

LossOutput = tuple[torch.Tensor, dict[str, float]]
"""A scalar loss to minimise and the floats to log beside it."""


@dataclass(frozen=True)
class YSpec:
    """What Y' is. Two stages may be joined only when their specs are equal.

    Attributes:
        kind: ``"continuous"`` (real-valued tensor) or ``"discrete"`` (integer token ids).
        shape: shape of one item, without the batch axis; ``None`` marks a variable axis.
        dtype: ``"float32"`` or ``"int64"``.
        vocab_size: number of token ids for discrete Y' (ids lie in ``[0, vocab_size)``).
        value_range: expected (min, max) for continuous Y', or ``None`` when unbounded.
        downsampling: how many Y samples one Y' position covers along each spatial/time axis.
        name: human name shown in errors and reports, e.g. ``"vae latent 4x8x8"``.
    """

    kind: Literal["continuous", "discrete"]
    shape: tuple[int | None, ...]
    dtype: str = "float32"
    vocab_size: int | None = None
    value_range: tuple[float, float] | None = None
    downsampling: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("continuous", "discrete"):
            raise ValueError(f"YSpec.kind must be 'continuous' or 'discrete', got {self.kind!r}")
        if self.kind == "discrete" and not self.vocab_size:
            raise ValueError("a discrete YSpec needs vocab_size")

    def describe(self) -> str:
        dims = "x".join("?" if d is None else str(d) for d in self.shape)
        extra = f", vocab {self.vocab_size}" if self.kind == "discrete" else ""
        label = f"{self.name}: " if self.name else ""
        return f"{label}{self.kind} {self.dtype} [{dims}]{extra}, downsampling {self.downsampling}"

    def equal_to(self, other: YSpec) -> bool:
        """Equality that ignores the human name."""
        return (
            self.kind == other.kind
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.vocab_size == other.vocab_size
            and self.downsampling == other.downsampling
        )

    def require_match(self, other: YSpec, mine: str, theirs: str) -> None:
        """Raise a SpecMismatchError naming both sides unless ``other`` describes the same Y'."""
        if not self.equal_to(other):
            raise SpecMismatchError(
                f"Y' spec mismatch: {mine} gives {self.describe()} but {theirs} expects "
                f"{other.describe()}; make the two stages agree (same representation config)"
            )

    def check(self, tensor: torch.Tensor, where: str) -> None:
        """Raise a SpecMismatchError if a batch of Y' does not satisfy this spec."""
        problem = self._problem(tensor)
        if problem:
            raise SpecMismatchError(f"{where} produced Y' that breaks {self.describe()}: {problem}")

    def _problem(self, tensor: torch.Tensor) -> str:
        if not isinstance(tensor, torch.Tensor):
            return f"expected a torch.Tensor, got {type(tensor).__name__}"
        if str(tensor.dtype).removeprefix("torch.") != self.dtype:
            return f"dtype {tensor.dtype}"
        item_shape = tuple(tensor.shape[1:])
        if len(item_shape) != len(self.shape) or any(
            want is not None and want != got for want, got in zip(self.shape, item_shape)
        ):
            return f"item shape {list(item_shape)}"
        if self.kind == "discrete" and tensor.numel():
            low, high = int(tensor.min()), int(tensor.max())
            if low < 0 or high >= self.vocab_size:
                return f"token ids in [{low}, {high}] outside [0, {self.vocab_size})"
        if self.kind == "continuous" and tensor.numel() and not torch.isfinite(tensor).all():
            return "non-finite values"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "vocab_size": self.vocab_size,
            "value_range": list(self.value_range) if self.value_range else None,
            "downsampling": self.downsampling,
            "name": self.name,
        }


@runtime_checkable
class Representation(Protocol):
    """Y <-> Y'. Explicit ones have no parameters (``trainable = False``)."""

    spec: YSpec
    trainable: bool

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """Y batch -> Y' batch satisfying ``spec``."""
        ...

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        """Y' batch -> Y batch (a deterministic inverse or learned decoder)."""
        ...


@runtime_checkable
class Generator(Protocol):
    """X -> Y'. ``spec`` is the Y' it produces."""

    spec: YSpec

    def training_loss(self, batch: Batch) -> LossOutput:
        """Loss on a batch with keys ``x`` (condition) and ``y_prime`` (target Y')."""
        ...

    def sample(
        self, x: torch.Tensor, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> torch.Tensor:
        """Y' for the conditions ``x``; ``generator`` makes sampling reproducible."""
        ...


@runtime_checkable
class Renderer(Protocol):
    """Y' -> Y, trained (when ``trainable``) on pairs made from unpaired Y by ``encode``."""

    spec: YSpec
    trainable: bool

    def render(self, y_prime: torch.Tensor) -> torch.Tensor:
        """Y' batch -> Y batch."""
        ...


@dataclass
class StageInfo:
    """What a pipeline records about one trained stage (for reports)."""

    name: str
    steps: int = 0
    samples_seen: int = 0
    seconds: float = 0.0
    final_loss: float | None = None
    extra: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Adversarial(Protocol):
    """A trainable stage that also trains a discriminator (a GAN), e.g. the vocoder.

    ``adversary`` is ``None`` when the GAN is off; otherwise an object with
    ``discriminator`` (an ``nn.Module`` that is NOT a registered submodule of the stage, so
    it stays out of the stage's ``state_dict``, EMA and inference weights), ``lr`` (its AdamW
    learning rate), ``start`` (steps of warm-up without GAN) and ``active`` (set by the loop
    before each step: ``step >= start``; ``training_loss`` adds its GAN terms only then).
    :func:`regen.training.loop.train_stage` runs, each active step, the discriminator update
    on ``discriminator_loss`` and then the generator update on ``training_loss``.
    """

    adversary: Any

    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """Discriminator loss on a batch; generated audio is detached (no gradient to G)."""
        ...
