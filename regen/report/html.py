"""The comparison report: one self-contained HTML file, pipelines side by side.

``write_report(report, path)`` turns the plain dict made by the compare harness into
``report.html``. Everything is inline (PNG images as base64 data URIs, a small stylesheet,
one tiny script), so the file can be mailed, archived or opened offline. The report dict:

    title, summary, budget, features: str       # budget/features are statements shown as-is
    machine: dict                               # see machine_info()
    pipelines: [{name, recipe_name, config_yaml,
                 metrics: {metric: float | None},
                 stages: [{name, steps, samples_seen, seconds, final_loss}],
                 curves: {stage: [(step, loss), ...]},
                 grid: {class_names, images [K, n, C, H, W] in [-1, 1]},
                 reconstructions: {real, reconstructed: [N, C, H, W] in [-1, 1]}}]
    real_grid: {class_names, images [K, n, C, H, W]}
    metric_notes: {metric: "lower is better" | "higher is better, ..."}
    views: {view: {statement, direct: label, shared_stages: [{stage, steps, seconds}]}}
                                                # regen vs each view's baseline (harness)
    extra_sections: [{title, html (trusted)} | {title, figure (Figure or PNG bytes)}]

Only ``title`` and ``pipelines`` (with ``name``) are required; missing parts are left out.
All text is escaped except ``extra_sections[i]["html"]``, which regen itself writes.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from regen.report.plots import figure_png, image_grid_png, loss_curves_png, to_numpy

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "DejaVu Sans", sans-serif; color: #1d1d1f; background: #fff;
       max-width: 1240px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 30px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 14px 0 6px; }
nav { font-size: 13px; margin: 8px 0 4px; }
nav a { margin-right: 12px; color: #0b57d0; text-decoration: none; }
p.summary { font-size: 15px; max-width: 900px; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid #ddd; padding: 4px 9px; vertical-align: middle; }
th { background: #f5f5f7; text-align: left; font-weight: 600; }
th small, .muted { color: #666; font-weight: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #dff1dc; font-weight: 600; }
td.note { color: #555; font-size: 13px; }
tr.total td { font-weight: 600; background: #fafafa; }
table.grid td { padding: 3px 6px; }
td.cls { font: 600 15px ui-monospace, "DejaVu Sans Mono", monospace; text-align: center;
         max-width: 14em; }
img { display: block; }
img.px { image-rendering: pixelated; }
.scroll { overflow-x: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 0; }
figcaption { font-size: 13px; color: #444; text-align: center; }
details { margin: 6px 0; }
summary { cursor: pointer; }
pre { background: #f7f7f9; border: 1px solid #e3e3e8; padding: 10px; overflow-x: auto;
      font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
"""

# Lets a headless browser (and the e2e test) check that every embedded image decoded.
_IMAGE_CHECK = """
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var decoded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  document.body.dataset.imagesLoaded = String(decoded.length);
  document.body.dataset.imagesTotal = String(images.length);
});
"""

_GRID_WIDTH_PX = 1100  # width the side-by-side sample table should roughly fill
_MAX_SCALE = 6


def machine_info() -> dict[str, Any]:
    """What ran the comparison: CPU model, usable cores, accelerator, versions and UTC date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass  # not Linux: keep the platform module's answer
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {
        "cpu": cpu,
        "cores": cores,
        "device": device,
        "os": platform.platform(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_report(report: Mapping[str, Any], out_path: Path) -> Path:
    """Write ``report`` (see the module docstring) as one self-contained HTML file."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(render_report(report), encoding="utf-8")
    return out_path


def render_report(report: Mapping[str, Any]) -> str:
    """The report as an HTML string."""
    if "title" not in report or not report.get("pipelines"):
        raise ValueError("a report needs a 'title' and a non-empty 'pipelines' list")
    pipelines = list(report["pipelines"])
    sections: list[tuple[str, str, str]] = []  # (anchor, heading, body)

    def add(anchor: str, heading: str, body: str) -> None:
        if body:
            sections.append((anchor, heading, body))

    add(
        "metrics",
        "Metrics",
        _metrics(pipelines, report.get("metric_notes") or {}, report.get("features")),
    )
    add(
        "views",
        "Budget views: equal paired vs equal total compute",
        _views(report.get("views") or {}, pipelines, report.get("metric_notes") or {}),
    )
    add("samples", "Samples per class", _samples(pipelines, report.get("real_grid")))
    add("reconstructions", "Reconstructions", _reconstructions(pipelines))
    add("curves", "Training loss", _curves(pipelines))
    add("training", "Training budget and timings", _training(pipelines, report.get("budget")))
    for index, extra in enumerate(report.get("extra_sections") or []):
        add(f"extra-{index}", extra["title"], _extra(extra))
    add("configs", "Configurations", _configs(pipelines))
    add("machine", "Machine", _key_values(report.get("machine") or {}))

    nav = " ".join(f'<a href="#{a}">{_e(h)}</a>' for a, h, _ in sections)
    body = "\n".join(
        f'<section id="{a}">\n<h2>{_e(h)}</h2>\n{b}\n</section>' for a, h, b in sections
    )
    summary = f'<p class="summary">{_e(report["summary"])}</p>' if report.get("summary") else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(report['title'])}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{_e(report['title'])}</h1>\n{summary}\n<nav>{nav}</nav>\n{body}\n"
        f"<script>{_IMAGE_CHECK}</script>\n</body>\n</html>\n"
    )


def _e(text: Any) -> str:
    return html.escape(str(text))


def _img(png: bytes, alt: str, size: tuple[int, int] | None = None) -> str:
    """An inline PNG; with ``size`` (CSS pixels) it is scaled up without blurring."""
    data = base64.b64encode(png).decode("ascii")
    scaled = f' class="px" width="{size[0]}" height="{size[1]}"' if size else ""
    return f'<img alt="{_e(alt)}"{scaled} src="data:image/png;base64,{data}">'


def _strip(images: np.ndarray, alt: str, scale: int) -> str:
    """One row of [n, C, H, W] images in [-1, 1], shown ``scale`` times larger."""
    n, _, height, width = images.shape
    # image_grid_png puts 1 px of padding around every image.
    size = ((width + 1) * n + 1) * scale, (height + 2) * scale
    return _img(image_grid_png(images[None]), alt, size)


def _number(value: Any) -> float | None:
    """A finite float for numeric metric values, else None (missing, NaN, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _e(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def _direction(note: str) -> str | None:
    """``"lower"`` or ``"higher"`` when the metric note says which is better."""
    note = note.lower()
    for word in ("lower", "higher"):
        if f"{word} is better" in note:
            return word
    return None


def _pipeline_header(pipeline: Mapping[str, Any]) -> str:
    recipe = pipeline.get("recipe_name")
    small = f"<br><small>{_e(recipe)}</small>" if recipe else ""
    return f"<th>{_e(pipeline['name'])}{small}</th>"


def _metrics(
    pipelines: Sequence[Mapping[str, Any]], notes: Mapping[str, str], features: str | None
) -> str:
    names = list(dict.fromkeys(m for p in pipelines for m in (p.get("metrics") or {})))
    if not names:
        return ""
    with_ratio = len(pipelines) == 2
    head = "<th>metric</th>" + "".join(_pipeline_header(p) for p in pipelines)
    if with_ratio:
        head += f"<th>ratio<br><small>{_e(pipelines[0]['name'])} / {_e(pipelines[1]['name'])}</small></th>"
    head += "<th>note</th>"
    rows = []
    for name in names:
        values = [(p.get("metrics") or {}).get(name) for p in pipelines]
        numbers = [_number(v) for v in values]
        direction = _direction(notes.get(name, ""))
        finite = [n for n in numbers if n is not None]
        best = None
        if direction and len(finite) >= 2 and min(finite) != max(finite):
            best = min(finite) if direction == "lower" else max(finite)
        cells = "".join(
            f'<td class="num{" best" if n is not None and n == best else ""}">{_fmt(v)}</td>'
            for v, n in zip(values, numbers)
        )
        if with_ratio:
            a, b = numbers
            ratio = f"{a / b:.3g}×" if a is not None and b else "—"
            cells += f'<td class="num">{ratio}</td>'
        note = _e(notes.get(name, ""))
        rows.append(f'<tr><td>{_e(name)}</td>{cells}<td class="note">{note}</td></tr>')
    table = f'<table class="metrics">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>"
    legend = (
        '<p class="muted">Best value per row is highlighted when the note says which is better.</p>'
    )
    features_html = f"<p><b>Features.</b> {_e(features)}</p>" if features else ""
    return f'<div class="scroll">{table}</div>\n{legend}\n{features_html}'


def _views(
    views: Mapping[str, Any], pipelines: Sequence[Mapping[str, Any]], notes: Mapping[str, str]
) -> str:
    """Regen against the baseline of each budget view, metric by metric, with the verdict."""
    by_label = {p.get("label"): p for p in pipelines}
    if not views or "regen" not in by_label:
        return ""
    regen = by_label["regen"].get("metrics") or {}
    names = [m for m in regen if _direction(notes.get(m, "")) and _number(regen[m]) is not None]
    head = "<th>metric</th><th>regen</th>"
    columns = []
    for view, info in views.items():
        direct = (by_label.get(info["direct"]) or {}).get("metrics") or {}
        columns.append(direct)
        head += f"<th>direct, {_e(view.replace('_', ' '))}<br><small>{_e(info['direct'])}</small></th><th>winner</th>"
    rows = []
    for name in names:
        mine = _number(regen[name])
        cells = f'<td class="num">{_fmt(regen[name])}</td>'
        for direct in columns:
            theirs = _number(direct.get(name))
            verdict = "—"
            if mine is not None and theirs is not None and mine != theirs:
                lower = _direction(notes[name]) == "lower"
                verdict = "regen" if (mine < theirs) == lower else "direct"
            cells += f'<td class="num">{_fmt(direct.get(name))}</td><td>{verdict}</td>'
        rows.append(f"<tr><td>{_e(name)}</td>{cells}</tr>")
    statements = "".join(
        f"<li><b>{_e(view.replace('_', ' '))}</b>: {_e(info['statement'])}</li>"
        for view, info in views.items()
    )
    shared = next(iter(views.values())).get("shared_stages") or []
    infra = "; ".join(
        f"{s['stage']}: {int(s['steps']):,} steps, {float(s['seconds']):.0f} s"
        + (f", on {s['data']}" if s.get("data") else "")
        + "".join(
            f"; {k} from the true Y' {_fmt(v)}"
            + (f" (non-learned floor {_fmt(s['floor'][k])})" if k in s.get("floor", {}) else "")
            for k, v in (s.get("quality_from_true") or {}).items()
        )
        for s in shared
    )
    infra_html = (
        f"<p><b>Shared infrastructure</b> (pretrained once on unpaired data, reused by every "
        f"run): {_e(infra)}.</p>"
        if infra
        else '<p class="muted">No pretrained stage: both views give the baseline the same '
        "budget.</p>"
    )
    table = f'<table class="metrics">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>"
    return f"<ul>{statements}</ul>\n{infra_html}\n<div class='scroll'>{table}</div>"


def _display_scale(height: int, width: int, columns: int, per_row: int) -> int:
    """Integer upscaling so the widest row of samples roughly fills the page."""
    target = _GRID_WIDTH_PX / max(1, columns * per_row)
    return max(1, min(_MAX_SCALE, int(target // max(height, width))))


def _samples(pipelines: Sequence[Mapping[str, Any]], real_grid: Mapping[str, Any] | None) -> str:
    columns: list[tuple[str, Mapping[str, Any]]] = []
    if real_grid:
        columns.append(("real (held-out)", real_grid))
    columns += [(p["name"], p["grid"]) for p in pipelines if p.get("grid")]
    if not columns:
        return ""
    arrays = [to_numpy(grid["images"]) for _, grid in columns]
    class_names = list(dict.fromkeys(str(c) for _, grid in columns for c in grid["class_names"]))
    lookups = [{str(c): i for i, c in enumerate(grid["class_names"])} for _, grid in columns]
    height, width = arrays[0].shape[-2:]
    per_row = max(a.shape[1] for a in arrays)
    scale = _display_scale(height, width, len(columns), per_row)
    head = "<th>class</th>" + "".join(f"<th>{_e(label)}</th>" for label, _ in columns)
    rows = []
    for name in class_names:
        cells = []
        for (label, _), array, lookup in zip(columns, arrays, lookups):
            if name not in lookup:
                cells.append("<td></td>")
                continue
            image = _strip(array[lookup[name]], f"{label}: {name}", scale)
            cells.append(f"<td>{image}</td>")
        rows.append(f'<tr><td class="cls">{_e(name)}</td>{"".join(cells)}</tr>')
    table = f'<table class="grid">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>"
    note = f'<p class="muted">Shown at {scale}× with nearest-neighbour scaling.</p>'
    return f'{note}\n<div class="scroll">{table}</div>'


def _reconstructions(pipelines: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for pipeline in pipelines:
        pairs = pipeline.get("reconstructions")
        if not pairs:
            continue
        rows = []
        for label in ("real", "reconstructed"):
            strip = to_numpy(pairs[label])
            n, _, h, w = strip.shape
            # Pipelines count as columns so reconstructions come out near the samples' size.
            scale = _display_scale(h, w, len(pipelines), n)
            image = _strip(strip, f"{pipeline['name']}: {label}", scale)
            rows.append(f"<tr><th>{label}</th><td>{image}</td></tr>")
        parts.append(
            f"<h3>{_e(pipeline['name'])}</h3>\n"
            f'<div class="scroll"><table class="grid">{"".join(rows)}</table></div>'
        )
    if not parts:
        return ""
    note = '<p class="muted">Held-out images and their encode → decode round trip.</p>'
    return note + "\n" + "\n".join(parts)


def _curves(pipelines: Sequence[Mapping[str, Any]]) -> str:
    figures = [
        f"<figure>{_img(loss_curves_png(p['curves']), p['name'] + ' loss curves')}"
        f"<figcaption>{_e(p['name'])}</figcaption></figure>"
        for p in pipelines
        if p.get("curves")
    ]
    return f'<div class="figures">{"".join(figures)}</div>' if figures else ""


def _training(pipelines: Sequence[Mapping[str, Any]], budget: str | None) -> str:
    keys = ("steps", "samples_seen", "seconds", "final_loss")
    head = "<th>pipeline</th><th>stage</th>" + "".join(f"<th>{k}</th>" for k in keys)
    rows = []
    for pipeline in pipelines:
        stages = pipeline.get("stages") or []
        for stage in stages:
            cells = "".join(f'<td class="num">{_fmt(stage.get(k))}</td>' for k in keys)
            rows.append(
                f"<tr><td>{_e(pipeline['name'])}</td><td>{_e(stage['name'])}</td>{cells}</tr>"
            )
        if len(stages) > 1:
            totals = [sum(_number(s.get(k)) or 0 for s in stages) for k in keys[:3]]
            totals[:2] = [int(t) for t in totals[:2]]
            cells = "".join(f'<td class="num">{_fmt(t)}</td>' for t in totals)
            rows.append(
                f'<tr class="total"><td>{_e(pipeline["name"])}</td><td>total</td>{cells}<td></td></tr>'
            )
    parts = [f"<p><b>Budget.</b> {_e(budget)}</p>"] if budget else []
    if rows:
        parts.append(f'<table class="stages">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>")
    return "\n".join(parts)


def _extra(section: Mapping[str, Any]) -> str:
    if "html" in section:
        return str(section["html"])
    figure = section.get("figure")
    if isinstance(figure, Figure):
        figure = figure_png(figure)
    if not isinstance(figure, bytes | bytearray):
        raise ValueError(f"extra section {section.get('title')!r} needs 'html' or 'figure'")
    return _img(bytes(figure), section["title"])


def _configs(pipelines: Sequence[Mapping[str, Any]]) -> str:
    blocks = []
    for pipeline in pipelines:
        if not pipeline.get("config_yaml"):
            continue
        recipe = pipeline.get("recipe_name") or pipeline["name"]
        blocks.append(
            f"<details><summary>{_e(pipeline['name'])} <span class='muted'>({_e(recipe)})</span>"
            f"</summary><pre>{_e(pipeline['config_yaml'])}</pre></details>"
        )
    return "\n".join(blocks)


def _key_values(items: Mapping[str, Any]) -> str:
    if not items:
        return ""
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items.items())
    return f"<table>{rows}</table>"
