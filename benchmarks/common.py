"""Shared helpers of the benchmark scripts: result files, machine info, child peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from regen.report.html import machine_info

RESULTS = Path(__file__).resolve().parent / "results"


def update_results(name: str, section: str, data: dict[str, Any], summary: dict[str, Any]) -> Path:
    """Merge ``data`` under ``section`` and ``summary`` keys into ``results/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.setdefault("summary", {}).update(summary)
    results[section] = {**data, "machine": machine_info()}
    path.write_text(json.dumps(results, indent=1) + "\n")
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
