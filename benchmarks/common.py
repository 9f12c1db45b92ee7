"""Shared helpers of the benchmark scripts: result files, machine info, child peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from regen.report.html import machine_info

RESULTS = Path(__file__).resolve().parent / "results"


def update_results(name: str, section: str, data: dict[str, Any], summary: dict[str, Any]) -> Path:
    """Merge ``data`` under ``section`` and ``summary`` keys into ``results/<name>.json``."""
    return update_summary(name, summary, {section: {**data, "machine": machine_info()}})


def update_summary(
    name: str, summary: dict[str, Any], sections: dict[str, Any] | None = None
) -> Path:
    """Merge ``summary`` keys into ``results/<name>.json``'s summary (and set ``sections``),
    the file's other sections untouched."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.setdefault("summary", {}).update(summary)
    results.update(sections or {})
    path.write_text(json.dumps(results, indent=1) + "\n")
    return path


def write_results(name: str, summary: dict[str, Any]) -> Path:
    """Write ``summary`` as the whole of ``results/<name>.json`` (a diagnostic's own file,
    rewritten by each run) and say where on stderr."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {path}", file=sys.stderr)
    return path


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a command to completion; return its wall seconds and peak resident memory (MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=sys.stderr)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"benchmark step failed ({proc.returncode}): {' '.join(cmd)}")
    return {"seconds": time.perf_counter() - start, "peak_rss_mib": usage.ru_maxrss / 1024}


def interleaved(
    measures: dict[str, Callable[[], float]], rounds: int, label: str
) -> dict[str, list[float]]:
    """Each measure's values over ``rounds`` rounds, every measure taken in turn within a
    round, so load that comes and goes on a shared machine falls on every measure alike."""
    values: dict[str, list[float]] = {name: [] for name in measures}
    for round_ in range(rounds):
        for name, measure in measures.items():
            values[name].append(measure())
        latest = ", ".join(f"{name} {v[-1]:.4g}" for name, v in values.items())
        print(f"{label} round {round_ + 1}/{rounds}: {latest}", file=sys.stderr, flush=True)
    return values


def view_rows(results: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """``view_equal_paired`` / ``view_equal_total``: regen against the baseline of each budget
    view of a compare's results.json, on ``keys``, with the baseline's steps."""
    metrics = {p["label"]: p["metrics"] for p in results["pipelines"]}
    rows = {}
    for view, info in results["views"].items():
        direct = metrics[info["direct"]]
        rows[f"view_{view}"] = {
            "regen": {k: metrics["regen"].get(k) for k in keys},
            "direct": {k: direct.get(k) for k in keys},
            "direct_run": info["direct"],
            "direct_generator_steps": info["direct_generator_steps"],
            "counted_stages": info["counted_stages"],
            "statement": info["statement"],
        }
    return rows


def renderer_from_true(results: dict[str, Any]) -> dict[str, Any]:
    """The pretrained renderer of a compare: its quality from the TRUE Y' against the
    non-learned floor, its data and cost (empty when the renderer was not pretrained)."""
    shared = next(iter(results["views"].values()))["shared_stages"]
    return {
        s["stage"]: {
            "quality_from_true": s.get("quality_from_true"),
            "floor": s.get("floor"),
            "data": s.get("data"),
            "steps": s["steps"],
            "seconds": round(s["seconds"], 1),
        }
        for s in shared
    }
