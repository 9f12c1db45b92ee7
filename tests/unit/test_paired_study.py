"""The generic paired study: direction-aware ratios, the task's headline, fractions and keys."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from regen.config import load_recipe
from regen.errors import ConfigError
from regen.studies import paired
from regen.studies.runner import run_study, seed_overrides, train_stages
from regen.tasks.asr import study as asr_study
from regen.tasks.asr.train import renderer_job
from regen.tasks.image import study as image_study
from regen.training.renderer_assets import asset_key
from tests.asr_tiny import TINY_ASR


def test_regen_advantage_is_above_one_when_regen_is_better_in_either_direction():
    assert paired.regen_advantage(regen=0.2, direct=0.4, better="lower") == 2.0
    assert paired.regen_advantage(regen=0.4, direct=0.2, better="lower") == 0.5
    assert paired.regen_advantage(regen=0.9, direct=0.6, better="higher") == pytest.approx(1.5)
    assert paired.regen_advantage(regen=0.6, direct=0.9, better="higher") == pytest.approx(2 / 3)
    assert paired.regen_advantage(regen=0.0, direct=0.3, better="lower") == math.inf
    assert math.isnan(paired.regen_advantage(regen=0.0, direct=0.0, better="lower"))


def test_ratio_name_says_which_way_it_divides():
    assert paired.ratio_name("fid", "lower") == "direct_over_regen_fid"  # benchmarks read it
    assert paired.ratio_name("accuracy", "higher") == "regen_over_direct_accuracy"


def _records(task: str, values: dict[tuple[float, str], float], metric: str) -> list[dict]:
    return [
        {
            "task": task,
            "key": f"fraction{f:g}-{pipeline}",
            "params": {"paired_fraction": f, "pipeline": pipeline},
            "seed": 0,
            "metrics": {metric: value, "train_seconds": 1.0},
        }
        for (f, pipeline), value in values.items()
    ]


@pytest.mark.parametrize(
    "better, regen, direct, key, expected",
    [
        ("lower", 0.2, 0.3, "direct_over_regen_score", 1.5),
        ("higher", 0.8, 0.4, "regen_over_direct_score", 2.0),
        ("higher", 0.4, 0.8, "regen_over_direct_score", 0.5),
    ],
)
def test_summary_takes_metric_and_direction_from_the_tasks_backend(
    monkeypatch, better, regen, direct, key, expected
):
    backend = SimpleNamespace(HEADLINE=("score", better), PAIRED_METRICS=["score", "train_seconds"])
    monkeypatch.setattr(paired, "backend_for", lambda task: backend)
    records = _records("fake", {(0.1, "regen"): regen, (0.1, "direct"): direct}, "score")
    summary = paired.summarize(records)
    assert summary.values["headline"] == {"metric": "score", "better": better}
    assert summary.values[key] == {"0.1": pytest.approx(expected)}
    assert summary.values["paired_10pct_regen_vs_direct"] == pytest.approx(expected)
    assert "above 1: regeneration is better" in summary.text
    assert [s["title"] for s in summary.sections][0].startswith("score against paired fraction")


def test_image_summary_keeps_the_keys_the_studies_benchmark_reads():
    values = {(0.1, "regen"): 5.0, (0.1, "direct"): 10.0, (1.0, "regen"): 4.0, (1.0, "direct"): 6.0}
    summary = paired.summarize(_records("image", values, "fid")).values
    assert summary["direct_over_regen_fid"] == {"0.1": 2.0, "1": 1.5}
    assert summary["paired_10pct_regen_vs_direct"] == 2.0


def test_a_headline_with_no_direction_is_refused():
    with pytest.raises(ConfigError, match="lower or higher"):
        paired.headline(SimpleNamespace(HEADLINE=("cer", "smaller")))


def test_fractions_come_from_the_recipe_else_the_backend_else_the_default():
    asr = load_recipe("asr/phonemes", ["eval.fractions=[0.25, 1.0]"])
    assert paired.fractions(asr, asr_study) == [0.25, 1.0]
    image = load_recipe("image/digits_latent_diffusion")
    assert paired.fractions(image, image_study) == list(paired.FRACTIONS)
    assert paired.fractions(image, SimpleNamespace(FRACTIONS=(0.5,))) == [0.5]


def test_asr_points_set_the_recipes_own_paired_fraction_key():
    config = load_recipe("asr/phonemes", ["eval.fractions=[0.5, 1.0]"])
    points = paired.points(config)
    assert [p.overrides for p in points] == [
        ("paired_fraction=0.5",),
        ("paired_fraction=0.5",),
        ("paired_fraction=1.0",),
        ("paired_fraction=1.0",),
    ]
    assert [p.params["pipeline"] for p in points] == ["regen", "direct"] * 2


def test_seed_overrides_name_only_the_stages_a_recipe_has():
    asr = load_recipe("asr/phonemes")
    assert train_stages(asr) == ("generator", "renderer")  # no representation to train
    seeded = load_recipe("asr/phonemes", seed_overrides(3, train_stages(asr)))
    assert seeded.seed == 3 and seeded.train.renderer.seed == 3
    image = load_recipe("image/digits_latent_diffusion")
    assert train_stages(image) == ("representation", "generator", "renderer")


def renderer_key(config) -> str:
    return asset_key(renderer_job(config))


def test_the_renderer_key_follows_what_renderer_training_reads_and_nothing_else():
    base = load_recipe("asr/phonemes", TINY_ASR)
    key = renderer_key(base)
    same = [
        "paired_fraction=0.25",
        "generator.dim=48",
        "train.generator.steps=9",
        "eval.examples=1",
    ]
    assert renderer_key(load_recipe("asr/phonemes", [*TINY_ASR, *same])) == key
    for change in ("seed=1", "train.renderer.steps=7", "renderer.dim=48", "text.cmudict_words=5"):
        assert renderer_key(load_recipe("asr/phonemes", [*TINY_ASR, change])) != key


def test_studies_the_asr_backend_does_not_serve_are_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match="study tradeoff does not run on task 'asr'"):
        run_study("tradeoff", "asr/phonemes", out_dir=tmp_path, progress=False)
