"""Command-line override values (``key.sub=value``) read as the user meant them.

Values are YAML, so ``[0.5, 1.0]``, ``null`` and ``true`` work. Two places where YAML 1.1 (what
PyYAML reads) disagrees with users are fixed where the recipe's types are known:

- ``1e-4``, ``1E9`` and ``-3e+2`` are strings to PyYAML (it wants ``1.0e-4``);
  :func:`float_literal` turns them into floats where the field is a float, and only there
  (``name=1e-4`` stays text).
- A value YAML cannot parse (``[0.5,``) is a one-line ConfigError that shows the item and how
  to quote it, instead of a parser traceback.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from regen.errors import ConfigError

_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_QUOTING = (
    "quote it for YAML and the shell, e.g. key='[0.5, 1.0]' for a list or key='\"text: with "
    "colon\"' for text"
)


def parse_override(item: str) -> tuple[list[str], Any]:
    """``"a.b=value"`` -> (``["a", "b"]``, the value parsed as YAML; ``""`` when empty)."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like key.sub=value")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override '{item}' has no key; write it as key.sub=value")
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(
            f"override '{item}' is not a valid value ({problem}); {_QUOTING}"
        ) from None
    return key.strip().split("."), value


def float_literal(value: Any) -> float | None:
    """The float a string such as ``"1e-4"`` spells, or None if it is not a decimal number."""
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)
    return None


def check_finite(value: float, path: str) -> float:
    """``value`` if finite; no recipe field means anything by NaN or infinity."""
    if not math.isfinite(value):
        raise ConfigError(f"'{path}' must be a finite float, got {value}")
    return value


# TrainConfig fields -> (smallest, largest) allowed; None: unbounded on that side. Beyond
# these a value is a typo, and it would fail late (a division by zero at the first log, an
# allocation of terabytes, an EMA that never moves) instead of at load time.
TRAIN_RANGES: dict[str, tuple[float | None, float | None]] = {
    "steps": (0, 10**8),
    "batch_size": (1, 2**16),
    "warmup_steps": (0, None),
    "log_every": (1, None),
    "checkpoint_every": (1, None),
    "eval_every": (0, None),
    "grad_clip": (0, None),
    "weight_decay": (0, None),
    "ema_decay": (0, 0.99999),
    "workers": (0, 64),
}


def check_train_ranges(cfg: Any, where: str) -> None:
    """Each field of :data:`TRAIN_RANGES` of the TrainConfig ``cfg`` (at ``where``) in range."""
    for name, (low, high) in TRAIN_RANGES.items():
        value = getattr(cfg, name)
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise ConfigError(f"'{where}.{name}' is {value}; use a value {span}")
