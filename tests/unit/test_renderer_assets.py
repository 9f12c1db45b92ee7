"""Renderers as cached assets (regen/training/renderer_assets.py): reused when nothing
changed, retrained when data or config changed, resumed exactly after a kill."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from regen.config import TrainConfig
from regen.errors import RegenError
from regen.report.renderer_asset import write_asset_report
from regen.training import renderer_assets as assets
from regen.training.logger import read_log
from regen.training.loop import log_path, train_stage
from tests.unit.toy_models import NoisyRegressor, killed_after, toy_data


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


CFG = dict(steps=40, batch_size=16, lr=1e-2, warmup_steps=5, checkpoint_every=20, log_every=5)


def _job(calls: list, *, data_seed: int = 0, steps: int = 40, eval_every: int = 10):
    cfg = TrainConfig(**CFG | {"steps": steps, "eval_every": eval_every})
    data = toy_data()
    if data_seed:
        data = {k: v.roll(data_seed, 0) for k, v in data.items()}

    def build() -> NoisyRegressor:
        torch.manual_seed(0)
        return NoisyRegressor()

    def quality(module) -> dict[str, float]:
        with torch.no_grad():
            return {"mse": float(((module.net(data["x"]).squeeze(-1) - data["y"]) ** 2).mean())}

    def train(module, folder: Path, progress: bool):
        calls.append(folder)
        torch.manual_seed(0)
        return train_stage(
            "renderer", module, data, cfg, folder, resume=True, eval_fn=quality, progress=False
        )

    return assets.RendererJob(
        task="toy",
        reads={"data": data_seed, "train": CFG | {"steps": steps}},
        build=build,
        train=train,
        quality=quality,
        floor=lambda: {"mse": 1.0},
        data="256 toy pairs",
        notes={"mse": "lower is better"},
    )


def test_an_asset_is_trained_once_then_only_read() -> None:
    calls: list = []
    first = assets.obtain(_job(calls), progress=False)
    again = assets.obtain(_job(calls), progress=False)
    assert len(calls) == 1 and again.folder == first.folder
    assert again.result.shared and again.result.steps == 40
    for key, value in first.module.state_dict().items():
        assert torch.equal(value, again.module.state_dict()[key])
    assert first.record["quality_from_true"]["mse"] < first.record["floor"]["mse"]


@pytest.mark.parametrize("change", [dict(data_seed=3), dict(steps=30)])
def test_a_changed_data_or_config_trains_a_new_asset(change: dict) -> None:
    calls: list = []
    base = assets.obtain(_job(calls), progress=False)
    other = assets.obtain(_job(calls, **change), progress=False)
    assert len(calls) == 2 and other.folder != base.folder


def test_a_killed_pretraining_resumes_exactly(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "reference"))
    reference = assets.obtain(_job([]), progress=False)
    reference_losses = [r["loss"] for r in read_log(log_path(reference.stage_folder))]

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "killed"))
    with killed_after(monkeypatch, NoisyRegressor, 25):  # checkpoint at 20, killed at 26
        assets.obtain(_job([]), progress=False)
    assert not (assets.asset_folder(_job([])) / assets.ASSET_FILE).exists()
    resumed = assets.obtain(_job([]), progress=False)
    losses = [r["loss"] for r in read_log(log_path(resumed.stage_folder))]
    assert losses == reference_losses
    for key, value in reference.module.state_dict().items():
        assert torch.equal(value, resumed.module.state_dict()[key])


def test_install_copies_the_asset_into_a_run_folder(tmp_path) -> None:
    asset = assets.obtain(_job([]), progress=False)
    module = NoisyRegressor()
    result = assets.install(asset, module, tmp_path / "run")
    assert result.shared and (tmp_path / "run" / "renderer" / "model.safetensors").is_file()
    assert torch.equal(module.net[0].weight, asset.module.net[0].weight)


def test_the_report_page_has_the_learning_curve_against_the_floor() -> None:
    asset = assets.obtain(_job([]), progress=False)
    curve = assets.learning_curve(asset.folder)
    assert [step for step, _ in curve["mse"]] == [10, 20, 30, 40]
    page = write_asset_report(asset.folder).read_text()
    assert "Learning curve: mse" in page and "non-learned floor" in page


def test_a_damaged_asset_record_is_a_one_line_error(tmp_path) -> None:
    (tmp_path / assets.ASSET_FILE).write_text("{not json")
    with pytest.raises(RegenError, match="corrupted; delete"):
        assets.read_record(tmp_path)
