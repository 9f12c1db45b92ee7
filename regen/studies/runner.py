"""Run a study: its sweep points x seeds, in parallel workers, resumable, then the report.

    runs/study-<name>-<recipe>/
        study.json              the recipe, overrides and seeds this folder belongs to
        points/<key>-seed<k>.json   one finished (point, seed): parameters and metrics
        runs/<key>-seed<k>/     the trained pipelines of that point (resumable checkpoints)
        results.json            every point record plus the study's summary
        report.html             plots and tables (regen.report.html extra sections)

A point's JSON is written (atomically) only when the point has finished, so re-running the
same command after an interruption skips every finished point and resumes the unfinished
ones from their stage checkpoints. With ``workers > 1`` points run in separate processes
(spawned, each with ``torch_threads`` threads); the progress bar counts finished points.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, fields
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm import tqdm

from regen.compare.records import RESULTS_FILE
from regen.config import load_recipe, resolve_recipe_path
from regen.errors import ConfigError
from regen.report.html import machine_info, write_report
from regen.report.study import records_table
from regen.tasks import get_task, task_names

STUDIES = {
    "paired": "regen.studies.paired:STUDY",
    "tradeoff": "regen.studies.tradeoff:STUDY",
    "discrete": "regen.studies.discrete:STUDY",
    "mismatch": "regen.studies.mismatch:STUDY",
}
STUDY_METRIC_NOTES = {
    "oracle_fid": "domain-FID rendering true Y' = encode(Y) of the held-out images, lower is better",
    "oracle_accuracy": "class accuracy rendering true Y', higher is better",
    "generator_heldout_loss": "the generator's own loss on held-out (X, encode(Y)), lower is better",
    "predicted_error_rms": "RMS of predicted minus true Y' (normalised latent units)",
    "generator_loss_over_uniform": "held-out cross-entropy / ln(codebook size): 1 is a "
    "uniform guess over the codes, lower is better",
}


ORACLE_PREFIX = "oracle_"
RECONSTRUCTION_SUFFIX = "_reconstruction"


def derived_notes(notes: dict[str, str], names: list[str]) -> dict[str, str]:
    """Notes for the study's twins of a task metric that the task's notes lack: ``oracle_M``
    (M rendering true Y') and ``M_reconstruction`` (M of the renderer's reconstruction), each
    carrying M's note, so the report says what they mean and which way is better."""
    derived = {}
    for name in names:
        if name in notes:
            continue
        if name.startswith(ORACLE_PREFIX) and name.removeprefix(ORACLE_PREFIX) in notes:
            base = notes[name.removeprefix(ORACLE_PREFIX)]
            derived[name] = f"rendering true Y' = encode(Y) of the held-out items; {base}"
        elif name.endswith(RECONSTRUCTION_SUFFIX):
            metric = name.removesuffix(RECONSTRUCTION_SUFFIX)
            base = notes.get(metric, metric)
            derived[name] = f"the renderer's reconstruction of held-out Y from its true Y'; {base}"
    return derived


@dataclass(frozen=True)
class Point:
    """One sweep point: ``key`` names its files, ``params`` label it in plots and tables."""

    key: str
    params: dict[str, Any]
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Study:
    """A research question as a sweep.

    Attributes:
        name: the CLI name (``regen study NAME``).
        question: one line shown at the top of the report.
        points: ``points(config) -> [Point]`` for the loaded recipe, or
            ``points(config, axis)`` for a study with ``axes``.
        run_point: ``run_point(context) -> metrics`` for one (point, seed).
        summarize: ``summarize(records) -> Summary`` from every finished record (each names
            its ``task``, whose backend says what the task measures).
        axes: the names of the quantities the study can sweep (``--axis``), the default
            first; empty for a study with one fixed sweep.
        needs: the names the study reads from a task's backend besides ``prepare``,
            ``train`` and ``evaluate`` (a backend that serves the study must define them).
    """

    name: str
    question: str
    points: Callable[[Any], list[Point]]
    run_point: Callable[[PointContext], dict[str, float]]
    summarize: Callable[[list[dict[str, Any]]], Summary]
    axes: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


def check_backend(study: Study, backend: Any, task: str) -> None:
    """A one-line ConfigError naming what ``backend`` lacks of ``study.needs``."""
    missing = [name for name in study.needs if not hasattr(backend, name)]
    if missing:
        raise ConfigError(
            f"the study backend of task '{task}' ({backend.__name__}) lacks "
            f"{', '.join(missing)} for study {study.name}; docs/studies.md lists the names"
        )


@dataclass
class PointContext:
    """Everything one (point, seed) needs, picklable for worker processes.

    ``task`` is the recipe's task (written into the point's record, so a summary can ask the
    task's backend what it measures); ``stages`` are the recipe's ``train.<stage>`` sections,
    whose seeds follow the point's seed.
    """

    recipe: str
    overrides: list[str]
    point: Point
    seed: int
    run_dir: Path
    task: str
    stages: tuple[str, ...]

    def config(self, extra: list[str] | tuple[str, ...] = ()) -> Any:
        """The recipe with the study's overrides, the point's, ``extra`` and the seed's."""
        layers = [*self.overrides, *self.point.overrides, *extra, *self.seed_overrides]
        return load_recipe(self.recipe, layers)

    @property
    def seed_overrides(self) -> list[str]:
        return seed_overrides(self.seed, self.stages)


def seed_overrides(seed: int, stages: tuple[str, ...]) -> list[str]:
    """The overrides that make a run of ``seed``: the recipe's seed and every stage's."""
    return [f"seed={seed}"] + [f"train.{s}.seed={seed}" for s in stages]


def train_stages(config: Any) -> tuple[str, ...]:
    """The ``train.<stage>`` sections of a recipe (those with a seed; not ``train.mode``)."""
    train = config.train
    return tuple(f.name for f in fields(train) if hasattr(getattr(train, f.name), "seed"))


def train_and_evaluate(config: Any, run_dir: Path) -> dict[str, float]:
    """Train ``config`` in ``run_dir`` (resuming) and evaluate it with its task's backend."""
    backend = backend_for(config.task)
    pipeline, seconds = backend.train(config, run_dir)
    return backend.evaluate(pipeline, config) | {"train_seconds": seconds}


def variants(rows: list[dict[str, Any]], label: Callable[[dict[str, Any]], str]) -> list[dict]:
    """Report 'pipelines' (one metrics column each) from point rows: the seed means."""
    return [
        {
            "name": label(row["params"]),
            "metrics": {k: v["mean"] for k, v in row.items() if k != "params"},
        }
        for row in rows
    ]


@dataclass
class Summary:
    """What a study reports: numbers for the benchmark, sections for the HTML report."""

    values: dict[str, Any]
    sections: list[dict[str, Any]]
    text: str
    variants: list[dict[str, Any]] = field(default_factory=list)  # report "pipelines" rows


def get_study(name: str) -> Study:
    if name not in STUDIES:
        raise ConfigError(f"unknown study '{name}'; choose one of: {', '.join(STUDIES)}")
    return _import(STUDIES[name])


def _import(reference: str) -> Any:
    module, attribute = reference.split(":")
    return getattr(importlib.import_module(module), attribute)


def backend_for(task: str) -> Any:
    """The task's study module (``Task.study``; regen/tasks/image/study.py shows the names)."""
    if get_task(task).study is None:
        ready = [name for name in task_names() if get_task(name).study is not None]
        raise ConfigError(
            f"the studies have no backend for task '{task}' yet; they run on: "
            f"{', '.join(ready)} (docs/studies.md says how to add one)"
        )
    return get_task(task).load("study")


def point_file(out_dir: Path, point: Point, seed: int) -> Path:
    return out_dir / "points" / f"{point.key}-seed{seed}.json"


def run_one(study_ref: str, context: PointContext, out_dir: Path, threads: int) -> Path:
    """Run one (point, seed) and write its JSON; the function worker processes execute.

    ``study_ref`` is the ``"module:attribute"`` of the Study, imported afresh in a worker.
    """
    import time

    import torch

    torch.set_num_threads(threads)
    study = _import(study_ref)
    start = time.perf_counter()
    metrics = study.run_point(context)
    record = {
        "study": study.name,
        "task": context.task,
        "key": context.point.key,
        "params": context.point.params,
        "seed": context.seed,
        "metrics": metrics,
        "seconds": time.perf_counter() - start,
    }
    path = point_file(out_dir, context.point, context.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)
    return path


def run_study(
    name: str,
    recipe: str,
    overrides: list[str] | None = None,
    *,
    out_dir: Path | None = None,
    workers: int = 1,
    seeds: int = 2,
    torch_threads: int = 1,
    progress: bool = True,
    axis: str | None = None,
) -> Path:
    """Run every missing (point, seed) of study ``name`` on ``recipe``; returns report.html.

    ``axis`` picks what a study with ``axes`` sweeps, among those the task's backend serves
    (its ``AXES[name]``; default: the first of them).
    """
    study = get_study(name)
    overrides = list(overrides or [])
    if workers < 1 or seeds < 1 or torch_threads < 1:
        raise ConfigError("--workers, --seeds and --threads must be at least 1")
    given = axis
    axis = _check_axis(study, axis)
    config = load_recipe(recipe, overrides)
    if getattr(config, "is_direct", False):
        raise ConfigError(
            f"{recipe} is a direct recipe; the studies need a regeneration recipe "
            "(e.g. image/digits_latent_diffusion), whose baseline they use where needed"
        )
    backend = backend_for(config.task)
    supported = getattr(backend, "STUDIES", None)  # absent: the backend serves every study
    if supported is not None and name not in supported:
        raise ConfigError(
            f"study {name} does not run on task '{config.task}' yet; it runs: "
            f"{', '.join(supported)}"
        )
    check_backend(study, backend, config.task)
    served = backend.AXES[name] if study.axes else ()
    axis = _served_axis(name, axis, given, served, config.task)
    recipe_path = str(resolve_recipe_path(recipe))
    folder = f"study-{name}-{config.name}"
    if axis is not None and axis != served[0]:
        folder = f"study-{name}-{axis}-{config.name}"
    out_dir = Path(out_dir or Path("runs") / folder)
    # may refuse the recipe: before any folder is made
    points = study.points(config) if axis is None else study.points(config, axis)
    identity = {"study": name, "recipe": recipe_path, "overrides": overrides}
    if axis is not None:
        identity["axis"] = axis
    _claim(out_dir, identity, study.axes[0] if study.axes else None)
    stages = train_stages(config)
    jobs = [
        PointContext(
            recipe_path,
            overrides,
            point,
            seed,
            out_dir / "runs" / f"{point.key}-seed{seed}",
            config.task,
            stages,
        )
        for seed in range(config.seed, config.seed + seeds)
        for point in points
    ]
    todo = [j for j in jobs if not point_file(out_dir, j.point, j.seed).is_file()]
    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc=f"study {name}",
        unit="point",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    for seed in sorted({job.seed for job in todo}):  # shared work, done before any worker
        backend.prepare(load_recipe(recipe_path, [*overrides, *seed_overrides(seed, stages)]))
    if workers == 1:
        for job in todo:
            run_one(STUDIES[name], job, out_dir, torch_threads)
            bar.update(1)
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(run_one, STUDIES[name], job, out_dir, torch_threads) for job in todo
            ]
            for future in as_completed(futures):
                future.result()
                bar.update(1)
    bar.close()
    records = [json.loads(point_file(out_dir, j.point, j.seed).read_text()) for j in jobs]
    for record in records:  # points written before records named their task
        record.setdefault("task", config.task)
    notes = get_task(config.task).load("compare").METRIC_NOTES
    return write_study_report(study, config.name, records, out_dir, notes)


def _check_axis(study: Study, axis: str | None) -> str | None:
    """The axis to sweep: ``axis`` or the study's default; refuses an axis it lacks."""
    if axis is None:
        return study.axes[0] if study.axes else None
    if not study.axes:
        raise ConfigError(f"study {study.name} has no axes; drop --axis")
    if axis not in study.axes:
        raise ConfigError(
            f"unknown axis '{axis}' for study {study.name}; choose one of: {', '.join(study.axes)}"
        )
    return axis


def _served_axis(
    study: str, axis: str | None, given: str | None, served: tuple[str, ...], task: str
) -> str | None:
    """The axis a task sweeps: ``given`` if the task's backend serves it, its default
    (``AXES[study][0]``) when none was given; refuses an axis the task does not sweep."""
    if axis is None:
        return None
    if given is None:
        return served[0]
    if given not in served:
        raise ConfigError(
            f"--axis {given} does not fit task '{task}'; study {study} sweeps there: "
            f"{', '.join(served)}"
        )
    return given


def _claim(out_dir: Path, identity: dict[str, Any], default_axis: str | None = None) -> None:
    """Refuse to mix points of a different study, axis, recipe or overrides into one folder.

    A folder written before the study had axes holds its default axis.
    """
    path = out_dir / "study.json"
    if path.is_file():
        known = json.loads(path.read_text())
        if default_axis is not None:
            known.setdefault("axis", default_axis)
        if known != identity:
            axis = f" (axis {known['axis']})" if "axis" in known else ""
            raise ConfigError(
                f"{out_dir} holds study {known['study']}{axis} of {known['recipe']} with "
                f"overrides {known['overrides']}; pass --out to use another folder or delete it"
            )
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(identity, indent=1))


def study_notes(task_notes: dict[str, str], records: list[dict]) -> dict[str, str]:
    """The task's metric notes, the studies' own, and notes derived for the oracle and
    reconstruction twins of the task's metrics (see :func:`derived_notes`)."""
    notes = task_notes | STUDY_METRIC_NOTES
    names = list(dict.fromkeys(m for r in records for m in r.get("metrics") or {}))
    return notes | derived_notes(notes, names)


def write_study_report(
    study: Study,
    recipe_name: str,
    records: list[dict],
    out_dir: Path,
    metric_notes: dict[str, str] | None = None,
) -> Path:
    """``results.json`` and ``report.html`` from the finished records; ``metric_notes``
    come from the task's compare hooks."""
    summary = study.summarize(records)
    results = {
        "study": study.name,
        "question": study.question,
        "summary": summary.values,
        "points": records,
    }
    (out_dir / RESULTS_FILE).write_text(json.dumps(results, indent=1))
    sections = summary.sections + [
        {"title": "Every point and seed", "html": records_table(records)},
    ]
    report = {
        "title": f"regen study {study.name}: {recipe_name}",
        "summary": f"{study.question} {summary.text}",
        "machine": machine_info(),
        "pipelines": summary.variants or [{"name": study.name, "metrics": {}}],
        "extra_sections": sections,
        "metric_notes": study_notes(metric_notes or {}, records),
    }
    return write_report(report, out_dir / "report.html")
