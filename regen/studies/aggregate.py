"""Seed statistics of study records: mean, standard deviation and count per point."""

from __future__ import annotations

import math
import statistics
from typing import Any


def mean_std(values: list[float]) -> tuple[float, float]:
    """(mean, sample standard deviation) of the finite ``values``; std 0 for one value."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return math.nan, math.nan
    return statistics.fmean(finite), statistics.stdev(finite) if len(finite) > 1 else 0.0


def by_point(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records grouped by point key, in first-seen order (one record per seed)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["key"], []).append(record)
    return groups


def stat(records: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """``{"mean", "std", "n", "seeds": {seed: value}}`` of ``metric`` over one point's seeds."""
    values = {r["seed"]: r["metrics"].get(metric) for r in records}
    mean, std = mean_std(list(values.values()))
    return {"mean": mean, "std": std, "n": len(values), "seeds": values}


def point_stats(records: list[dict[str, Any]], metrics: list[str]) -> list[dict[str, Any]]:
    """One row per point: its params and ``stat`` of each metric that it reports."""
    rows = []
    for group in by_point(records).values():
        present = [m for m in metrics if any(m in r["metrics"] for r in group)]
        rows.append({"params": group[0]["params"]} | {m: stat(group, m) for m in present})
    return rows
