"""Pictures for the report, as PNG bytes: image grids (Pillow) and line plots (matplotlib, Agg).

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas directly, never through
``pyplot``: no global figure state, no GUI backend, safe to call from any thread or a
headless training job.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

Series = Sequence[Sequence[float]]
"""Points of one line, ``[(x, y), ...]``."""

_SMOOTH_ABOVE = 50  # curves with more points than this also get a moving average


def to_numpy(images: Any) -> np.ndarray:
    """A tensor or array-like as a float32 numpy array on the CPU."""
    if isinstance(images, torch.Tensor):
        return images.detach().to("cpu", torch.float32).numpy()
    return np.asarray(images, dtype=np.float32)


def image_grid_png(images: Any, scale: int = 1, pad: int = 1) -> bytes:
    """A [K, n, C, H, W] batch in [-1, 1] as one PNG: K rows of n images.

    Args:
        images: tensor or array, ``C`` = 1 (greyscale) or 3 (RGB), values in [-1, 1]
            (clipped). A [n, C, H, W] batch is drawn as a single row.
        scale: integer nearest-neighbour upscaling, so pixel-art stays sharp.
        pad: grey pixels between images (before scaling).
    """
    array = to_numpy(images)
    if array.ndim == 4:
        array = array[None]
    if array.ndim != 5 or array.shape[2] not in (1, 3):
        raise ValueError(f"image grid wants [K, n, C, H, W] with C in (1, 3), got {array.shape}")
    rows, cols, channels, height, width = array.shape
    pixels = np.round((np.clip(array, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    canvas = np.full(
        (rows * (height + pad) + pad, cols * (width + pad) + pad, channels), 128, np.uint8
    )
    for r in range(rows):
        for c in range(cols):
            top, left = pad + r * (height + pad), pad + c * (width + pad)
            canvas[top : top + height, left : left + width] = pixels[r, c].transpose(1, 2, 0)
    image = Image.fromarray(canvas[..., 0] if channels == 1 else canvas)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """Render a matplotlib figure (made with or without pyplot) to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred mean over ``window`` points, shrinking at the ends so the length is kept."""
    kernel = np.ones(window)
    return np.convolve(values, kernel, "same") / np.convolve(np.ones_like(values), kernel, "same")


def _log_y(axes: Axes) -> None:
    """Log y axis with plain numbers ("0.3", not "3x10^-1") as tick labels.

    Loss curves often span less than a decade, where matplotlib labels no major tick; label
    a few minor ticks then, and only decades when the range is wider (to avoid clutter).
    """
    axes.set_yscale("log")
    plain = ticker.FuncFormatter(lambda value, _: f"{value:g}")
    axes.yaxis.set_major_formatter(plain)
    low, high = axes.get_ylim()
    if math.log10(high / low) < 1.5:
        axes.yaxis.set_minor_locator(ticker.LogLocator(subs=(2.0, 3.0, 5.0)))
        axes.yaxis.set_minor_formatter(plain)
    else:
        axes.yaxis.set_minor_formatter(ticker.NullFormatter())


def _plot_lines(
    series: Mapping[str, Series],
    xlabel: str,
    ylabel: str,
    title: str,
    logx: bool,
    logy: bool,
    smooth: bool,
) -> bytes:
    figure = Figure(figsize=(5.6, 3.4))
    axes = figure.add_subplot()
    all_positive = True
    for index, (label, points) in enumerate(series.items()):
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(xy) == 0:
            continue
        all_positive &= bool((xy[:, 1] > 0).all())
        color = f"C{index % 10}"
        if smooth and len(xy) > _SMOOTH_ABOVE:
            # Per-step losses are noisy: keep the raw line faint and draw the trend on top.
            axes.plot(xy[:, 0], xy[:, 1], color=color, alpha=0.25, linewidth=0.8)
            trend = _moving_average(xy[:, 1], max(5, len(xy) // 25))
            axes.plot(xy[:, 0], trend, color=color, linewidth=1.6, label=label)
        else:
            axes.plot(xy[:, 0], xy[:, 1], color=color, linewidth=1.6, marker=".", label=label)
    # A log axis cannot show zero or negative values (e.g. a log-likelihood); fall back to
    # linear and say so in the label rather than silently dropping points.
    if logy and all_positive:
        _log_y(axes)
    elif logy:
        ylabel = f"{ylabel} (linear: some values <= 0)"
    if logx:
        axes.set_xscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title, fontsize=10)
    axes.grid(True, which="major", alpha=0.3)
    if axes.lines:
        axes.legend(fontsize=8, frameon=False)
    return figure_png(figure)


def loss_curves_png(curves: Mapping[str, Series], title: str = "") -> bytes:
    """Training loss per stage, one line each, log y: ``{"generator": [(step, loss), ...]}``."""
    return _plot_lines(curves, "step", "loss", title, logx=False, logy=True, smooth=True)


def line_plot_png(
    series: Mapping[str, Series],
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    title: str = "",
) -> bytes:
    """Lines from ``{label: [(x, y), ...]}``, e.g. FID against paired-data fraction in a study."""
    return _plot_lines(series, xlabel, ylabel, title, logx=logx, logy=False, smooth=False)
