"""What the studies need from the ASR task (the names regen/tasks/image/study.py lists).

``regen study paired asr/phonemes`` sweeps ``paired_fraction`` over ``eval.fractions`` for
regen (speech -> phonemes -> text) and the direct baseline (CTC on characters).

The phoneme-to-text renderer learns from unpaired text only, so no point of a sweep over
paired speech changes it. :func:`prepare` trains it once per seed, before any worker starts,
into regen's cache (``asr_renderers/<key>/`` under :func:`regen.data.cache.cache_dir`, the key
a hash of everything its training reads: ``data``, ``text``, ``representation``,
``renderer``, ``train.renderer`` and ``seed``); every regeneration point then copies it into
its run folder (read-only afterwards) and counts its training seconds in its own
``train_seconds``, as ``regen compare`` counts a shared renderer. A second study with the
same renderer settings reuses it; delete the folder to train it again.

Metrics (both held-out splits, as ``regen compare asr/...``): ``cer``, ``wer``, ``per``
(regen only) on held-out sentences in training voices, the same with ``_speaker`` on the
held-out voice, ``cer_true_phonemes`` (the renderer alone, regen only) and
``realtime_speedup``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
from pathlib import Path

import torch

from regen.config import to_dict
from regen.data.cache import cache_dir
from regen.pipeline import Pipeline
from regen.tasks.asr.compare import SPLITS, flat_metrics, held_out_data
from regen.tasks.asr.config import ASRRecipe
from regen.tasks.asr.evaluate import evaluate_split
from regen.tasks.asr.recognize import Recognizer
from regen.tasks.asr.train import (
    SharedRenderer,
    build_asr_pipeline,
    load_asr_data,
    train_asr,
    train_renderer,
)
from regen.training.checkpoint import load_weights
from regen.training.loop import StageResult

STUDIES = ("paired",)  # the others need image metrics (fid) or a tunable renderer
HEADLINE = ("cer", "lower")
PAIRED_METRICS = [
    "cer",
    "wer",
    "per",
    "cer_speaker",
    "wer_speaker",
    "per_speaker",
    "cer_true_phonemes",
    "realtime_speedup",
    "train_seconds",
    "samples_seen",
]
PAIRED_PLOTS = {
    "cer": "CER, held-out sentences (lower is better)",
    "cer_speaker": "CER, held-out voice (lower is better)",
}
FRACTION_KEY = "paired_fraction"

RENDERERS = "asr_renderers"
RESULT_FILE = "result.json"  # written last: its presence marks a finished renderer


def renderer_key(config: ASRRecipe) -> str:
    """A hash of the settings :func:`regen.tasks.asr.train.train_renderer` reads (initial
    weights follow ``seed``; the unpaired text follows ``data``, ``text`` and ``seed``)."""
    reads = {
        "data": to_dict(config.data),
        "text": to_dict(config.text),
        "representation": to_dict(config.representation),
        "renderer": to_dict(config.renderer),
        "train": to_dict(config.train.renderer),
        "seed": config.seed,
    }
    return hashlib.sha256(json.dumps(reads, sort_keys=True).encode()).hexdigest()[:16]


def renderer_folder(config: ASRRecipe) -> Path:
    return cache_dir() / RENDERERS / renderer_key(config)


def shared_renderer(config: ASRRecipe) -> SharedRenderer:
    """The renderer of ``config`` trained on unpaired text, from the cache or trained now.

    A finished renderer is only read. A lock keeps two processes (two studies on the same
    settings) from training it twice; an interrupted training resumes from its checkpoint.
    """
    folder = renderer_folder(config)
    done = folder / RESULT_FILE
    if not done.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.is_file():  # not trained by the process we waited for
                trained = _train_renderer(config, folder)
                tmp = done.with_suffix(".tmp")
                tmp.write_text(json.dumps(dataclasses.asdict(trained.result), indent=1))
                tmp.replace(done)
    stored = json.loads(done.read_text())
    result = StageResult(**stored | {"curve": [tuple(p) for p in stored["curve"]]})
    module = build_asr_pipeline(config).renderer
    load_weights(module, folder / "renderer")
    return SharedRenderer(module.eval(), result, folder / "renderer")


def _train_renderer(config: ASRRecipe, folder: Path) -> SharedRenderer:
    torch.manual_seed(config.seed)  # the same initial weights as train_asr would draw
    return train_renderer(
        config,
        build_asr_pipeline(config),
        load_asr_data(config),
        folder / "renderer",
        resume=True,
        progress=False,
    )


def prepare(config: ASRRecipe) -> None:
    """Train the shared renderer of ``config`` (one seed) before workers start."""
    if not config.is_direct:
        shared_renderer(config)


def train(config: ASRRecipe, run_dir: Path) -> tuple[Pipeline, float]:
    """Train (or finish) ``config`` in ``run_dir``, a regen pipeline with the shared renderer;
    returns it and its training seconds (the renderer's included)."""
    renderer = None if config.is_direct else shared_renderer(config)
    pipeline, results = train_asr(config, run_dir, resume=True, progress=False, renderer=renderer)
    return pipeline, sum(r.seconds for r in results)


def evaluate(pipeline: Pipeline, config: ASRRecipe) -> dict[str, float]:
    """CER/WER/PER on both held-out splits (see the module docstring)."""
    held_out = held_out_data(config)
    recognizer = Recognizer(pipeline, config.generator.n_mels)
    return flat_metrics({split: evaluate_split(recognizer, held_out[split]) for split in SPLITS})
