"""The video task end to end on a tiny recipe: compare (train, budget, evaluate, report),
the report in Chromium with its animations decoding, load_run, and ``regen video``."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from regen.cli import main
from regen.report.browser import find_chromium, render_in_chromium
from regen.runs import load_run
from tests.video_tiny import TINY_VIDEO

ROOT = Path(__file__).resolve().parents[2]
RECIPE = str(ROOT / "recipes" / "video" / "latent_tokens.yaml")


def played_ms(animation: Image.Image) -> int:
    total = 0
    for index in range(animation.n_frames):
        animation.seek(index)
        total += animation.info["duration"]
    return total


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("video") / "compare"
    assert main(["compare", RECIPE, *TINY_VIDEO, "--out", str(out)]) == 0
    return out


def test_compare_writes_metrics_controls_and_a_report_whose_animations_decode(compared):
    results = json.loads((compared / "results.json").read_text())
    assert results["task"] == "video" and results["baseline"] == "video_direct"
    regen, direct = results["pipelines"][:2]
    for record in (regen, direct):
        for metric in ("caption_adherence", "local_fvd", "sampling_clips_per_s", "parameters"):
            assert math.isfinite(record["metrics"][metric]), (record["label"], metric)
            assert metric in results["metric_notes"]
    reconstruction = ("psnr_reconstruction", "ssim_reconstruction", "codebook_usage")
    # the ceiling of the tokens: decode(encode(real clip)) read like the generated clips
    ceiling = ("caption_adherence_reconstruction", "direction_accuracy_reconstruction")
    for metric in reconstruction + ceiling:
        assert metric in regen["metrics"] and metric not in direct["metrics"]
    # samples rule: the baseline saw as many training clips as regen's two stages together
    assert direct["metrics"]["samples_seen"] == regen["metrics"]["samples_seen"] == 32
    assert set(results["controls"]) >= {"local_fvd_real_vs_real", "local_fvd_blurred"}

    report = compared / "report.html"
    text = report.read_text()
    gifs = re.findall(r'src="data:image/gif;base64,([^"]+)"', text)
    assert len(gifs) == 2 * 4  # 2 captions x real, reconstructed, regen, direct
    for data in gifs:
        animation = Image.open(io.BytesIO(base64.b64decode(data)))
        assert animation.size == (96, 96) and animation.info["loop"] == 0
        # GIF merges repeated frames into longer ones: the play time still covers 16 frames
        assert played_ms(animation) == 16 * 100
    if find_chromium() is not None:
        dom = render_in_chromium(report)
        total = re.search(r'data-images-total="(\d+)"', dom).group(1)
        assert int(total) >= len(gifs) and f'data-images-loaded="{total}"' in dom
    report.unlink()
    assert main(["report", str(compared)]) == 0 and report.is_file()


def test_load_run_and_regen_video_write_an_animation(compared, tmp_path, capsys):
    run = compared / "video_latent_tokens"
    pipeline, config = load_run(run, task="video")
    assert config.name == "video_latent_tokens" and pipeline.spec.shape == (4, 8, 8)
    first = pipeline.sample(["the letter A moves right slowly"], seed=3)
    again = pipeline.sample(["the letter A moves right slowly"], seed=3)
    assert first.shape == (1, 16, 32, 32) and torch.equal(first, again)

    out = tmp_path / "a.webp"
    args = ["video", "the letter A moves right", "--run", str(run), "--out", str(out)]
    assert main([*args, "--frames", "8"]) == 0
    animation = Image.open(out)
    assert animation.format == "WEBP" and animation.n_frames == 8
    assert main([*args, "--frames", "17"]) == 2
    assert "this model makes 16 frames" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("caption", "extra", "message"),
    [
        ("  ", [], "the caption is empty"),
        ("the letter Ж moves right", [], "unknown glyph"),
        ("the letter A moves right", ["--frames", "0"], "--frames is 0"),
        ("the letter A moves right", ["--out", "a.png"], "use a file name ending in .webp"),
        ("the letter A wiggles", [], "cannot read"),
    ],
)
def test_regen_video_refuses_bad_input_in_one_line(caption, extra, message, tmp_path, capsys):
    args = ["video", caption, "--run", str(tmp_path / "missing"), "--out", str(tmp_path / "a.gif")]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_regen_video_writes_mp4_when_pyav_is_installed(compared, tmp_path):
    iio = pytest.importorskip("imageio.v3")
    pytest.importorskip("av")
    out = tmp_path / "a.mp4"
    run = compared / "video_latent_tokens"
    assert main(["video", "the digit 7 moves left", "--run", str(run), "--out", str(out)]) == 0
    frames = iio.imread(out, plugin="pyav")
    assert frames.shape == (16, 128, 128, 3)


def test_the_masked_token_recipe_trains_saves_loads_and_generates(tmp_path):
    run = tmp_path / "masked"
    recipe = str(ROOT / "recipes" / "video" / "masked_tokens.yaml")
    assert main(["train", recipe, *TINY_VIDEO, "--out", str(run)]) == 0
    pipeline, config = load_run(run, task="video")
    assert config.generator.kind == "masked"
    assert type(pipeline.generator).__name__ == "MaskedTokenGenerator"
    clips = pipeline.sample(["the digit 4 moves down quickly"] * 2, seed=1)
    assert clips.shape == (2, 16, 32, 32)
    assert torch.equal(clips, pipeline.sample(["the digit 4 moves down quickly"] * 2, seed=1))


def test_the_latent_diffusion_recipe_trains_calibrates_saves_loads_and_generates(tmp_path):
    run = tmp_path / "latent"
    recipe = str(ROOT / "recipes" / "video" / "latent_diffusion.yaml")
    assert main(["train", recipe, *TINY_VIDEO, "--out", str(run)]) == 0
    pipeline, config = load_run(run, task="video")
    assert config.representation.kind == "frame_vae"
    assert pipeline.spec.shape == (64, 8, 8)
    # the calibrated latent scale was saved with the weights, not left at the identity
    assert not torch.equal(pipeline.representation.vae.scale, torch.ones(4))
    clips = pipeline.sample(["the letter B moves up slowly"] * 2, seed=3)
    assert clips.shape == (2, 16, 32, 32)
    assert torch.equal(clips, pipeline.sample(["the letter B moves up slowly"] * 2, seed=3))


def test_compare_runs_the_latent_diffusion_recipe_against_pixel_diffusion(tmp_path):
    out = tmp_path / "compare"
    recipe = str(ROOT / "recipes" / "video" / "latent_diffusion.yaml")
    assert main(["compare", recipe, *TINY_VIDEO, "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    regen, direct = results["pipelines"][:2]
    assert results["baseline"] == "video_direct" and "per-frame vae latent" in regen["name"]
    assert direct["metrics"]["samples_seen"] == regen["metrics"]["samples_seen"]
    for metric in (
        "psnr_reconstruction",
        "ssim_reconstruction",
        "caption_adherence_reconstruction",
    ):
        assert math.isfinite(regen["metrics"][metric])
    assert "codebook_usage" not in regen["metrics"]  # a continuous Y' has no codebook
