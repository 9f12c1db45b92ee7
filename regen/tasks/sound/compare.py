"""The sound task's ``regen compare`` hooks (see :mod:`regen.compare.harness`).

Regeneration (caption -> codec tokens -> log-mel renderer) against the direct caption ->
waveform baseline, both scored on held-out captions by :mod:`regen.tasks.sound.evaluate`;
the report (:mod:`regen.tasks.sound.report`) has audio players, spectrograms, the codec's
figures, the metric table and loss curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from regen.pipeline import Pipeline
from regen.tasks.sound.config import SoundRecipeConfig
from regen.tasks.sound.evaluate import evaluate_sound
from regen.tasks.sound.probe import probe_step_seconds  # noqa: F401  (the harness calls it)
from regen.tasks.sound.report import write_report  # noqa: F401  (the harness calls it)
from regen.tasks.sound.train import SoundData, load_sound_data, train_sound
from regen.training.loop import StageResult

METRIC_NOTES = {
    "adherence": "higher is better; mean over attributes of the local classifier's accuracy "
    "against the caption (family, mode, meter, tempo band)",
    "adherence_family": "higher is better; instrument family heard = the caption's",
    "adherence_mode": "higher is better; major/minor heard = the caption's",
    "adherence_meter": "higher is better; meter heard = the caption's",
    "adherence_tempo": "higher is better; tempo band heard = the caption's",
    "local_fad": "lower is better; Fréchet distance to the held-out real clips in the local "
    "classifier's features (NOT comparable to published FAD)",
    "realtime_speedup": "higher is better; audio seconds per compute second, batch 1",
    "peak_rss_mb": "process peak resident memory after generating (MiB)",
    "train_seconds": "training wall-clock, all stages",
}


def load_data(config: SoundRecipeConfig) -> SoundData:
    return load_sound_data(config)


def learned_stages(config: SoundRecipeConfig) -> list[str]:
    if config.is_direct:
        return ["generator"]
    stages = ["representation", "generator"]
    return stages + (["renderer"] if config.renderer.kind == "vocoder" else [])


def train(
    config: SoundRecipeConfig, run_dir: Path, *, data: SoundData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_sound(config, run_dir, resume=resume, progress=progress, data=data)


def describe(label: str, pipeline: Pipeline, cfg: SoundRecipeConfig) -> str:
    if pipeline.is_direct:
        return f"caption -> waveform ({cfg.name})"
    renderer = cfg.renderer.kind.replace("_", "-")
    return f"caption -> {pipeline.spec.name} ({cfg.generator.pattern}) -> {renderer} ({cfg.name})"


def evaluate(
    runs: dict[str, tuple[Pipeline, SoundRecipeConfig]],
    data: SoundData,
    config: SoundRecipeConfig,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # only a task whose evaluate trains (text) reads it
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Scores of every pipeline; example audio of the first clips to examples.npz."""
    pipelines = {label: pipeline for label, (pipeline, _) in runs.items()}
    metrics, extra, wavs = evaluate_sound(pipelines, data, config, progress=progress)
    shown = min(config.eval.report_clips, len(wavs["real"]))
    np.savez_compressed(
        Path(out_dir) / "examples.npz",
        **{f"{name}/{i}": w[i].numpy() for name, w in wavs.items() for i in range(shown)},
    )
    n = len(wavs["real"])
    extra["examples"] = {"captions": data.test.captions[:shown]}
    extra["data"] = {
        "train_clips": len(data.train),
        "train_hours_of_audio": round(data.train.seconds() / 3600, 3),
        "test_clips": len(data.test),
        "test_clips_scored": n,
        "sample_rate": config.data.sample_rate,
        "clip_seconds": config.data.clip_seconds,
        "source": data.train.source,
    }
    return metrics, extra
