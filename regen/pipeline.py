"""Pipeline: Representation + Generator + Renderer, joined at a checked Y' spec.

    X ──generator──▶ Y′ ──renderer──▶ Y

``Pipeline.direct(generator, image_shape)`` is the baseline: the identity representation,
so Y' = Y and the generator does all the work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from regen.contracts import Generator, Renderer, Representation, YSpec
from regen.errors import CheckpointError, SpecMismatchError

STAGES = ("representation", "generator", "renderer")
META_FILE = "pipeline.json"


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
    def direct(cls, generator: Generator, image_shape: tuple[int, ...], **kwargs: Any) -> Pipeline:
        """The X -> Y baseline: identity representation and renderer around ``generator``."""
        from regen.renderers.identity import IdentityRenderer
        from regen.representations.identity import IdentityRepresentation

        representation = IdentityRepresentation(tuple(image_shape))
        return cls(representation, generator, IdentityRenderer(representation.spec), **kwargs)

    @property
    def spec(self) -> YSpec:
        return self.representation.spec

    @property
    def is_direct(self) -> bool:
        from regen.representations.identity import IdentityRepresentation

        return isinstance(self.representation, IdentityRepresentation)

    @torch.no_grad()
    def encode(self, y: torch.Tensor) -> torch.Tensor:
        y_prime = self.representation.encode(y)
        self.spec.check(y_prime, type(self.representation).__name__ + ".encode")
        return y_prime

    @torch.no_grad()
    def generate(
        self, x: torch.Tensor, *, generator: torch.Generator | None = None, **sampling: Any
    ) -> torch.Tensor:
        """X -> Y' (checked against the spec before anything renders it)."""
        y_prime = self.generator.sample(x, generator=generator, **sampling)
        self.spec.check(y_prime, type(self.generator).__name__ + ".sample")
        return y_prime

    @torch.no_grad()
    def render(self, y_prime: torch.Tensor) -> torch.Tensor:
        self.spec.check(y_prime, "the input of " + type(self.renderer).__name__)
        return self.renderer.render(y_prime)

    @torch.no_grad()
    def sample(
        self,
        x: torch.Tensor | list[str],
        *,
        seed: int | None = 0,
        batch_size: int = 256,
        **sampling: Any,
    ) -> torch.Tensor:
        """Y for conditions ``x``: tensors, or class names / captions via the conditioner.

        The same seed and inputs give the same samples. Returns float images in [-1, 1].
        """
        if isinstance(x, list | tuple):
            if self.conditioner is None:
                raise SpecMismatchError("this pipeline has no conditioner; pass X as a tensor")
            x = self.conditioner.encode(list(x))
        rng = torch.Generator().manual_seed(seed) if seed is not None else None
        outputs = []
        for start in range(0, len(x), batch_size):
            chunk = x[start : start + batch_size]
            outputs.append(self.render(self.generate(chunk, generator=rng, **sampling)))
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

    @classmethod
    def load(cls, folder: str | Path) -> Pipeline:
        """Load a pipeline trained by ``regen train`` (the folder holding ``pipeline.json``)."""
        from regen.builders import build_pipeline_from_run

        return build_pipeline_from_run(Path(folder))


def read_meta(folder: Path) -> dict[str, Any]:
    path = Path(folder) / META_FILE
    if not path.is_file():
        raise CheckpointError(
            f"no trained pipeline in {folder} (missing {META_FILE}); "
            "train one first with: regen train <recipe>"
        )
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is corrupted; train the pipeline again") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path} is corrupted; train the pipeline again")
    return meta
