"""The text benchmark's renderer-asset steps: a declared setting that the JSON's command names,
and that direct_lm's LM pretraining and the budget rule follow (same synopsis-only samples)."""

from __future__ import annotations

from benchmarks.text_regen_vs_direct import RENDERER_STEPS, budget_rule, parse_args, run_command
from regen.config import load_recipe
from regen.tasks.text.compare import lm_variant
from tests.text_tiny import TINY_TEXT


def test_command_names_the_renderer_steps_only_when_changed():
    assert "--renderer-steps" not in run_command(parse_args([]))
    command = run_command(
        parse_args(["--renderer-steps", "4800", "--seed", "1", "--ablations", ""])
    )
    assert "--renderer-steps 4800" in command and "--seed 1" in command
    assert '--ablations ""' in command
    assert RENDERER_STEPS != 4800  # else the first assertion tests nothing


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
