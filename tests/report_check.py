"""Open a compare report in headless Chromium and check that every image decoded."""

from __future__ import annotations

from pathlib import Path

import pytest

from regen.report.browser import find_chromium, render_in_chromium


def rendered_report(report: Path, screenshot: Path, min_images: int = 4) -> str:
    """The DOM of ``report`` after Chromium loaded it, every one of its (at least
    ``min_images``) images decoded (skips the test without Chromium)."""
    if find_chromium() is None:
        pytest.skip("chromium is not installed (make test installs it)")
    dom = render_in_chromium(report, screenshot=screenshot)
    loaded = int(dom.split('data-images-loaded="')[1].split('"')[0])
    total = int(dom.split('data-images-total="')[1].split('"')[0])
    assert loaded == total and total >= min_images
    return dom
