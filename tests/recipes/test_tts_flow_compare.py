"""regen compare on the flow-matching recipe: sampled Y' is scored and reported like the mel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from regen.cli import main
from tests.tiny_tts import TINY_TTS


@pytest.mark.slow
def test_compare_scores_the_flow_matching_generator(tmp_path: Path) -> None:
    assert main(["compare", "tts/fastspeech_flow", *TINY_TTS, "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    metrics = results["metrics"]
    for name in ("regen", "regen + griffin-lim", "direct"):
        assert np.isfinite(metrics[name]["mcd_db"]) and metrics[name]["mcd_db"] > 0
    assert metrics["regen"]["realtime_speedup"] > 0
    assert np.isfinite(metrics["regen"]["duration_mae_ms"])
    assert "flow" in (tmp_path / "report.html").read_text()
