"""The one ``regen compare``: a regeneration recipe against its direct baseline.

    1. load the recipe and the baseline its ``baseline:`` line names (same overrides)
    2. load the task's data once
    3. train the regeneration pipeline (a pretrained renderer comes from the asset cache)
    4. set the baseline's generator steps by the recipe's budget rule (regen.compare.budget)
       in two views: equal paired compute (``direct``) and equal total compute, the
       pretrained renderer's training included (``direct_total``, trained only when a
       pretrained stage makes the two budgets differ)
    5. train the baseline(s)
    6. evaluate all on the same held-out data with the same metrics
    7. write results.json (metric notes inside), then the task's report reads only that file

A task plugs in with a module of hooks (``Task.compare``):

    METRIC_NOTES: dict[str, str]                     what each metric means, which way is better
    learned_stages(config) -> [stage]                stages that count in the budget
    load_data(config) -> data                        train and held-out data, loaded once
    train(config, run_dir, *, data, resume, progress) -> (pipeline, [StageResult])
    probe_step_seconds(direct_config, data) -> float one baseline generator step, timed
    describe(label, pipeline, config) -> str         short name for tables
    evaluate(runs, data, config, out_dir, progress, *, resume) -> (metrics per label, extra)
    write_report(out_dir) -> Path                    report.html from results.json

``runs`` maps ``"regen"``, ``"direct"`` and maybe ``"direct_total"`` to ``(pipeline, config)``; ``extra`` is merged into
results.json for the task's own report sections (files it needs, e.g. audio, go in out_dir).
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from regen.compare import budget as budgets
from regen.compare.records import RESULTS_FILE, budget_statement, run_record
from regen.config import load_with_baseline
from regen.tasks import get_task
from regen.training.renderer_assets import read_record


def run_compare(
    recipe: str | Path,
    overrides: list[str] | None = None,
    *,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Train regen and its direct baseline on one budget, evaluate both, write the report."""
    regen_cfg, direct_cfg = load_with_baseline(recipe, overrides or [])
    budgets.check_rule(regen_cfg.compare.budget)
    task = get_task(regen_cfg.task)
    hooks = task.load("compare")
    out_dir = Path(out_dir or Path("runs") / f"compare-{regen_cfg.name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    data = hooks.load_data(regen_cfg)

    def train(cfg: Any) -> tuple[Any, list]:
        return hooks.train(cfg, out_dir / cfg.name, data=data, resume=resume, progress=progress)

    regen_pipeline, regen_results = train(regen_cfg)
    views = budgets.load_or_decide(
        out_dir,
        lambda: budgets.view_budgets(
            regen_cfg.compare.budget,
            train=regen_cfg.train,
            stages=hooks.learned_stages(regen_cfg),
            results=regen_results,
            direct_batch_size=direct_cfg.train.generator.batch_size,
            probe=lambda: hooks.probe_step_seconds(direct_cfg, data),
            calibrated_steps=regen_cfg.compare.calibrated_steps,
        ),
        resume,
    )
    runs = {"regen": (regen_pipeline, regen_cfg)}
    trained = {"regen": regen_results}
    labels = view_labels(views, regen_cfg.compare.views)
    for view, label in labels.items():
        if label in runs:
            continue  # the two views agree: one baseline serves both
        cfg = direct_cfg if label == "direct" else copy.deepcopy(direct_cfg)
        if label != "direct":
            cfg.name = f"{direct_cfg.name}-total"
        set_generator_steps(cfg, views[view].direct_generator_steps)
        pipeline, results = train(cfg)
        runs[label], trained[label] = (pipeline, cfg), results
    if progress:
        print(f"evaluating {', '.join(runs)} on the held-out data", file=sys.stderr)
    # resume reaches evaluate too: a task whose evaluate trains more systems (text: the
    # LM-pretrained direct variant) must not train a finished one again
    metrics, extra = hooks.evaluate(runs, data, regen_cfg, out_dir, progress, resume=resume)
    pipelines = []
    for label, results in trained.items():
        pipeline, cfg = runs[label]
        scores = {
            **metrics[label],
            "train_seconds": sum(r.seconds for r in results),
            "samples_seen": float(sum(r.samples_seen for r in results)),
        }
        pipelines.append(
            run_record(label, hooks.describe(label, pipeline, cfg), cfg, results, scores)
        )
    paired = views[next(iter(labels))]  # the first view kept (equal_paired unless dropped)
    record = {
        "task": regen_cfg.task,
        "recipe": regen_cfg.name,
        "baseline": direct_cfg.name,
        "budget_rule": paired.rule,
        "budget": budget_statement(pipelines, paired.statement),
        "budget_detail": asdict(paired),
        "views": view_records({v: views[v] for v in labels}, labels, regen_results),
        "pipelines": pipelines,
        "metric_notes": hooks.METRIC_NOTES,
        **extra,
    }
    (out_dir / RESULTS_FILE).write_text(json.dumps(record, indent=1, default=float))
    return hooks.write_report(out_dir)


def load_pair(recipe: str | Path, overrides: list[str]) -> tuple[Any, Any]:
    """The regeneration recipe and its baseline with the baseline's steps set before any
    training, for sweeps that train the two in separate points (``regen study paired``).

    Only rules that need no measurement can be planned: ``samples`` and ``steps`` as the
    recipe says, and ``seconds`` when the recipe holds ``compare.calibrated_steps``; a live
    ``seconds`` rule falls back to ``samples`` (stated in docs/evaluation.md).
    """
    regen_cfg, direct_cfg = load_with_baseline(recipe, overrides)
    hooks = get_task(regen_cfg.task).load("compare")
    samples, steps = budgets.planned(regen_cfg.train, hooks.learned_stages(regen_cfg))
    rule, calibrated = regen_cfg.compare.budget, regen_cfg.compare.calibrated_steps
    if rule == "seconds" and calibrated is None:
        rule = "samples"
    budget = budgets.baseline_steps(
        rule,
        regen_samples=samples,
        regen_steps=steps,
        direct_batch_size=direct_cfg.train.generator.batch_size,
        calibrated_steps=calibrated,
    )
    set_generator_steps(direct_cfg, budget.direct_generator_steps)
    return regen_cfg, direct_cfg


def view_labels(views: dict[str, budgets.Budget], kept: list[str]) -> dict[str, str]:
    """The baseline run of each kept view: ``direct`` for the first (equal paired compute
    unless dropped), ``direct_total`` at equal total compute when that budget differs."""
    order = [view for view in budgets.VIEWS if view in kept]
    first = views[order[0]].direct_generator_steps
    return {
        view: "direct" if views[view].direct_generator_steps == first else "direct_total"
        for view in order
    }


def view_records(
    views: dict[str, budgets.Budget], labels: dict[str, str], regen_results: list
) -> dict[str, Any]:
    """What results.json says of each budget view: its rule, its baseline run, what counts."""
    shared = [
        {
            "stage": r.name,
            "steps": r.steps,
            "samples_seen": r.samples_seen,
            "seconds": r.seconds,
            **_asset_quality(r.asset),
        }
        for r in regen_results
        if r.shared
    ]
    return {
        view: {
            "statement": budgets.VIEWS[view] + "; " + budget.statement,
            "direct": labels[view],
            "direct_generator_steps": budget.direct_generator_steps,
            "counted_stages": budget.counted_stages,
            "shared_stages": shared,
        }
        for view, budget in views.items()
    }


def _asset_quality(folder: str | None) -> dict[str, Any]:
    """Where a shared stage's asset lives and its quality from the true Y' against its floor."""
    if folder is None:
        return {}
    record = read_record(Path(folder))
    return {
        "asset": folder,
        "data": record["data"],
        "quality_from_true": record["quality_from_true"],
        "floor": record["floor"],
        "notes": record["notes"],
    }


def set_generator_steps(config: Any, steps: int) -> None:
    """Give ``config``'s generator stage ``steps`` optimizer steps (the baseline's budget)."""
    config.train = replace(config.train, generator=replace(config.train.generator, steps=steps))
