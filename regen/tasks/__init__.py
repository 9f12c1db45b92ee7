"""Tasks: everything specific to one modality lives in its package, ``regen/tasks/<name>/``.

A task package holds its recipe dataclass, data glue, pipeline builder, stage plan, metrics,
compare hooks, report sections, study backend and CLI commands. Its ``__init__`` defines one
:class:`Task`; the rest of regen finds a task only through :func:`get_task`, so a new
modality is one new folder (plus recipes) and nothing outside it changes. ``docs/design.md``
walks through adding one.

The Task names its code as ``"module:attribute"`` strings relative to the package and loads
them on first use, so ``regen --help`` stays fast and a task whose optional packages are
missing does not break the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from regen.errors import ConfigError

BUILT_IN = ("image", "tts", "asr", "melody")
"""The task packages shipped with regen, in the order ``regen --help`` lists them."""

_EXTRA: dict[str, str] = {}  # name -> package of tasks registered at run time


@dataclass(frozen=True)
class Task:
    """The code behind one task, as ``"module:attribute"`` references inside its package.

    Attributes:
        name: the value of ``task:`` in a recipe.
        package: the Python package that holds the code, e.g. ``regen.tasks.tts``.
        description: one line for ``regen --help`` and errors.
        config: dataclass the recipe YAML loads into (a :class:`regen.config.RecipeHeader`
            with the task's sections).
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
        study: the module the research studies call (``regen.studies``), or ``None``.
        usage: the command that uses a trained pipeline of this task (for error messages).
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
    usage: str = "regen compare"

    def load(self, attribute: str) -> Any:
        """The object an attribute names: a module (no ``:``) or a module's attribute."""
        reference = getattr(self, attribute)
        if reference is None:
            raise ConfigError(f"task '{self.name}' has no {attribute}")
        module, _, name = reference.partition(":")
        loaded = importlib.import_module(f"{self.package}.{module}")
        return getattr(loaded, name) if name else loaded


def register(name: str, package: str) -> None:
    """Make the task defined in ``package`` (its ``TASK``) available as ``task: name``.

    Built-in tasks need no registration; this is for a task in a package of the user's own.
    """
    _EXTRA[name] = package


def task_names() -> list[str]:
    return [*BUILT_IN, *_EXTRA]


def get_task(name: str) -> Task:
    """The task called ``name``, or a ConfigError that lists the known ones."""
    package = _EXTRA.get(name) or (f"regen.tasks.{name}" if name in BUILT_IN else None)
    if package is None:
        raise ConfigError(f"unknown task '{name}'; known tasks: {', '.join(task_names())}")
    task = importlib.import_module(package).TASK
    if task.name != name:
        raise ConfigError(f"{package}.TASK is named '{task.name}', not '{name}'")
    return task
