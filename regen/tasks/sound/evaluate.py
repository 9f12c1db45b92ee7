"""Score sound pipelines on held-out captions (tunes never heard in training).

Systems, each on the same first ``eval.num_clips`` held-out clips and their captions:

- ``real``: the held-out clips themselves (the classifier's ceiling);
- ``codec resynthesis``: encode -> codes -> decode -> vocoder (the codec + renderer alone);
- ``codec resynthesis (griffin-lim)``: the codec alone, rendered by Griffin-Lim (when the
  renderer is a vocoder);
- ``vocoder resynthesis`` / ``griffin-lim resynthesis``: from the TRUE log-mel;
- ``regen``, ``direct`` (and ``direct_total``): generated from the caption alone; regen's
  guidance scale and temperature picked first on a dev split when ``eval.dev_clips`` is set
  (:mod:`regen.tasks.sound.dev_sampling`).

Caption adherence and the local FAD come from an attribute classifier trained here on the
real training clips (:mod:`regen.eval.audio_classifier`); the FAD reference is the held-out
real clips, and its controls are ``n`` real *training* clips (other tunes: the real-vs-real
floor), the same clips low-passed at 1 kHz and with white noise at 10 dB SNR (degraded
controls that must score worse than the floor). Generation speed is measured one caption at
a time (batch 1) on this machine's threads; memory is the process's peak resident set.
"""

from __future__ import annotations

import math
import resource
import time
from typing import Any

import torch

from regen.eval.audio_classifier import (
    AttributeClassifier,
    clip_outputs,
    train_attribute_classifier,
)
from regen.eval.audio_metrics import (
    adherence,
    frechet_distance,
    low_pass,
    reconstruction,
    with_noise,
)
from regen.pipeline import Pipeline
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.representations.codebook_usage import collapse_message, warn_if_collapsed
from regen.tasks.sound.build import mel_of
from regen.tasks.sound.config import SoundRecipeConfig
from regen.tasks.sound.corpus import ATTRIBUTES
from regen.tasks.sound.dev_sampling import choose_sampling, dev_split
from regen.tasks.sound.train import SoundData
from regen.training.logger import progress_bar


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (MiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(
    pipeline: Pipeline, captions: list[str], *, seed: int, progress: bool, **sampling: Any
) -> tuple[torch.Tensor, float]:
    """Waveforms [N, T] generated one caption at a time, and the compute seconds spent."""
    outputs, seconds = [], 0.0
    bar = progress_bar(f"generating ({pipeline.name})", len(captions), 0, progress, unit="clip")
    with torch.inference_mode():
        for i, text in enumerate(captions):
            x = pipeline.conditioner.encode([text])
            rng = torch.Generator().manual_seed(seed + i)
            start = time.perf_counter()
            wav = pipeline.render(pipeline.generate(x, generator=rng, **sampling), generator=rng)
            seconds += time.perf_counter() - start
            outputs.append(wav[0].clamp(-1, 1))
            bar.update(1)
    bar.close()
    length = min(len(w) for w in outputs)
    return torch.stack([w[:length] for w in outputs]), seconds


def true_mel_griffin_lim(renderer: Any) -> GriffinLimRenderer:
    """Griffin-Lim for the renderer's ceiling from the true mel: the recipe's own renderer
    when it is Griffin-Lim (its iterations), else Griffin-Lim's default beside the vocoder."""
    if isinstance(renderer.mel_renderer, GriffinLimRenderer):
        return renderer.mel_renderer
    return GriffinLimRenderer(renderer.mel_renderer.mel)


def codec_scores(
    regen: Pipeline, config: SoundRecipeConfig, real: torch.Tensor
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Bitrate, codebook usage, reconstruction at 1..Q levels, and the resynthesised clips."""
    rep, renderer = regen.representation, regen.renderer
    mel = rep.mel
    levels, size = rep.spec.shape[0], rep.spec.vocab_size
    with torch.inference_mode():
        codes = torch.cat([rep.encode(chunk) for chunk in real.split(16)])
        true_mel = torch.cat([mel.encode(chunk) for chunk in real.split(16)])
        griffin_lim = true_mel_griffin_lim(renderer)
        wavs = {"codec resynthesis": renderer.render(codes)}
        if not isinstance(renderer.mel_renderer, GriffinLimRenderer):
            # each stage's ceiling apart: the codec through Griffin-Lim, the renderer from
            # the true mel
            wavs["codec resynthesis (griffin-lim)"] = griffin_lim.render(rep.decode_mel(codes))
            wavs["vocoder resynthesis"] = renderer.mel_renderer.render(true_mel)
        wavs["griffin-lim resynthesis"] = griffin_lim.render(true_mel)
        by_levels = {}
        quantizer_dropout = rep.quantizer.quantize_dropout
        for q in range(1, levels + 1) if quantizer_dropout else [levels]:
            decoded = rep.decode_mel(codes[:, :q])
            by_levels[str(q)] = {
                "bitrate_bps": q * math.log2(size) * mel.sample_rate / mel.hop,
                "mel_l1_codes": float((decoded - true_mel).abs().mean()),
                **reconstruction(mel, real, renderer.mel_renderer.render(decoded)),
            }
    usage = rep.codebook_stats(real)
    collapsed = warn_if_collapsed(usage, "the sound codec")  # shown, and kept in results.json
    scores = {
        "levels": levels,
        "codebook_size": size,
        "frame_rate_hz": mel.sample_rate / mel.hop,
        "bitrate_bps": levels * math.log2(size) * mel.sample_rate / mel.hop,
        "usage": usage,
        "collapsed_levels": collapsed,
        "collapse_warning": collapse_message(usage, "the sound codec"),
        "by_levels": by_levels,
        "reconstruction": {name: reconstruction(mel, real, w) for name, w in wavs.items()},
    }
    return scores, wavs


def pick_sampling(
    regen: Pipeline, data: SoundData, config: SoundRecipeConfig, classifier: Any, scored: int
) -> tuple[dict[str, float], dict[str, Any] | None]:
    """The LM's guidance and temperature chosen on the dev split (``eval.dev_clips``), and
    the record of that choice; ``({}, None)`` when there is no dev split to choose on."""
    dev = dev_split(data.test, scored, config.eval.dev_clips) if config.eval.dev_clips else None
    if dev is None:
        return {}, None
    grid = {
        "guidance_scale": config.eval.guidance_grid,
        "temperature": config.eval.temperature_grid,
    }
    chosen, rows = choose_sampling(regen, dev, classifier, mel_of(config), grid, config.seed)
    return chosen, {"dev_clips": len(dev), "dev_tunes": len(set(dev.pieces)), "chosen": chosen,
                    "rule": "highest mean dev adherence", "grid": rows}  # fmt: skip


ATTRIBUTE_CLASSES = {name: len(names) for name, names in ATTRIBUTES.items()}
"""Classes per attribute of the local evaluator (its heads)."""


def attribute_classifier(config: SoundRecipeConfig, data: SoundData) -> AttributeClassifier:
    """The local evaluator: trained on the real training clips with the recipe's ``eval``
    settings and seed (so ``regen compare`` and every study point read with the same one)."""
    return train_attribute_classifier(
        mel_of(config),
        data.train.audio,
        data.train.attributes,
        ATTRIBUTE_CLASSES,
        steps=config.eval.classifier_steps,
        batch_size=config.eval.classifier_batch,
        crop_frames=config.eval.crop_frames,
        seed=config.seed,
    )


def evaluate_sound(
    runs: dict[str, Pipeline],
    data: SoundData,
    config: SoundRecipeConfig,
    *,
    progress: bool = False,
) -> tuple[dict[str, dict[str, float]], dict[str, Any], dict[str, torch.Tensor]]:
    """Metrics per system, the codec/control details, and every system's clips."""
    n = min(config.eval.num_clips, len(data.test))
    test = data.test.subset(list(range(n)))
    mel = mel_of(config)
    classifier = attribute_classifier(config, data)
    g = torch.Generator().manual_seed(config.seed)
    floor_index = torch.randperm(len(data.train), generator=g)[:n]
    other_real = data.train.audio[floor_index]
    codec, wavs = codec_scores(runs["regen"], config, test.audio)
    wavs = {"real": test.audio, **wavs}
    sampling, dev_sampling = pick_sampling(runs["regen"], data, config, classifier, n)
    timing = {}
    for label, pipeline in runs.items():
        wavs[label], seconds = generate(
            pipeline,
            test.captions,
            seed=config.seed,
            progress=progress,
            **({} if pipeline.is_direct else sampling),
        )
        timing[label] = {
            "realtime_speedup": wavs[label].shape[0]
            * wavs[label].shape[1]
            / mel.sample_rate
            / max(seconds, 1e-9),
            "peak_rss_mb": peak_rss_mb(),
        }
    real_outputs = clip_outputs(classifier, mel, test.audio)
    reference = real_outputs[0]
    metrics: dict[str, dict[str, float]] = {}
    for name, audio in wavs.items():
        # wavs["real"] is test.audio itself: its outputs are the reference's
        features, predicted = (
            real_outputs if name == "real" else clip_outputs(classifier, mel, audio)
        )
        metrics[name] = adherence(predicted, test.attributes)
        # the reference itself scores 0 by construction: its floor is the real-vs-real control
        fad = frechet_distance(features, reference) if name != "real" else float("nan")
        metrics[name]["local_fad"] = fad
        metrics[name].update(timing.get(name, {}))
    controls = {
        "real vs real (other tunes, floor)": other_real,
        "real low-passed at 1 kHz": low_pass(other_real, mel.sample_rate, 1000.0),
        "real + white noise at 10 dB SNR": with_noise(other_real, 10.0, config.seed),
    }
    fad_controls = {}
    for name, audio in controls.items():
        features, predicted = clip_outputs(classifier, mel, audio)
        fad_controls[name] = {"local_fad": frechet_distance(features, reference)}
    extra = {
        "codec": codec,
        "systems": metrics,
        "fad_controls": fad_controls,
        "dev_sampling": dev_sampling,
        "classifier": {
            "trained_on": f"{len(data.train)} real training clips",
            "steps": config.eval.classifier_steps,
            "real_test_adherence": metrics["real"],
        },
    }
    return {label: metrics[label] for label in runs}, extra, wavs
