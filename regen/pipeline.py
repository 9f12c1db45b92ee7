"""Pipeline: Representation + Generator + Renderer, joined at a checked Y' spec.

    X ──generator──▶ Y′ ──renderer──▶ Y

``Pipeline.direct(generator)`` is the baseline: the identity representation built from the
generator's own spec, so Y' = Y and the generator does all the work. Nothing here knows a
modality; tasks build pipelines, :mod:`regen.runs` saves and loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regen.contracts import Generator, Renderer, Representation, X, XBatch, YSpec
from regen.errors import SpecMismatchError
from regen.renderers.identity import IdentityRenderer
from regen.representations.identity import IdentityRepresentation

STAGES = ("representation", "generator", "renderer")


class Pipeline:
    """A runnable X -> Y' -> Y generator.

    The spec is checked when the pipeline is built (generator output vs representation vs
    renderer input) and again on every batch that crosses a stage boundary.
    """

    def __init__(
        self,
        representation: Representation,
        generator: Generator,
        renderer: Renderer,
        *,
        conditioner: Any | None = None,
        name: str = "pipeline",
    ) -> None:
        for part, contract in (
            (representation, Representation),
            (generator, Generator),
            (renderer, Renderer),
        ):
            if not isinstance(part, contract):
                raise SpecMismatchError(
                    f"{type(part).__name__} does not satisfy the {contract.__name__} contract "
                    "(see regen/contracts.py for the methods it needs)"
                )
        generator.spec.require_match(representation.spec, "the generator", "the representation")
        representation.spec.require_match(renderer.spec, "the representation", "the renderer")
        self.representation = representation
        self.generator = generator
        self.renderer = renderer
        self.conditioner = conditioner
        self.name = name

    @classmethod
    def direct(cls, generator: Generator, **kwargs: Any) -> Pipeline:
        """The X -> Y baseline: identity representation and renderer around ``generator``,
        whose spec then describes Y itself (pixels, waveform, characters, melody tokens)."""
        representation = IdentityRepresentation(generator.spec)
        return cls(representation, generator, IdentityRenderer(generator.spec), **kwargs)

    @property
    def spec(self) -> YSpec:
        return self.representation.spec

    @property
    def is_direct(self) -> bool:
        """True for the baseline of every task (built by :meth:`direct`)."""
        return isinstance(self.representation, IdentityRepresentation)

    @torch.no_grad()
    def encode(self, y: torch.Tensor) -> torch.Tensor:
        y_prime = self.representation.encode(y)
        self.spec.check(y_prime, type(self.representation).__name__ + ".encode")
        return y_prime

    @torch.no_grad()
    def generate(
        self, x: X, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> torch.Tensor:
        """X -> Y' (checked against the spec before anything renders it).

        ``x`` is a tensor or an :class:`XBatch` (X with its speakers or lengths); ``sampling``
        holds only sampling knobs, which generators may ignore, so a condition passed there
        would be silently dropped: it is refused.
        """
        misplaced = sorted(set(sampling) & set(XBatch.condition_names()))
        if misplaced:
            raise TypeError(
                f"{', '.join(misplaced)} is part of X, not a sampling option: pass "
                f"XBatch(x, {misplaced[0]}=...) to generate"
            )
        y_prime = self.generator.sample(x, generator=generator, **sampling)
        self.spec.check(y_prime, type(self.generator).__name__ + ".sample")
        return y_prime

    @torch.no_grad()
    def render(
        self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Y' -> Y; a renderer that samples (template-to-melody) draws from ``generator``."""
        self.spec.check(y_prime, "the input of " + type(self.renderer).__name__)
        return self.renderer.render(y_prime, generator=generator)

    @torch.no_grad()
    def sample(
        self,
        x: X | list[str],
        *,
        seed: int | None = 0,
        batch_size: int = 256,
        on_batch: Callable[[int], None] | None = None,
        **sampling: Any,
    ) -> torch.Tensor:
        """Y for conditions ``x``: tensors (or an XBatch), or class names / captions via the
        conditioner.

        The same seed and inputs give the same samples. Returns float images in [-1, 1].
        ``on_batch(n)`` is called after each batch of ``n`` samples (progress bars).
        """
        if isinstance(x, list | tuple):
            if self.conditioner is None:
                raise SpecMismatchError("this pipeline has no conditioner; pass X as a tensor")
            x = self.conditioner.encode(list(x))
        rng = torch.Generator().manual_seed(seed) if seed is not None else None
        outputs = []
        for start in range(0, len(x), batch_size):
            chunk = x[start : start + batch_size]
            y_prime = self.generate(chunk, generator=rng, **sampling)
            outputs.append(self.render(y_prime, generator=rng))
            if on_batch is not None:
                on_batch(len(chunk))
        return torch.cat(outputs).clamp(-1, 1)

    def modules(self) -> dict[str, nn.Module]:
        return {
            stage: part
            for stage, part in zip(STAGES, (self.representation, self.generator, self.renderer))
            if isinstance(part, nn.Module)
        }

    def eval(self) -> Pipeline:
        for module in self.modules().values():
            module.eval()
        return self
