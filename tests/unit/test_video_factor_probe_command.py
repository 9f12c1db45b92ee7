"""The factor probe's results JSON must name every argument that changes what it ran or where
it wrote, so its ``command`` reproduces that file (not the default results file)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.video_factor_probe import parse_args, run_command


def test_command_names_out_results_and_representation():
    args = parse_args(
        [
            "--out",
            "runs/st",
            "--results",
            "probe_st",
            "--representation-from",
            "runs/vae",
            "generator.layout=space_time",
        ]
    )
    command = run_command(args)
    assert "--out runs/st" in command and "--results probe_st" in command
    assert "--representation-from runs/vae" in command
    assert command.endswith("generator.layout=space_time")


def test_command_leaves_defaults_out():
    args = parse_args([])
    assert run_command(args).endswith("benchmarks.video_factor_probe")
    assert isinstance(args.out, Path)
