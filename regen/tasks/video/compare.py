"""The video task's ``regen compare`` hooks (see :mod:`regen.compare.harness`).

Both pipelines generate clips for the captions of one half of the held-out (unseen-font)
clips; the other half is the real reference of the local FVD. Scores come from the factor
classifier trained here on the training clips (regen/eval/video_classifier.py): caption
adherence (all three factors right), per-factor accuracy, adherence on the clips whose
glyph x direction never occurs in training, local FVD, and sampling speed. The controls
(real vs real, blurred, frame-shuffled) and the classifier's accuracy on the real clips
bound what the numbers can be. Clips for the report go to ``clips.safetensors``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from regen.compare.records import by_label, read_results
from regen.contracts import Codebook
from regen.data.glyphs import CHARACTERS
from regen.data.moving_glyphs import DIRECTIONS, SPEEDS, ClipSet
from regen.eval.classifier import DomainClassifier
from regen.eval.video_classifier import FactorClassifier, embed, get_factor_classifier
from regen.eval.video_glyphs import get_glyph_classifier, glyph_scores
from regen.eval.video_metrics import adherence, control_rows, local_fvd, reconstruction_scores
from regen.pipeline import Pipeline
from regen.report.html import machine_info
from regen.report.html import write_report as write_html
from regen.report.video import clip_table_html
from regen.tasks.video.build import build_pipeline
from regen.tasks.video.config import VideoRecipeConfig
from regen.tasks.video.data import load_split
from regen.tasks.video.train import train_pipeline
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

CLIPS_FILE = "clips.safetensors"
FEATURES = (
    "Local FVD is the Fréchet distance in the pooled features of a small 3-D CNN trained here "
    "on the real training clips to predict glyph, direction and speed (no I3D weights); it "
    "compares systems on this dataset only and is NOT comparable with published FVD."
)
METRIC_NOTES = {
    "caption_adherence": "glyph, direction and speed all read as the caption says, higher is better",
    "glyph_accuracy": "the clip's most frequent per-frame glyph = the caption's, higher is better",
    "frame_glyph_accuracy": "frames whose glyph (image domain classifier) = the caption's, higher is better",
    "temporal_consistency": "frames agreeing with the clip's most frequent glyph, higher is better",
    "direction_accuracy": "factor classifier's direction = the caption's, higher is better",
    "speed_accuracy": "factor classifier's speed band = the caption's, higher is better",
    "caption_adherence_unseen_combo": "adherence on captions whose glyph x direction is never in training, higher is better",
    "local_fvd": "local FVD vs held-out real clips (not comparable with published FVD), lower is better",
    "psnr_reconstruction": "PSNR (dB) per frame of decode(encode(clip)), higher is better",
    "ssim_reconstruction": "SSIM per frame of decode(encode(clip)), higher is better",
    "local_fvd_reconstruction": "local FVD of decode(encode(clip)), lower is better",
    "caption_adherence_reconstruction": "adherence of decode(encode(clip)) for the same captions: the ceiling Y' sets, higher is better",
    "glyph_accuracy_reconstruction": "glyph accuracy of decode(encode(clip)), higher is better",
    "direction_accuracy_reconstruction": "direction accuracy of decode(encode(clip)), higher is better",
    "speed_accuracy_reconstruction": "speed accuracy of decode(encode(clip)), higher is better",
    "codebook_usage": "fraction of codes used on held-out clips, higher is better",
    "codebook_perplexity": "perplexity of code use on held-out clips, higher is better",
    "sampling_clips_per_s": "clips generated per second on this machine, higher is better",
    "parameters": "trainable parameters of the generator (and representation)",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "training budget: optimizer steps x batch summed over stages",
}


@dataclass
class VideoData:
    """Train clips, the held-out reference and probe halves, and the two classifiers."""

    train: ClipSet
    reference: ClipSet
    probe: ClipSet
    classifier: FactorClassifier
    glyph_classifier: DomainClassifier


def factor_labels(clips: ClipSet) -> dict[str, torch.Tensor]:
    return {"glyph": clips.glyph, "direction": clips.direction, "speed": clips.speed}


def load_data(config: VideoRecipeConfig) -> VideoData:
    train = load_split(config.data, "train", config.seed)
    test = load_split(config.data, "test", config.seed)
    half = len(test) // 2
    classifier = get_factor_classifier(
        train.clips,
        factor_labels(train),
        {"glyph": len(CHARACTERS), "direction": len(DIRECTIONS), "speed": len(SPEEDS)},
        steps=config.eval.classifier_steps,
        seed=config.seed,
    )
    glyphs = get_glyph_classifier(
        config.data.glyph_size, config.data.holdout_fraction, config.eval.classifier_steps
    )
    reference = test.subset(torch.arange(half))
    probe = test.subset(torch.arange(half, 2 * half))
    return VideoData(train, reference, probe, classifier, glyphs)


def learned_stages(config: VideoRecipeConfig) -> list[str]:
    return ["generator"] if config.is_direct else ["representation", "generator"]


def train(
    config: VideoRecipeConfig, run_dir: Path, *, data: VideoData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_pipeline(config, run_dir, resume=resume, progress=progress, data=data.train)


def probe_step_seconds(direct_config: VideoRecipeConfig, data: VideoData) -> float:
    """One optimizer step of the baseline's pixel-diffusion generator, timed."""
    pipeline = build_pipeline(direct_config, data.train.clip_shape)
    size = direct_config.train.generator.batch_size
    batch = {
        "x": pipeline.conditioner.encode(data.train.captions[:size]),
        "y_prime": data.train.clips[:size],
    }
    return best_step_seconds(pipeline.generator.train(), lambda: batch)


def describe(label: str, pipeline: Pipeline, cfg: VideoRecipeConfig) -> str:
    if pipeline.is_direct:
        return f"pixel diffusion on {pipeline.spec.name} (2-D UNet, frames as channels)"
    return f"{pipeline.spec.name} + {cfg.generator.kind}"


def parameters(pipeline: Pipeline) -> float:
    return float(sum(p.numel() for m in pipeline.modules().values() for p in m.parameters()))


def sample_timed(
    pipeline: Pipeline, captions: list[str], cfg: VideoRecipeConfig
) -> tuple[torch.Tensor, float]:
    """Clips for ``captions`` and clips per second (after a two-clip warm-up)."""
    pipeline.sample(captions[:2], seed=cfg.seed)
    start = time.perf_counter()
    clips = pipeline.sample(captions, seed=cfg.seed, batch_size=cfg.eval.batch_size)
    return clips, len(captions) / (time.perf_counter() - start)


def caption_scores(
    data: VideoData, asked_clips: ClipSet, fake: torch.Tensor, glyph_size: int
) -> dict[str, float]:
    """Adherence (joint and per factor), glyph scores and unseen-combination adherence of
    clips ``fake`` generated for the captions of ``asked_clips``."""
    asked, unseen = factor_labels(asked_clips), asked_clips.unseen
    scores, glyph = glyph_scores(data.glyph_classifier, fake, asked["glyph"], glyph_size)
    scores.update(adherence(data.classifier, fake, asked, glyph))
    if unseen.any():
        subset = {k: v[unseen] for k, v in asked.items()}
        scores["caption_adherence_unseen_combo"] = adherence(
            data.classifier, fake[unseen], subset, glyph[unseen]
        )["caption_adherence"]
    return scores


def evaluate(
    runs: dict[str, tuple[Pipeline, VideoRecipeConfig]],
    data: VideoData,
    config: VideoRecipeConfig,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # only a task whose evaluate trains (text) reads it
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Metrics of every pipeline, the control rows, and the clips the report plays."""
    model, reference, probe = data.classifier, data.reference.clips, data.probe
    ref = embed(model, reference)  # every local FVD below is against these features
    unseen = probe.unseen
    shown = config.eval.clips_in_report
    metrics: dict[str, dict[str, float]] = {}
    clips = {"real": probe.clips[:shown]}

    def read(fake: torch.Tensor) -> dict[str, float]:
        return caption_scores(data, probe, fake, config.data.glyph_size)

    for label, (pipeline, cfg) in runs.items():
        fake, speed = sample_timed(pipeline, probe.captions, cfg)
        scores = read(fake)
        scores["local_fvd"] = local_fvd(model, ref, fake)
        scores["sampling_clips_per_s"] = speed
        scores["parameters"] = parameters(pipeline)
        if not pipeline.is_direct:
            rebuilt, rebuilt_scores = reconstruction_metrics(pipeline, probe.clips, ref, model)
            scores.update(rebuilt_scores)
            # the ceiling Y' sets: the same reading of decode(encode(real clip))
            scores.update({f"{k}_reconstruction": v for k, v in read(rebuilt).items()})
            clips["reconstructed"] = rebuilt[:shown]
        metrics[label] = scores
        clips[label] = fake[:shown]
    controls = {f"local_fvd_{k}": v for k, v in control_rows(model, ref, probe.clips).items()}
    controls.update({f"real_{k}": v for k, v in read(probe.clips).items()})
    save_file({k: v.float().contiguous() for k, v in clips.items()}, Path(out_dir) / CLIPS_FILE)
    extra = {
        "features": FEATURES,
        "controls": controls,
        "clip_captions": probe.captions[:shown],
        "data": {
            "train": len(data.train),
            "reference": len(reference),
            "probe": len(probe),
            "unseen_combo_probe": int(unseen.sum()),
            "clip_shape": list(data.train.clip_shape),
            "source": data.train.source,
        },
        "fps": config.eval.fps,
    }
    return metrics, extra


def reconstruction_metrics(
    pipeline: Pipeline, clips: torch.Tensor, ref: torch.Tensor, model: FactorClassifier
) -> tuple[torch.Tensor, dict[str, float]]:
    """decode(encode(clips)), and how well tokens -> clip works from true tokens (local FVD
    against the reference features ``ref``) and how the codebook is used."""
    with torch.no_grad():
        rebuilt = torch.cat([pipeline.render(pipeline.encode(c)) for c in clips.split(64)])
    scores = reconstruction_scores(clips, rebuilt)
    scores["local_fvd_reconstruction"] = local_fvd(model, ref, rebuilt)
    rep = pipeline.representation
    if isinstance(rep, Codebook):
        scores.update({f"codebook_{k}": v for k, v in rep.codebook_stats(clips).items()})
    return rebuilt, scores


def _controls_html(controls: dict[str, float]) -> str:
    rows = "".join(
        f"<tr><th>{name}</th><td class='num'>{value:.4g}</td></tr>"
        for name, value in controls.items()
    )
    return (
        "<p>Floors and references measured on real held-out clips with the same classifier: "
        "local FVD of a second real set, of the same clips blurred (3x3 box) and with their "
        "frames shuffled; the classifier's own accuracy on the real clips.</p>"
        f"<table>{rows}</table>"
    )


def write_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` from results.json and clips.safetensors."""
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    clips = load_file(str(out_dir / CLIPS_FILE))
    runs = by_label(results)
    regen_m, direct_m = runs["regen"]["metrics"], runs["direct"]["metrics"]
    controls = results["controls"]
    summary = (
        f"Regeneration ({runs['regen']['name']}) vs direct ({runs['direct']['name']}) on "
        f"{results['data']['train']} training clips, scored on {results['data']['probe']} "
        f"clips of unseen fonts. Caption adherence {regen_m['caption_adherence']:.3f} vs "
        f"{direct_m['caption_adherence']:.3f} (real clips {controls['real_caption_adherence']:.3f}); "
        f"local FVD {regen_m['local_fvd']:.2f} vs {direct_m['local_fvd']:.2f} (real vs real "
        f"{controls['local_fvd_real_vs_real']:.2f}); sampling "
        f"{regen_m['sampling_clips_per_s']:.2f} vs {direct_m['sampling_clips_per_s']:.2f} clips/s."
    )
    order = ["real", "reconstructed", *[r["label"] for r in results["pipelines"]]]
    columns = {name: clips[name] for name in order if name in clips}
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "views": results.get("views"),
        "features": results["features"],
        "machine": machine_info(),
        "pipelines": results["pipelines"],
        "metric_notes": results["metric_notes"],
        "extra_sections": [
            {
                "title": "Clips: real, reconstructed, regen and direct, playing side by side",
                "html": clip_table_html(results["clip_captions"], columns, fps=results["fps"]),
            },
            {
                "title": "Controls (local FVD floors, real-clip accuracy)",
                "html": _controls_html(controls),
            },
        ],
    }
    return write_html(report, out_dir / "report.html")
