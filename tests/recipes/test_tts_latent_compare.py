"""regen compare on a learned speech Y' (RQ6): both learned codes are scored like the mel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from regen.compare.harness import run_compare as run_tts_compare
from tests.tiny_tts import TINY_TTS


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["tts/vae_latent", "tts/rvq_codes", "tts/rvq_codes_ar"])
def test_compare_scores_a_learned_speech_representation(recipe: str, tmp_path: Path) -> None:
    run_tts_compare(recipe, TINY_TTS, out_dir=tmp_path, progress=False)
    results = json.loads((tmp_path / "results.json").read_text())
    metrics = results["metrics"]
    # the round trip through the learned code is scored beside the mel resynthesis rows
    assert {"learned y' resynthesis", "vocoder resynthesis", "regen", "direct"} <= set(metrics)
    for name in ("learned y' resynthesis", "regen", "regen + griffin-lim"):
        assert np.isfinite(metrics[name]["mcd_db"]) and metrics[name]["mcd_db"] > 0
    assert [s["name"] for s in results["pipelines"][0]["stages"]][0] == "representation"
    assert (tmp_path / "report.html").is_file()
