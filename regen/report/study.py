"""Study figures and tables for the report: curves and bars with seed spread, point tables.

Figures are PNG bytes (matplotlib ``Figure`` + Agg, no pyplot), tables are trusted HTML
strings for ``extra_sections``; every value shown is escaped here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import ticker
from matplotlib.figure import Figure

from regen.report.plots import figure_png

SeriesWithSpread = Sequence[tuple[float, float, float]]
"""Points of one curve, ``[(x, mean, std), ...]``."""


def errorbar_png(
    series: Mapping[str, SeriesWithSpread],
    xlabel: str,
    ylabel: str,
    *,
    logx: bool = False,
    title: str = "",
    xticks: Sequence[float] | None = None,
) -> bytes:
    """Curves of means with ±1 std error bars (the spread over seeds), one per label."""
    figure = Figure(figsize=(5.6, 3.6))
    axes = figure.add_subplot()
    for index, (label, points) in enumerate(series.items()):
        points = sorted(points)
        if not points:
            continue
        xs, means, stds = zip(*points)
        axes.errorbar(
            xs, means, yerr=stds, color=f"C{index % 10}", marker="o", capsize=3, label=label
        )
    if logx:
        axes.set_xscale("log")
    if xticks:
        axes.set_xticks(list(xticks), [f"{x:g}" for x in xticks])
        axes.xaxis.set_minor_formatter(ticker.NullFormatter())  # only the swept values
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, frameon=False)
    return figure_png(figure)


def bars_png(
    labels: Sequence[str],
    means: Sequence[float],
    stds: Sequence[float],
    ylabel: str,
    *,
    title: str = "",
    reference: tuple[str, float] | None = None,
) -> bytes:
    """Bars of means with ±1 std whiskers; ``reference`` draws a labelled horizontal line."""
    figure = Figure(figsize=(5.6, 3.6))
    axes = figure.add_subplot()
    positions = range(len(labels))
    axes.bar(positions, means, yerr=stds, capsize=4, color=[f"C{i % 10}" for i in positions])
    axes.set_xticks(list(positions), list(labels), rotation=15, fontsize=8)
    if reference is not None:
        axes.axhline(reference[1], color="black", linestyle="--", linewidth=1, label=reference[0])
        axes.legend(fontsize=8, frameon=False)
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title, fontsize=10)
    axes.grid(True, axis="y", alpha=0.3)
    return figure_png(figure)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.4g}"
    return html.escape(str(value))


def spread_table(
    rows: Sequence[Mapping[str, Any]], params: Sequence[str], metrics: Sequence[str]
) -> str:
    """A table of point rows (see ``regen.studies.aggregate.point_stats``): parameters, then
    ``mean ± std (n seeds)`` per metric."""
    head = "".join(f"<th>{html.escape(p)}</th>" for p in params)
    head += "".join(f"<th>{html.escape(m)}<br><small>mean ± std</small></th>" for m in metrics)
    body = []
    for row in rows:
        cells = "".join(f"<td>{_fmt(row['params'].get(p, ''))}</td>" for p in params)
        for metric in metrics:
            s = row.get(metric)
            text = (
                "—"
                if s is None
                else f"{_fmt(s['mean'])} ± {_fmt(s['std'])} <small>(n={s['n']})</small>"
            )
            cells += f'<td class="num">{text}</td>'
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<div class="scroll"><table class="study">\n<tr>{head}</tr>\n'
        + "\n".join(body)
        + "\n</table></div>"
    )


def records_table(records: Sequence[Mapping[str, Any]]) -> str:
    """Every (point, seed) record with all its metrics: the raw numbers behind the plots."""
    metrics = sorted({m for r in records for m in r["metrics"]})
    params = list(dict.fromkeys(p for r in records for p in r["params"]))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [*params, "seed", *metrics])
    body = []
    for r in records:
        cells = [r["params"].get(p, "") for p in params] + [r["seed"]]
        cells += [r["metrics"].get(m, math.nan) for m in metrics]
        body.append("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in cells) + "</tr>")
    return (
        '<details><summary>show the table</summary><div class="scroll"><table class="records">\n'
        f"<tr>{head}</tr>\n" + "\n".join(body) + "\n</table></div></details>"
    )
