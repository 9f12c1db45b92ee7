"""Which code serves each kind of recipe.

A recipe names its task at the top (``task: tts``); image recipes may leave it out. A task is
four things: the dataclass its YAML loads into, a function that checks the values the types
alone do not pin down, the function that trains one pipeline of it, and the function that runs
``regen compare`` (regen vs its direct baseline, ending in a report). They are named as
``"module:attribute"`` strings and imported only when used, so ``regen --help`` stays fast and
a task whose optional packages are missing does not break the others.

A new modality is one new line here plus its own files; nothing else dispatches on the task.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from regen.errors import ConfigError


@dataclass(frozen=True)
class Task:
    """The code behind one task, as ``"module:attribute"`` references.

    Attributes:
        config: dataclass the recipe YAML loads into (needs ``name``, ``seed``, ``task``,
            ``baseline`` and a ``run_dir`` property).
        validate: ``validate(config) -> None``; raises ConfigError naming the fix.
        train: ``train(config, run_dir, *, resume=False, progress=True) -> (pipeline, results)``.
        compare: ``compare(recipe, overrides, *, out_dir=None, resume=False, progress=True)
            -> Path`` of the written report.html. The compare folder's ``results.json``
            records ``"task"`` so that ``regen report`` finds the next entry.
        report: ``report(compare_dir) -> Path``: rewrite report.html from the saved results.
        description: one line for ``regen --help`` and errors.
    """

    config: str
    validate: str
    train: str
    compare: str
    report: str
    description: str

    def load(self, attribute: str) -> Any:
        module, name = getattr(self, attribute).split(":")
        return getattr(importlib.import_module(module), name)


TASKS: dict[str, Task] = {
    "image": Task(
        config="regen.config:RecipeConfig",
        validate="regen.config:validate",
        train="regen.training.stages:train_pipeline",
        compare="regen.eval.compare:run_compare",
        report="regen.eval.compare:write_compare_report",
        description="class or caption -> image (glyphs, emoji, digits)",
    ),
    "melody": Task(
        config="regen.melody_config:MelodyRecipeConfig",
        validate="regen.melody_config:validate",
        train="regen.training.melody:train_melody",
        compare="regen.eval.melody_compare:run_melody_compare",
        report="regen.eval.melody_compare:rewrite_melody_report",
        description="lyrics -> music template -> melody (Bach chorales, folk tunes)",
    ),
    "asr": Task(
        config="regen.asr_config:ASRRecipe",
        validate="regen.asr_config:validate",
        train="regen.training.asr_stages:train_asr",
        compare="regen.eval.asr_compare:run_asr_compare",
        report="regen.report.asr_report:write_asr_report",
        description="speech -> phonemes -> text, renderer trained on unpaired text",
    ),
    "tts": Task(
        config="regen.tts_config:TTSRecipeConfig",
        validate="regen.tts_config:validate",
        train="regen.training.tts_stages:train_tts",
        compare="regen.eval.tts_compare:run_tts_compare",
        report="regen.report.tts_report:write_tts_report",
        description="text -> log-mel -> waveform (espeak-ng voices), vocoder trained on speech",
    ),
}


def get_task(name: str) -> Task:
    """The task called ``name``, or a ConfigError that lists the known ones."""
    if name not in TASKS:
        raise ConfigError(f"unknown task '{name}'; known tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name]
