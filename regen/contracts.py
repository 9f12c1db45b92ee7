"""The three contracts of regeneration learning and the Y' spec that joins them.

    X ──Generator──▶ Y′ ──Renderer──▶ Y          (inference)
    Y ──Representation.encode──▶ Y′              (targets for the generator)
    Y′ = encode(Y) ──Renderer──▶ Y               (trained on unpaired Y)

Trainable parts are ``torch.nn.Module`` objects that also satisfy :class:`Trainable`; the one
training loop in :mod:`regen.training.loop` calls ``training_loss``, so a new model brings its
loss and nothing else. What some stages can do beyond their contract (calibrate a latent,
report codebook usage, wrap a log-mel, ...) is declared by the small capability protocols at
the end, and callers ask ``isinstance(stage, Capability)``. Contracts are Protocols: no
implementation inheritance below them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
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


@dataclass(frozen=True)
class XBatch:
    """X with the per-item conditions that travel beside its main tensor.

    ``x`` is the main input [B, ...] (phoneme ids, log-mel frames); ``speakers`` [B] are the
    TTS voices, ``lengths`` [B] the valid frames along ``x``'s last axis (ASR). They are part
    of X, so a generator's ``sample`` options are only true sampling knobs (temperature,
    steps, beam size, guidance). Indexing (``xb[a:b]``) indexes every field alike.
    """

    x: torch.Tensor
    speakers: torch.Tensor | None = None
    lengths: torch.Tensor | None = None

    @classmethod
    def of(cls, x: X) -> XBatch:
        """``x`` itself, or a plain tensor wrapped with no conditions."""
        return x if isinstance(x, XBatch) else cls(x)

    @classmethod
    def condition_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "x")

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: Any) -> XBatch:
        parts = {f.name: getattr(self, f.name) for f in fields(self)}
        return XBatch(**{k: None if v is None else v[index] for k, v in parts.items()})


X = torch.Tensor | XBatch
"""What a generator samples from: a tensor, or an :class:`XBatch` when X has conditions."""


@runtime_checkable
class Trainable(Protocol):
    """What the training loop relies on: every learned stage of every contract has it.

    ``trainable`` says whether the stage has anything to learn now (a renderer that wraps
    Griffin-Lim says no); the loop itself only calls ``training_loss``.
    """

    trainable: bool

    def training_loss(self, batch: Batch) -> LossOutput:
        """Loss on a training batch (the keys are the stage's, see its docstring)."""
        ...


@runtime_checkable
class Representation(Protocol):
    """Y <-> Y'. Explicit ones have no parameters (``trainable = False``); learned ones are
    also :class:`Trainable`."""

    spec: YSpec
    trainable: bool

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """Y batch -> Y' batch satisfying ``spec``."""
        ...

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        """Y' batch -> Y batch (a deterministic inverse or learned decoder)."""
        ...


@runtime_checkable
class Generator(Trainable, Protocol):
    """X -> Y'. ``spec`` is the Y' it produces; always learned."""

    spec: YSpec

    def training_loss(self, batch: Batch) -> LossOutput:
        """Loss on a batch with keys ``x`` (condition) and ``y_prime`` (target Y')."""
        ...

    def sample(
        self, x: X, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> torch.Tensor:
        """Y' for the conditions ``x``; ``generator`` makes sampling reproducible."""
        ...


@runtime_checkable
class Renderer(Protocol):
    """Y' -> Y, trained (when ``trainable``, then also :class:`Trainable`) on pairs made from
    unpaired Y by ``encode``."""

    spec: YSpec
    trainable: bool

    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Y' batch -> Y batch; a renderer that samples draws from ``generator``."""
        ...


# ---------------------------------------------------------------- optional capabilities


@runtime_checkable
class Adversarial(Protocol):
    """A trainable stage that also trains a discriminator (a GAN), e.g. the vocoder.

    ``adversary`` is ``None`` when the GAN is off; otherwise an object with
    ``discriminator`` (an ``nn.Module`` that is NOT a registered submodule of the stage, so
    it stays out of the stage's ``state_dict``, EMA and inference weights), ``lr`` (its AdamW
    learning rate), ``start`` (steps of warm-up without GAN) and ``active`` (set by the loop
    before each step: ``step >= start``; ``training_loss`` adds its GAN terms only then).
    The loop's GAN hook (:mod:`regen.training.gan`) runs, each active step, the
    discriminator update on ``discriminator_loss`` before the generator update.
    """

    adversary: Any

    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """Discriminator loss on a batch; generated audio is detached (no gradient to G)."""
        ...


@runtime_checkable
class Counted(Protocol):
    """A stage with state fitted by counting rather than by gradient (the lexicon renderer's
    lexicon and n-gram counts): ``fit(y_prime, y, text=...)`` sets it from (Y', Y) pairs made
    from unpaired Y, and from Y-only ``text``; the state is part of ``state_dict()`` (see
    regen/modules/table_state.py), so the stage's checkpoint holds it. Task code fits such a
    stage before (or instead of, when not ``trainable``) the loop."""

    def fit(
        self, y_prime: torch.Tensor, y: torch.Tensor, *, text: torch.Tensor | None = None
    ) -> Any: ...


@runtime_checkable
class Calibrated(Protocol):
    """A learned continuous representation whose latent is rescaled after training (as in
    latent diffusion): ``calibrate(y)`` sets the scale so ``encode(y)`` has unit variance."""

    def calibrate(self, y: torch.Tensor) -> None: ...


@runtime_checkable
class Codebook(Protocol):
    """A quantized representation: code usage and perplexity of ``encode(y)``."""

    def codebook_stats(self, y: torch.Tensor) -> dict[str, float]: ...


@runtime_checkable
class RenderLoss(Protocol):
    """A representation whose decoder can be trained on any Y' (true, predicted, noised):
    ``render_loss(y_prime, y)`` is its reconstruction objective from ``y_prime``."""

    def render_loss(self, y_prime: torch.Tensor, y: torch.Tensor) -> LossOutput: ...


@runtime_checkable
class WrapsMel(Protocol):
    """A learned speech Y' over a log-mel (VAE latent, RVQ codes): ``mel`` is the log-mel
    representation inside, ``encode_mel``/``decode_mel`` map log-mel <-> Y'."""

    mel: Representation

    def encode_mel(self, log_mel: torch.Tensor) -> torch.Tensor: ...

    def decode_mel(self, y_prime: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class HasTrunk(Protocol):
    """A FastSpeech-family TTS generator: ``trunk(ids, speakers)`` gives frame states
    [B, F, D], the frame mask [B, F] and the variance predictions (``durations`` [B, L]
    frames per phoneme among them), without decoding Y'."""

    trunk: Callable[..., tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]]


@runtime_checkable
class Symbolic(Protocol):
    """A discrete Y' whose ids name symbols (phonemes): ``symbols(rows, marks=...)``."""

    def symbols(
        self, y_prime: torch.Tensor | list[list[int]], marks: bool = False
    ) -> list[list[str]]: ...
