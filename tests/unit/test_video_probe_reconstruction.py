"""benchmarks.video_probe_reconstruction reads decode(encode(dev clip)) of a trained run with
the probe's scorer: the VAE's own ceiling, on the run's own data settings."""

from __future__ import annotations

import torch

from benchmarks import video_probe_reconstruction as probe
from regen.config import load_recipe
from regen.tasks.video.train import train_pipeline
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)
from tests.video_tiny import TINY_VIDEO


def test_row_scores_the_runs_reconstructions_of_its_dev_clips(tmp_path, monkeypatch):
    config = load_recipe("recipes/video/latent_diffusion.yaml", [*TINY_VIDEO, "data.frames=2"])
    train_pipeline(config, tmp_path / "run", progress=False)
    seen = []
    real_scores = probe.hooks.caption_scores

    def scores(data, asked, clips, glyph_size):  # noqa: ANN001
        seen.append((len(asked), tuple(clips.shape), glyph_size))
        return real_scores(data, asked, clips, glyph_size)

    monkeypatch.setattr(probe.hooks, "caption_scores", scores)
    row = probe.reconstruction_row(tmp_path / "run")
    # the run's own data: its 12 test clips of 2 frames (fewer than the 64 dev clips asked)
    assert seen == [(12, (12, 2, 32, 32), 12)]
    assert 0.0 <= row["glyph_accuracy"] <= 1.0 and "caption_adherence" in row
    assert torch.isfinite(torch.tensor(list(row.values()))).all()
