"""regen: regeneration learning, X -> Y' -> Y, measured against the direct X -> Y baseline."""

from regen.contracts import Generator, Renderer, Representation, YSpec

__all__ = ["Generator", "Renderer", "Representation", "YSpec"]
__version__ = "0.1.0"
