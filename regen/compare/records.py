"""What ``results.json`` holds of each trained pipeline: the same shape for every task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from regen.config import dump_yaml
from regen.errors import RegenError
from regen.training.loop import StageResult

RESULTS_FILE = "results.json"


def stage_records(results: list[StageResult]) -> list[dict[str, Any]]:
    """Steps, samples, seconds and final loss of each trained stage."""
    return [
        {
            "name": r.name,
            "steps": r.steps,
            "samples_seen": r.samples_seen,
            "seconds": round(r.seconds, 2),
            "final_loss": r.final_loss,
            "shared": r.shared,
        }
        for r in results
    ]


def run_record(
    label: str, what: str, cfg: Any, results: list[StageResult], metrics: dict[str, Any]
) -> dict[str, Any]:
    """One pipeline as a compare report shows it: name, recipe, metrics, stages, curves."""
    return {
        "label": label,
        "name": f"{label}: {what}",
        "recipe_name": cfg.name,
        "config_yaml": dump_yaml(cfg),
        "metrics": metrics,
        "stages": stage_records(results),
        "curves": {r.name: r.curve for r in results},
    }


def budget_statement(pipelines: list[dict[str, Any]], rule_text: str) -> str:
    """One paragraph: the rule, then what each pipeline actually trained."""
    parts = [
        f"{p['label']}: {int(p['metrics']['samples_seen']):,} samples in "
        f"{p['metrics']['train_seconds']:.0f} s ("
        + ", ".join(f"{s['name']} {s['steps']} steps" for s in p["stages"])
        + ")"
        for p in pipelines
    ]
    return f"Equal budget = {rule_text}. " + "; ".join(parts) + "."


def by_label(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pipelines of a results.json by label: ``regen``, ``direct`` (equal paired compute)
    and, when its budget differs, ``direct_total``."""
    return {p["label"]: p for p in results["pipelines"]}


def read_results(out_dir: Path) -> dict[str, Any]:
    """The results.json of a compare folder (one-line error when missing or damaged)."""
    path = Path(out_dir) / RESULTS_FILE
    if not path.is_file():
        raise RegenError(f"{out_dir} holds no {RESULTS_FILE}; run regen compare first")
    try:
        results = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegenError(f"{path} is corrupted; run regen compare again") from exc
    if not isinstance(results, dict):
        raise RegenError(f"{path} is corrupted; run regen compare again")
    return results
