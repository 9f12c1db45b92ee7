"""Held-out splits that depend only on item names: the same on every machine and every run."""

from __future__ import annotations

import hashlib

SPLIT_SEED = "regen-split-v1"  # changing it reshuffles every held-out set; keep it fixed


def held_out_groups(groups: list[str], holdout_fraction: float) -> set[str]:
    """The groups of the test split: ``round(fraction * n_groups)`` of them, at least one.

    Groups are ranked by a salted SHA-256 of their name, so the choice is the same on every
    machine and adding a group (a newly installed font) moves few others between splits.
    """
    unique = sorted(set(groups))
    if holdout_fraction <= 0 or len(unique) < 2:
        return set()
    count = min(max(1, round(holdout_fraction * len(unique))), len(unique) - 1)
    ranked = sorted(unique, key=lambda g: hashlib.sha256(f"{SPLIT_SEED}:{g}".encode()).digest())
    return set(ranked[:count])
