"""A study report opened in headless Chromium: plots decode, the spread table renders."""

from __future__ import annotations

import re

import pytest

from regen.report.browser import find_chromium, render_in_chromium
from regen.studies.mismatch import METHODS, STUDY
from regen.studies.runner import write_study_report


def _records() -> list[dict]:
    """Synthetic records (two seeds per method) with a gap that the methods partly close."""
    records = []
    for seed in (0, 1):
        for index, method in enumerate(METHODS):
            fid = 10.0 - 2.0 * index + seed
            metrics = {
                "fid": fid,
                "oracle_fid": 2.0 + seed,
                "accuracy": 0.8,
                "oracle_accuracy": 0.9,
            }
            records.append(
                {
                    "key": method,
                    "params": {"method": method},
                    "seed": seed,
                    "task": "image",
                    "metrics": metrics,
                }
            )
    return records


@pytest.mark.skipif(
    find_chromium() is None, reason="chromium not installed (apt-get install chromium)"
)
def test_study_report_renders_in_chromium(tmp_path) -> None:
    page = write_study_report(STUDY, "digits_latent_diffusion", _records(), tmp_path)
    dom = render_in_chromium(page, screenshot=tmp_path / "report.png")
    total = re.search(r'data-images-total="(\d+)"', dom)
    assert total and int(total.group(1)) >= 2
    assert f'data-images-loaded="{total.group(1)}"' in dom
    table = re.search(r'<table class="study">(.*?)</table>', dom, re.S)
    assert table, "the mean ± std table is missing from the rendered DOM"
    assert re.findall(r"<tr><td>([a-z_]+)</td>", table.group(1)) == list(METHODS)
    assert "± " in table.group(1) and "(n=2)" in table.group(1)
