"""What the studies need from the ASR task (the names regen/tasks/image/study.py lists).

``regen study paired asr/phonemes`` sweeps ``paired_fraction`` over ``eval.fractions`` for
regen (speech -> phonemes -> text) and the direct baseline (CTC on characters).

The phoneme-to-text renderer learns from unpaired text only, so no point of a sweep over
paired speech changes it. :func:`prepare` obtains it once per seed, before any worker starts,
as a cached renderer asset (:mod:`regen.training.renderer_assets`, the same one
``regen pretrain asr/...`` trains; the key hashes ``data``, ``text``, ``representation``,
``renderer``, ``train.renderer`` and ``seed``); every regeneration point then copies it into
its run folder and counts its training seconds in its own ``train_seconds`` (the
equal-total view of ``regen compare``). A second study with the same renderer settings
reuses it; delete the asset folder to train it again.

Metrics (both held-out splits, as ``regen compare asr/...``): ``cer``, ``wer``, ``per``
(regen only) on held-out sentences in training voices, the same with ``_speaker`` on the
held-out voice, ``cer_true_phonemes`` (the renderer alone, regen only) and
``realtime_speedup``.
"""

from __future__ import annotations

from pathlib import Path

from regen.pipeline import Pipeline
from regen.tasks.asr.compare import flat_metrics, held_out_data
from regen.tasks.asr.config import ASRRecipe
from regen.tasks.asr.evaluate import evaluate_split
from regen.tasks.asr.recognize import Recognizer
from regen.tasks.asr.train import renderer_job, train_asr
from regen.training.renderer_assets import RendererAsset, obtain

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


def shared_renderer(config: ASRRecipe) -> RendererAsset:
    """The renderer of ``config`` trained on unpaired text: the cached asset, trained now
    when missing (:mod:`regen.training.renderer_assets`: locked, resumable)."""
    return obtain(renderer_job(config), progress=False)


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
    # a data.source has no held-out voice: its split is absent, not empty
    return flat_metrics(
        {split: evaluate_split(recognizer, data) for split, data in held_out.items()}
    )
