"""The CLI end to end: a tiny train/sample/compare, and a one-line error for each bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from regen.cli import main
from tests.report_check import rendered_report
from tests.tiny import TINY


def _error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("regen: error: ") and "\n" not in err and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "image/glyphs_latent_diffusion", *TINY, "--out", str(run)]) == 0
    return run


def test_train_then_sample_writes_png(trained, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["sample", str(trained), "1", "2", "-n", "2", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_inputs_give_one_line_errors(trained, tmp_path, capsys):
    assert "no recipe 'image/nope'" in _error(capsys, "train", "image/nope")
    assert "unknown config key 'generator.colour'" in _error(
        capsys, "train", "image/glyphs_vq_ar", "generator.colour=red"
    )
    assert "must be int" in _error(capsys, "train", "image/glyphs_vq_ar", "train.generator.steps=x")
    assert "train one first" in _error(capsys, "sample", str(tmp_path / "never-trained"), "A")
    assert "'Q' is not a class" in _error(capsys, "sample", str(trained), "Q")

    broken = tmp_path / "broken"
    shutil.copytree(trained, broken)
    weights = broken / "generator" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    assert "corrupted or truncated" in _error(capsys, "sample", str(broken), "1")

    mismatched = tmp_path / "mismatched"
    shutil.copytree(trained, mismatched)
    config = mismatched / "config.yaml"
    config.write_text(config.read_text().replace("hidden: 32", "hidden: 48", 1))
    assert "shape" in _error(capsys, "sample", str(mismatched), "1")


def test_missing_data_package_names_it(monkeypatch, capsys):
    from regen.data import glyphs

    monkeypatch.setattr(glyphs, "FONT_DIRS", [Path("/nonexistent")])
    err = _error(capsys, "data", "glyphs")
    assert "apt-get install" in err


def test_debug_shows_the_traceback():
    from regen.errors import ConfigError

    with pytest.raises(ConfigError):
        main(["--debug", "train", "image/nope"])


def test_compare_writes_a_report_that_renders(tmp_path, capsys):
    out = tmp_path / "compare"
    assert main(["compare", "image/glyphs_latent_diffusion", *TINY, "--out", str(out)]) == 0
    report = out / "report.html"
    assert str(report.resolve()) in capsys.readouterr().out
    dom = rendered_report(report, tmp_path / "shot.png")
    for metric in ("fid", "kid", "precision", "recall", "accuracy", "sampling_images_per_s"):
        assert f">{metric}<" in dom


def test_regen_report_names_an_unknown_task(tmp_path, capsys):
    (tmp_path / "results.json").write_text('{"task": "weather"}')
    assert main(["report", str(tmp_path)]) == 2
    assert "unknown task 'weather'" in capsys.readouterr().err


def test_sample_checks_out_before_sampling_and_creates_its_folder(trained, tmp_path, capsys):
    """Issue 15, case 6: --out was checked only after sampling (IsADirectoryError,
    FileNotFoundError); now before the pipeline is even loaded, and a missing parent is made."""
    from unittest import mock

    folder = tmp_path / "existing_dir"
    folder.mkdir()
    with mock.patch("regen.runs.load_run", side_effect=AssertionError("loaded")):
        assert "is a folder" in _error(capsys, "sample", str(trained), "1", "--out", str(folder))
        assert "ending in .png" in _error(
            capsys, "sample", str(trained), "1", "--out", str(tmp_path / "grid.jpg")
        )
    out = tmp_path / "no" / "such" / "dir" / "x.png"
    assert main(["sample", str(trained), "1", "-n", "1", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.png"]  # no temporary left
