"""``regen pretrain``: a melody renderer trained once into the asset cache, its report page
(learning curve against the rule-based floor) in Chromium, reuse by a later run, and the
one-line refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from regen.cli import main
from regen.config import load_recipe
from regen.report.browser import find_chromium, render_in_chromium
from regen.runs import load_run
from regen.tasks.melody import train as melody_train
from regen.training import renderer_assets as assets
from regen.training import run_stages
from tests.melody_tiny import TINY_MELODY, one_torch_thread  # noqa: F401  (autouse fixture)

PRETRAIN = [*TINY_MELODY, "train.renderer.eval_every=8", "train.renderer.log_every=8"]


@pytest.fixture(scope="module")
def asset_report(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        assert main(["pretrain", "melody/chorales_template", *PRETRAIN]) == 0
        config = load_recipe("melody/chorales_template", PRETRAIN)
        folder = assets.asset_folder(melody_train.renderer_job(config))
        yield folder / "report.html"


def test_pretrain_writes_the_asset_with_quality_against_the_floor(asset_report: Path) -> None:
    record = json.loads((asset_report.parent / assets.ASSET_FILE).read_text())
    assert set(record["quality_from_true"]) == set(record["floor"]) == {"pd", "dd", "md"}
    assert record["result"]["shared"] and record["result"]["steps"] == 16
    assert [s for s, _ in assets.learning_curve(asset_report.parent)["md"]] == [8, 16]


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed")
def test_the_asset_report_opens_in_chromium(asset_report: Path) -> None:
    dom = render_in_chromium(asset_report)
    total = int(re.search(r'data-images-total="(\d+)"', dom).group(1))
    assert total >= 4 and f'data-images-loaded="{total}"' in dom  # loss + 3 learning curves
    assert "non-learned floor" in dom and "Learning curve: md" in dom


def test_a_run_with_pretrained_renderer_reuses_the_asset(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    overrides = [*PRETRAIN, "pretrained_renderer=true"]
    assert main(["pretrain", "melody/chorales_template", *overrides]) == 0
    trained = []
    original = run_stages.train_stage  # what the trainer's RunStages calls

    def counted(name, *args, **kwargs):
        trained.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(run_stages, "train_stage", counted)
    run = tmp_path / "run"
    assert main(["train", "melody/chorales_template", *overrides, "--out", str(run)]) == 0
    assert trained == ["generator"]  # the renderer came from the cache
    meta = json.loads((run / "pipeline.json").read_text())
    assert [s["name"] for s in meta["stages"] if s["shared"]] == ["renderer"]
    pipeline, _ = load_run(run, task="melody")  # the run folder loads on its own
    assert pipeline.renderer.trainable


@pytest.mark.parametrize(
    ("recipe", "extra", "message"),
    [
        ("melody/chorales_direct", [], "has no renderer to pretrain"),
        ("image/digits_latent_diffusion", [], "has no renderer to pretrain"),
        ("melody/chorales_template", ["renderer.kind=rule", "pretrained_renderer=true"], "rule"),
        ("tts/fastspeech_griffin_lim", ["pretrained_renderer=true"], "renderer.kind: vocoder"),
    ],
)
def test_nothing_to_pretrain_is_one_line(recipe: str, extra: list[str], message: str, capsys):
    assert main(["pretrain", recipe, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_compare_with_a_pretrained_renderer_reports_both_views(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "compare"
    args = [*PRETRAIN, "pretrained_renderer=true", "compare.budget=samples"]
    assert main(["compare", "melody/chorales_template", *args, "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    steps = {p["label"]: p["stages"][0]["steps"] for p in results["pipelines"]}
    assert steps == {"regen": 16, "direct": 16, "direct_total": 32}  # + the renderer's 16
    page = (out / "report.html").read_text()
    assert "Budget views" in page and "Shared infrastructure" in page
