"""The video Y': the 3-D VQ-VAE's shapes, spec and loss, and the GPT reading its (t, h, w)
token volume frame after frame (``leading_levels=False``)."""

from __future__ import annotations

import pytest
import torch

from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.generators.autoregressive import AutoregressiveGenerator
from regen.representations.video_vq import VideoVQ
from regen.tasks.video.config import GeneratorConfig, VideoRepresentationConfig
from regen.tasks.video.data import CaptionConditioner


def test_video_vq_maps_clips_to_a_token_volume_and_back():
    torch.manual_seed(0)
    cfg = VideoRepresentationConfig(time_factor=2, space_factor=4, hidden=16, codebook_size=32)
    vq = VideoVQ((16, 32, 32), cfg)
    clips = torch.rand(2, 16, 32, 32) * 2 - 1
    assert vq.spec.shape == (8, 8, 8) and vq.spec.vocab_size == 32
    loss, logs = vq.training_loss({"y": clips})
    loss.backward()
    assert torch.isfinite(loss) and vq.encoder.body[0].weight.grad is not None
    assert {"l1", "mse", "commitment", "usage", "perplexity"} <= set(logs)
    ids = vq.eval().encode(clips)
    vq.spec.check(ids, "test")
    rebuilt = vq.decode(ids)
    assert rebuilt.shape == clips.shape and rebuilt.abs().max() <= 1.0
    assert set(vq.codebook_stats(clips)) == {"usage", "perplexity"}


def test_time_downsampling_may_not_exceed_space_downsampling():
    with pytest.raises(ConfigError, match="time_factor"):
        VideoVQ((16, 32, 32), VideoRepresentationConfig(time_factor=8, space_factor=4))
    with pytest.raises(ConfigError, match="space_factor"):
        VideoVQ((16, 32, 32), VideoRepresentationConfig(space_factor=3))


def test_the_gpt_reads_video_tokens_in_raster_order_and_samples_them():
    spec = YSpec(kind="discrete", shape=(2, 3, 4), dtype="int64", vocab_size=30)
    cfg = GeneratorConfig(hidden=32, depth=1, heads=4)
    raster = AutoregressiveGenerator(spec, cfg, num_classes=0, leading_levels=False)
    levels = AutoregressiveGenerator(spec, cfg, num_classes=0)
    volume = torch.arange(24).view(1, 2, 3, 4)
    assert raster.to_sequence(volume).tolist() == [list(range(24))]  # frame 0, then frame 1
    assert levels.to_sequence(volume).tolist() != [list(range(24))]  # (levels, h, w) order
    assert torch.equal(raster.from_sequence(raster.to_sequence(volume)), volume)
    x = CaptionConditioner().encode(["the letter A moves right"])
    tokens = raster.eval().sample(x, generator=torch.Generator().manual_seed(0))
    assert tokens.shape == (1, 2, 3, 4)
