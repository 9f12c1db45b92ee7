"""The HTML comparison report and its plots, from a synthetic report dict."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from regen.report.html import machine_info, render_report, write_report
from regen.report.plots import image_grid_png, line_plot_png, loss_curves_png

CLASSES = ["A", "B", "<C&>"]
PER_CLASS = 4
METRICS = ["fid", "kid", "accuracy", "sampling_images_per_s", "train_seconds"]


def _pipeline(name: str, fid: float, accuracy: float, channels: int, seed: int) -> dict:
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(len(CLASSES), PER_CLASS, channels, 8, 8, generator=generator) * 2 - 1
    return {
        "name": name,
        "recipe_name": name.replace(" ", "_"),
        "config_yaml": f"name: {name}\ngenerator:\n  kind: diffusion  # <b>not bold</b>\n",
        "metrics": {
            "fid": fid,
            "kid": 0.01,
            "accuracy": accuracy,
            "sampling_images_per_s": 120.0,
            "train_seconds": 61234.5,
        },
        "stages": [
            {"name": "representation", "steps": 800, "samples_seen": 51200, "seconds": 40.2},
            {"name": "generator", "steps": 700, "samples_seen": 44800, "seconds": 35.0},
        ],
        "curves": {
            "representation": [[s, 1.0 / (s + 1)] for s in range(0, 800, 10)],
            "generator": [[s, 0.5 + 0.1 * np.sin(s)] for s in range(0, 700, 10)],
        },
        "grid": {"class_names": CLASSES, "images": images},
    }


@pytest.fixture()
def report() -> dict:
    regen = _pipeline("regen vae+diffusion", fid=10.0, accuracy=0.9, channels=1, seed=0)
    regen["reconstructions"] = {
        "real": np.zeros((5, 1, 8, 8), np.float32),
        "reconstructed": np.ones((5, 1, 8, 8), np.float32),
    }
    direct = _pipeline("direct", fid=20.0, accuracy=0.8, channels=1, seed=1)
    return {
        "title": "regen compare: <glyphs> & friends",
        "summary": "regen beats direct on FID <b>by 2x</b>.",
        "budget": "each pipeline trained on 96,000 samples",
        "features": "FID/KID use the penultimate features of regen's classifier",
        "machine": machine_info(),
        "pipelines": [regen, direct],
        "real_grid": {"class_names": CLASSES, "images": np.zeros((3, PER_CLASS, 1, 8, 8))},
        "metric_notes": {
            "fid": "lower is better",
            "kid": "lower is better",
            "accuracy": "higher is better (regen's classifier)",
        },
    }


def _pngs(page: str) -> list[Image.Image]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in found]


def _metric_cells(page: str, metric: str) -> list[str]:
    row = re.search(rf"<tr><td>{metric}</td>(.*?)</tr>", page)
    assert row, f"no row for {metric}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_report_has_metrics_table_with_all_metrics_and_best_highlighted(report: dict) -> None:
    page = render_report(report)
    assert '<table class="metrics">' in page
    for metric in METRICS:
        assert f"<tr><td>{metric}</td>" in page
    best = re.findall(r'<td class="num best">([^<]*)</td>', page)
    assert best == ["10", "0.9"]  # fid (lower) and accuracy (higher); kid ties, others no note
    assert "<th>ratio" in page and _metric_cells(page, "fid")[2] == "0.5×"  # regen / direct
    assert _metric_cells(page, "train_seconds")[0] == "61,234"
    assert "lower is better" in page and "higher is better" in page


def test_report_escapes_all_text(report: dict) -> None:
    page = render_report(report)
    assert "regen compare: &lt;glyphs&gt; &amp; friends" in page
    assert "<b>by 2x</b>" not in page and "&lt;b&gt;by 2x&lt;/b&gt;" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page  # inside the config <pre>
    assert "&lt;C&amp;&gt;" in page and "<C&>" not in page
    assert page.count("<script>") == 1  # only the image-count script


def test_report_embeds_one_png_per_grid_cell_plus_reconstructions_and_curves(report: dict) -> None:
    images = _pngs(render_report(report))
    columns = 3  # real + two pipelines
    assert len(images) == columns * len(CLASSES) + 2 + 2  # strips, recon rows, loss curves
    strip = images[0]
    assert strip.size == (PER_CLASS * 9 + 1, 10)  # 8x8 images with 1 px separators
    assert strip.mode == "L"


def test_report_section_order_and_self_contained(report: dict, tmp_path) -> None:
    path = write_report(report, tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    order = ["metrics", "samples", "reconstructions", "curves", "training", "configs", "machine"]
    positions = [page.index(f'<section id="{name}">') for name in order]
    assert positions == sorted(positions)
    assert "http://" not in page and "https://" not in page
    assert "<details><summary>" in page and "Budget." in page and "Features." in page
    assert '<tr class="total">' in page and "96,000" in page  # 51,200 + 44,800 samples seen


def test_ratio_column_only_for_two_pipelines(report: dict) -> None:
    report["pipelines"].append(_pipeline("third", fid=5.0, accuracy=0.95, channels=1, seed=2))
    page = render_report(report)
    assert "<th>ratio" not in page
    assert re.findall(r'<td class="num best">([^<]*)</td>', page) == ["5", "0.95"]


def test_missing_optional_parts_are_left_out() -> None:
    page = render_report({"title": "bare", "pipelines": [{"name": "only"}]})
    assert "<h1>bare</h1>" in page
    assert "<section" not in page and "data:image/png" not in page


def test_rgb_grids_missing_classes_nan_metrics_and_extra_sections(report: dict) -> None:
    direct = report["pipelines"][1]
    direct["grid"] = {"class_names": ["A", "Z"], "images": torch.zeros(2, 2, 3, 8, 8)}
    direct["metrics"]["fid"] = float("nan")
    del report["pipelines"][0]["metrics"]["kid"]
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    report["extra_sections"] = [
        {"title": "Study", "html": "<p id='trusted'>made by regen</p>"},
        {"title": "Figure", "figure": figure},
        {"title": "Bytes", "figure": line_plot_png({"a": [(1, 2), (3, 4)]}, "x", "y")},
    ]
    page = render_report(report)
    assert "<p id='trusted'>made by regen</p>" in page
    assert "<td>Z</td>" not in page and '<td class="cls">Z</td>' in page  # union of classes
    assert _metric_cells(page, "fid")[1] == "nan" and _metric_cells(page, "fid")[2] == "—"
    assert _metric_cells(page, "kid")[0] == "—"
    assert any(image.mode == "RGB" for image in _pngs(page))
    with pytest.raises(ValueError, match="needs 'html' or 'figure'"):
        render_report({**report, "extra_sections": [{"title": "empty"}]})


def test_image_grid_png_shape_scale_and_range() -> None:
    images = np.full((2, 3, 3, 4, 5), 2.0)  # out of range: clipped to white
    grid = Image.open(io.BytesIO(image_grid_png(images, scale=2)))
    assert grid.size == ((3 * 6 + 1) * 2, (2 * 5 + 1) * 2)
    assert grid.mode == "RGB" and grid.getpixel((2, 2)) == (255, 255, 255)
    assert grid.getpixel((0, 0)) == (128, 128, 128)  # separator
    with pytest.raises(ValueError, match="C in"):
        image_grid_png(np.zeros((1, 1, 4, 4, 4)))


def test_plots_are_pngs() -> None:
    curves = {"stage": [(s, -1.0 + s) for s in range(100)]}  # non-positive: linear axis
    for png in (loss_curves_png(curves), line_plot_png({"a": [(0.1, 1), (1, 2)]}, "x", "y", True)):
        assert Image.open(io.BytesIO(png)).format == "PNG"


def test_machine_info_fields() -> None:
    info = machine_info()
    assert {"cpu", "cores", "torch", "python", "date"} <= set(info)
    assert info["cores"] >= 1 and info["torch"] == torch.__version__
