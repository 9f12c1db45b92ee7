"""Tasks: everything specific to one modality lives in its package, ``regen/tasks/<name>/``.

A task package holds its recipe dataclass, data glue, pipeline builder, stage plan, metrics,
compare hooks, report sections, study backend and CLI commands. Its ``__init__`` defines one
:class:`Task`; the rest of regen finds a task only through :func:`get_task`, so a new
modality is one new folder (plus recipes) and nothing outside it changes. ``docs/design.md``
walks through adding one ("Add a task in one folder", with docs/examples/toy_task/).

The Task names its code as ``"module:attribute"`` strings relative to the package and loads
them on first use, so ``regen --help`` stays fast and a task whose optional packages are
missing does not break the others.

A task in a package of one's own is registered by name: ``register(name, package)`` in
Python, or ``REGEN_TASKS=name=package[,name=package]`` in the environment, which every
process sees (``regen`` started from a shell, torchrun workers, study workers).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Any

from regen.errors import ConfigError

BUILT_IN = ("image", "tts", "asr", "melody", "sound", "video", "text")
"""The task packages shipped with regen, in the order ``regen --help`` lists them."""

ENV_VAR = "REGEN_TASKS"
"""``name=package`` pairs, comma-separated: tasks outside regen for every process."""

_EXTRA: dict[str, str] = {}  # name -> package of tasks registered by register()


@dataclass(frozen=True)
class Task:
    """The code behind one task, as ``"module:attribute"`` references inside its package.

    Attributes:
        name: the value of ``task:`` in a recipe.
        package: the Python package that holds the code, e.g. ``regen.tasks.tts``.
        description: one line for ``regen --help`` and errors.
        config: dataclass the recipe YAML loads into (a :class:`regen.config.RecipeHeader`
            with the task's sections). Besides the header the core reads ``is_direct`` (true
            for the baseline recipe), ``compare`` (a :class:`regen.config.CompareConfig`) and
            ``train.<stage>`` (a :class:`regen.config.TrainConfig`) of each learned stage.
        validate: ``validate(config)``; raises ConfigError naming the fix.
        build: ``build(config, meta) -> Pipeline``: untrained modules for a recipe, from the
            ``pipeline.json`` fields its trainer saved (see :mod:`regen.runs`).
        train: ``train(config, run_dir, *, resume, progress, data) -> (pipeline, results)``.
        compare: the module of compare hooks the one harness calls
            (:mod:`regen.compare.harness` lists them).
        report: ``report(compare_dir) -> Path``: (re)write report.html from results.json.
        commands: ``add_commands(subparsers) -> {command: handler}`` for the task's own CLI
            commands (``regen tts``, ``regen sample``, ...), or ``None``.
        datasets: ``{name: "module:function"}`` for ``regen data NAME``.
        prepare: ``prepare(config, out=None) -> (store_folder, manifest)``: turn the
            recipe's ``data.source`` into a feature store (``regen data prepare [--out]``),
            or ``None``.
        study: the module the research studies call (``regen.studies``), or ``None``.
        pretrain: ``renderer_job(config) -> RendererJob``: how ``regen pretrain`` trains the
            renderer on all unpaired data (:mod:`regen.training.renderer_assets`), or
            ``None`` when the renderer cannot be trained apart from the representation.
        usage: the command that uses a trained pipeline of this task (for error messages).
        train_hint: the command that trains one (for "no trained pipeline" errors).
    """

    name: str
    package: str
    description: str
    config: str = "config:RecipeConfig"
    validate: str = "config:validate"
    build: str = "build:build"
    train: str = "train:train"
    compare: str = "compare"
    report: str = "compare:write_report"
    commands: str | None = None
    datasets: dict[str, str] = field(default_factory=dict)
    study: str | None = None
    prepare: str | None = None
    pretrain: str | None = None
    usage: str = "regen compare"
    train_hint: str = "regen train <recipe>"

    def load(self, attribute: str) -> Any:
        """The object an attribute names: a module (no ``:``) or a module's attribute.

        A reference that names no module or attribute is a one-line ConfigError naming the
        Task field; an import that fails inside an existing module keeps its traceback.
        """
        reference = getattr(self, attribute)
        if reference is None:
            raise ConfigError(f"task '{self.name}' has no {attribute}")
        return self.resolve(reference, f"Task.{attribute}")

    def resolve(self, reference: str, field: str) -> Any:
        """``"module:attribute"`` (or ``"module"``) inside the package; ``field`` names where
        the reference came from in errors."""
        module, _, name = reference.partition(":")
        path = f"{self.package}.{module}"
        where = f"task '{self.name}' ({field} = {reference!r})"
        try:
            loaded = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
            raise ConfigError(f"{where}: there is no module {path}") from None
        if not name:
            return loaded
        if not hasattr(loaded, name):
            raise ConfigError(f"{where}: {path} has no {name}")
        return getattr(loaded, name)


def register(name: str, package: str) -> None:
    """Make the task defined in ``package`` (its ``TASK``) available as ``task: name``.

    Built-in tasks need no registration; this is for a task in a package of the user's own,
    in this process (``REGEN_TASKS`` reaches other processes too).
    """
    _check_free(name)
    _EXTRA[name] = package


def _check_free(name: str) -> None:
    if name in BUILT_IN:
        raise ConfigError(f"'{name}' is a built-in task; give the task of your own another name")


def _registered() -> dict[str, str]:
    """Tasks outside regen: ``REGEN_TASKS`` first, then those of :func:`register`."""
    found: dict[str, str] = {}
    for item in os.environ.get(ENV_VAR, "").split(","):
        if not item.strip():
            continue
        name, _, package = (part.strip() for part in item.partition("="))
        if not name or not package:
            raise ConfigError(
                f"{ENV_VAR} entry {item.strip()!r} must look like name=package, "
                "e.g. toy=my_tasks.toy (comma-separated for several)"
            )
        _check_free(name)
        found[name] = package
    return {**found, **_EXTRA}


def task_names() -> list[str]:
    return [*BUILT_IN, *_registered()]


def get_task(name: str) -> Task:
    """The task called ``name``, or a one-line ConfigError naming the fix."""
    extra = _registered()
    package = extra.get(name) or (f"regen.tasks.{name}" if name in BUILT_IN else None)
    if package is None:
        raise ConfigError(
            f"unknown task '{name}'; known tasks: {', '.join(task_names())} "
            f"(a task of your own: {ENV_VAR}={name}=<its package>, see docs/design.md)"
        )
    try:
        module = importlib.import_module(package)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (package + ".").startswith(exc.name + "."):
            raise
        raise ConfigError(
            f"cannot import {package}, the package of task '{name}'; "
            "put the folder that holds it on PYTHONPATH"
        ) from None
    task = getattr(module, "TASK", None)
    if not isinstance(task, Task):
        raise ConfigError(f"{package} defines no TASK = regen.tasks.Task(...) for task '{name}'")
    if task.name != name:
        raise ConfigError(f"{package}.TASK is named '{task.name}', not '{name}'")
    return task
