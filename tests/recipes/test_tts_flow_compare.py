"""regen compare on the flow-matching recipe: sampled Y' is scored and reported like the mel."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from regen.cli import main
from regen.report.browser import find_chromium, render_in_chromium
from tests.tiny_tts import TINY_TTS


def test_compare_scores_the_flow_matching_generator_and_the_report_plays(tmp_path: Path) -> None:
    assert main(["compare", "tts/fastspeech_flow", *TINY_TTS, "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    metrics = results["metrics"]
    for name in ("regen", "regen + griffin-lim", "direct"):
        assert np.isfinite(metrics[name]["mcd_db"]) and metrics[name]["mcd_db"] > 0
    assert metrics["regen"]["realtime_speedup"] > 0
    assert np.isfinite(metrics["regen"]["duration_mae_ms"])
    report = tmp_path / "report.html"
    assert (
        results["recipe"] == "tts_fastspeech_flow" and "tts_fastspeech_flow" in report.read_text()
    )
    if find_chromium() is not None:
        dom = render_in_chromium(report)
        assert len(re.findall(r'<audio [^>]*src="data:audio/wav;base64,', dom)) >= 2 * 2
