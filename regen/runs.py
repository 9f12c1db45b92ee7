"""The run folder, one layout for every task.

    <run>/config.yaml        the resolved recipe (its ``task:`` line picks the code)
    <run>/pipeline.json      what the trained pipeline needs besides weights: ``task``,
                             ``trained_stages``, the Y' spec and task-specific fields
                             (image shape and class names, phoneme vocabulary, ...)
    <run>/<stage>/           one checkpoint folder per trained stage (regen.training.checkpoint)
    <run>/logs/<stage>.jsonl per-step training logs

:func:`save_run` writes the first two (rank 0 only, so torchrun workers never race on
them); :func:`load_run` rebuilds any task's trained pipeline from the folder alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from regen.config import config_from_data, dump_yaml
from regen.errors import CheckpointError, ConfigError
from regen.pipeline import Pipeline
from regen.tasks import get_task
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.loop import StageResult

CONFIG_FILE = ckpt.CONFIG_FILE  # the same file name in the run folder and in each stage
META_FILE = "pipeline.json"


def write_config(run_dir: Path, config: Any) -> str:
    """Save the resolved recipe in ``run_dir`` (rank 0 only); returns its YAML text."""
    text = dump_yaml(config)
    if distributed.current().is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / CONFIG_FILE).write_text(text)
    return text


def save_run(
    run_dir: Path,
    config: Any,
    pipeline: Pipeline,
    trained_stages: list[str],
    results: list[StageResult] = (),
    **fields: Any,
) -> None:
    """Write ``pipeline.json`` for a trained pipeline of any task (rank 0 only).

    ``fields`` are what the task's ``build(config, meta)`` needs to rebuild the modules.
    """
    if not distributed.current().is_main:
        return
    meta = {
        "task": config.task,
        "name": config.name,
        "spec": pipeline.spec.to_dict(),
        "trained_stages": list(trained_stages),
        "stages": stage_summaries(results),
        **fields,
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / META_FILE).write_text(json.dumps(meta, indent=1))


def stage_summaries(results: list[StageResult]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in asdict(r).items() if k != "curve"} | {"final_loss": r.final_loss}
        for r in results
    ]


def read_meta(folder: Path, task: str | None = None) -> dict[str, Any]:
    """``pipeline.json`` of a run folder, or a one-line CheckpointError naming the fix (the
    command that trains a pipeline of ``task`` when given)."""
    path = Path(folder) / META_FILE
    if not path.is_file():
        hint = get_task(task).train_hint if task else "regen train <recipe>"
        raise CheckpointError(
            f"no trained pipeline in {folder} (missing {META_FILE}); "
            f"train one first with: {hint} (or pass --run RUN_DIR)"
        )
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise CheckpointError(f"{path} is corrupted; train the pipeline again") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path} is corrupted; train the pipeline again")
    return meta


def read_config(folder: Path, task: str | None = None) -> Any:
    """The recipe saved in a run folder, loaded into its task's dataclass and validated."""
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; train the pipeline with: regen train <recipe>")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{path} is not text; train the pipeline again") from exc
    except yaml.YAMLError as exc:
        # the parser's own message spans several lines; keep the error to one
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CheckpointError(
            f"{path} is not a valid regen config ({type(exc).__name__}{where}); "
            "train the pipeline again"
        ) from exc
    try:
        if not isinstance(data, dict):
            raise ConfigError("not a mapping")
        recorded = str(data.get("task", "image"))
        if task is not None and recorded != task:
            raise CheckpointError(
                f"{folder} holds {_article(recorded)} {recorded} pipeline, not "
                f"{_article(task)} {task} one; use {get_task(recorded).usage} with --run {folder}"
            )
        config = config_from_data(data)
    except ConfigError as exc:
        raise CheckpointError(f"{path} is not a valid regen config ({exc})") from exc
    return config


def load_run(folder: str | Path, task: str | None = None) -> tuple[Pipeline, Any]:
    """The trained pipeline (eval mode) and recipe in ``folder``, for any task.

    ``task`` refuses a folder of another task with a one-line error that names the command
    for what it holds.
    """
    folder = Path(folder)
    meta = read_meta(folder, task)
    config = read_config(folder, task)
    pipeline = get_task(config.task).load("build")(config, meta)
    trained = meta.get("trained_stages")
    for stage, module in pipeline.modules().items():
        wanted = stage in trained if trained is not None else module.trainable
        if wanted:
            if not ckpt.has_checkpoint(folder / stage):
                raise CheckpointError(
                    f"stage '{stage}' of {folder} was never trained; train it with: "
                    f"regen train <recipe> --out {folder} --resume"
                )
            ckpt.load_weights(module, folder / stage)
    return pipeline.eval(), config


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
