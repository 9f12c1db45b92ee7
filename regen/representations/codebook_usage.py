"""Per-level codebook usage of residual-VQ codes, and the warning when a level collapses.

A level has collapsed when its codes stop carrying information: few distinct codes occur
(``usage``, the share of the codebook seen) or one code dominates (``perplexity``, exp of the
entropy of the empirical code distribution, 1 when a single code is used). Training then
wastes that level's bits, and a generator over the codes learns a constant. The thresholds
are deliberately loose: a healthy codec on real audio sits far above both.
"""

from __future__ import annotations

import warnings

import torch

from regen.representations.quantized import code_usage

MIN_USAGE = 0.05  # share of the codebook that must occur in a level
MIN_PERPLEXITY = 2.0  # effective number of codes a level must use


class CodebookCollapseWarning(UserWarning):
    """A codebook level uses (almost) a single code."""


def level_usage(ids: torch.Tensor, vocab_size: int) -> dict[str, float]:
    """``usage_level{q}``, ``perplexity_level{q}`` and their means over levels, for ids
    int64 [N, Q, F] in ``[0, vocab_size)`` (entries of -1, dropped levels, are skipped)."""
    stats: dict[str, float] = {}
    levels = ids.transpose(0, 1).flatten(1)  # [Q, N * F]
    for q, level in enumerate(levels):
        used, perplexity = code_usage(level[level >= 0], vocab_size)
        stats[f"usage_level{q}"], stats[f"perplexity_level{q}"] = used, perplexity
    stats["usage"] = sum(stats[f"usage_level{q}"] for q in range(len(levels))) / len(levels)
    stats["perplexity"] = sum(stats[f"perplexity_level{q}"] for q in range(len(levels))) / len(
        levels
    )
    return stats


def collapsed_levels(
    stats: dict[str, float], min_usage: float = MIN_USAGE, min_perplexity: float = MIN_PERPLEXITY
) -> list[int]:
    """The levels of :func:`level_usage` stats below either threshold."""
    levels = sum(key.startswith("usage_level") for key in stats)
    return [
        q
        for q in range(levels)
        if stats[f"usage_level{q}"] < min_usage or stats[f"perplexity_level{q}"] < min_perplexity
    ]


def collapse_message(stats: dict[str, float], where: str) -> str | None:
    """What :func:`warn_if_collapsed` says about ``stats``, or None when no level collapsed."""
    collapsed = collapsed_levels(stats)
    if not collapsed:
        return None
    detail = ", ".join(
        f"level {q}: {stats[f'usage_level{q}']:.1%} of codes, "
        f"perplexity {stats[f'perplexity_level{q}']:.2f}"
        for q in collapsed
    )
    return (
        f"{where}: codebook usage collapsed ({detail}); train the codec longer, lower "
        "representation.codebook_size or enable kmeans_init / dead-code restart"
    )


def warn_if_collapsed(stats: dict[str, float], where: str) -> list[int]:
    """Issue a :class:`CodebookCollapseWarning` naming the collapsed levels; returns them."""
    message = collapse_message(stats, where)
    if message is not None:
        warnings.warn(message, CodebookCollapseWarning, stacklevel=2)
    return collapsed_levels(stats)
