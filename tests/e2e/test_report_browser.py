"""A comparison report opened in headless Chromium: images decode, the metrics table renders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from regen.errors import RegenError
from regen.report import browser
from regen.report.browser import find_chromium, render_in_chromium
from regen.report.html import machine_info, write_report

CLASSES = list(string.ascii_uppercase + string.digits)
PER_CLASS = 6
SIZE = 32
METRICS = ["fid", "kid", "precision", "recall", "accuracy", "psnr_reconstruction"]


def _glyphs(noise: float, seed: int) -> np.ndarray:
    """[36, PER_CLASS, 1, 32, 32] dark glyphs on white in [-1, 1], with pixel noise."""
    rng = np.random.default_rng(seed)
    font = ImageFont.load_default(size=24)
    out = np.empty((len(CLASSES), PER_CLASS, 1, SIZE, SIZE), np.float32)
    for k, name in enumerate(CLASSES):
        for i in range(PER_CLASS):
            image = Image.new("L", (SIZE, SIZE), 255)
            ImageDraw.Draw(image).text((SIZE / 2 + i % 3 - 1, SIZE / 2), name, 0, font, "mm")
            pixels = np.asarray(image, np.float32) / 127.5 - 1
            out[k, i, 0] = np.clip(pixels + rng.normal(0, noise, pixels.shape), -1, 1)
    return out


def _pipeline(name: str, noise: float, fid: float, seed: int) -> dict:
    steps = np.arange(0, 400, 4)
    return {
        "name": name,
        "recipe_name": f"glyphs_{name.split()[0]}",
        "config_yaml": f"name: glyphs_{name.split()[0]}\ntrain:\n  steps: 400\n",
        "metrics": dict(zip(METRICS, [fid, fid / 1000, 0.7, 0.6, 0.9 - noise, 20.0 - noise])),
        "stages": [{"name": "generator", "steps": 400, "samples_seen": 25600, "seconds": 12.5}],
        "curves": {"generator": [(int(s), 1.0 / (1 + s / 50) + 0.02) for s in steps]},
        "grid": {"class_names": CLASSES, "images": _glyphs(noise, seed)},
    }


def test_render_in_chromium_names_the_fix_when_chromium_is_missing(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(browser, "find_chromium", lambda: None)
    with pytest.raises(RegenError, match="apt-get install chromium"):
        render_in_chromium(tmp_path / "report.html")


@pytest.mark.skipif(
    find_chromium() is None, reason="chromium not installed (apt-get install chromium)"
)
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    regen = _pipeline("regen (vae latent + diffusion)", noise=0.15, fid=12.3, seed=1)
    real = _glyphs(0.0, 0)[:, :8]
    regen["reconstructions"] = {"real": real[:8, 0], "reconstructed": _glyphs(0.1, 3)[:8, 0]}
    direct = _pipeline("direct", noise=0.5, fid=31.0, seed=2)
    report = {
        "title": "regen compare: glyphs_latent_diffusion vs glyphs_direct",
        "summary": "Synthetic end-to-end test report: the numbers and samples are made up.",
        "budget": "each pipeline trained on 25,600 samples (steps x batch summed over stages)",
        "features": "FID/KID use the penultimate features of a classifier trained by regen.",
        "machine": machine_info(),
        "pipelines": [regen, direct],
        "real_grid": {"class_names": CLASSES, "images": real},
        "metric_notes": {m: "higher is better" for m in METRICS}
        | {
            "fid": "lower is better",
            "kid": "lower is better",
        },
    }
    page = write_report(report, tmp_path / "report.html")
    screenshot = tmp_path / "report.png"

    dom = render_in_chromium(page, screenshot=screenshot)

    expected_images = 3 * len(CLASSES) + 2 + 2  # sample strips, reconstruction rows, curves
    assert f'data-images-total="{expected_images}"' in dom
    assert f'data-images-loaded="{expected_images}"' in dom
    table = re.search(r'<table class="metrics">(.*?)</table>', dom, re.S)
    assert table, "metrics table missing from the rendered DOM"
    assert re.findall(r"<tr><td>([^<]*)</td>", table.group(1)) == METRICS
    assert Image.open(screenshot).size == (1280, 2000)
