"""The text benchmark's renderer-asset steps: a declared setting that the JSON's command names,
and that direct_lm's LM pretraining and the budget rule follow (same synopsis-only samples)."""

from __future__ import annotations

import pytest

from benchmarks.text_regen_vs_direct import (
    RENDERER_STEPS,
    budget_rule,
    over_seeds,
    parse_args,
    result_name,
    run_command,
    seed_runs,
)
from regen.config import load_recipe
from regen.tasks.text.compare import lm_variant
from tests.text_tiny import TINY_TEXT


def test_command_names_the_renderer_steps_only_when_changed():
    assert "--renderer-steps" not in run_command(parse_args([]))
    command = run_command(
        parse_args(["--renderer-steps", "9600", "--seed", "1", "--ablations", ""])
    )
    assert "--renderer-steps 9600" in command and "--seed 1" in command
    assert '--ablations ""' in command
    assert RENDERER_STEPS != 9600  # else the first assertion tests nothing


def test_direct_lm_reads_the_renderer_assets_samples_and_the_rule_says_so():
    overrides = [*TINY_TEXT, "train.renderer.steps=48", "train.generator.steps=12"]
    regen_cfg = load_recipe("text/debian_synopsis", overrides)
    direct_cfg = load_recipe("text/direct", overrides)
    lm_cfg = lm_variant(regen_cfg, direct_cfg)
    r = regen_cfg.train.renderer
    assert lm_cfg.train.lm.steps * lm_cfg.train.lm.batch_size == r.steps * r.batch_size
    assert lm_cfg.train.generator.steps == 12
    rule = budget_rule(regen_cfg)
    assert "renderer asset 48 steps x 8 = 384 synopsis-only samples" in rule
    assert "LM on the same synopsis-only text for 384 samples" in rule
    assert "direct_total (equal total): 480 paired samples" in rule


def _seed_row(regen: tuple[float, float], direct: tuple[float, float], scale: list[str]) -> dict:
    row = {"scale": scale}
    for label, (b, c) in (("regen", regen), ("direct", direct)):
        row |= {f"{label}_bleu": b, f"{label}_chrf": c, f"{label}_rouge_l": 20.0}
    return row


def test_over_seeds_averages_same_scale_seeds_and_needs_a_win_in_every_seed():
    summary = _seed_row((7.0, 30.0), (6.0, 29.0), ["a=1"])
    summary["seed1"] = _seed_row((5.0, 28.0), (5.5, 27.0), ["a=1", "seed=1"])
    summary["seed2"] = _seed_row((9.0, 40.0), (1.0, 1.0), ["a=2", "seed=2"])  # another scale
    out = over_seeds(summary)
    assert out["seeds"] == [0, 1] and out["other_scale"] == [2]
    assert out["mean"]["regen_bleu"] == 6.0 and out["mean"]["direct_chrf"] == 28.0
    assert out["regen_ahead_of_direct"] == {"0": True, "1": False}
    assert out["regen_ahead_of_direct_in_mean"] is True  # 6.0 > 5.75, 29.0 > 28.0
    assert out["target_met"] is False
    summary["seed1"] = _seed_row((6.5, 28.0), (5.5, 27.0), ["a=1", "seed=1"])
    assert over_seeds(summary)["target_met"] is True


def test_a_variant_and_a_seed_name_their_figures_and_the_command():
    assert result_name(parse_args([])) == ""
    assert result_name(parse_args(["--seed", "1"])) == "seed1"
    args = parse_args(["--variant", "p2000", "--seed", "1", "data.max_paired=2000"])
    assert result_name(args) == "p2000_seed1"
    assert "--variant p2000" in run_command(args) and "data.max_paired=2000" in run_command(args)


def test_a_variants_seeds_are_averaged_apart_from_the_headline_seeds():
    summary = _seed_row((7.0, 30.0), (6.0, 29.0), ["a=1"])
    summary["seed1"] = _seed_row((5.0, 28.0), (5.5, 27.0), ["a=1", "seed=1"])
    summary["p2000"] = _seed_row((4.0, 26.0), (3.0, 25.0), ["a=1", "p=2000"])
    summary["p2000_seed1"] = _seed_row((3.0, 24.0), (2.0, 23.0), ["a=1", "p=2000", "seed=1"])
    summary["p2000_over_seeds"] = {"seeds": [0]}  # an earlier verdict is not a run
    assert sorted(seed_runs(summary)) == [0, 1]
    assert seed_runs(summary, "p2000")[1] is summary["p2000_seed1"]
    out = over_seeds(summary, "p2000")
    assert out["seeds"] == [0, 1] and out["target_met"] is True
    assert out["mean"]["regen_bleu"] == 3.5
    assert over_seeds(summary)["target_met"] is False  # the headline's seed 1 is behind
    # a variant with only another seed's run: that seed is the reference scale
    only = {"p500_seed1": _seed_row((1.0, 1.0), (2.0, 2.0), ["p=500", "seed=1"])}
    assert over_seeds(only, "p500")["seeds"] == [1]


def test_a_variant_never_run_is_a_one_line_error():
    with pytest.raises(SystemExit, match="no run of variant 'p500': run it first"):
        over_seeds(_seed_row((1.0, 1.0), (2.0, 2.0), ["a=1"]), "p500")
