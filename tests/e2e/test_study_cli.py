"""``regen study`` on the command line: a one-line error (exit 2) for each bad input."""

from __future__ import annotations

import pytest

from regen.cli import main

RECIPE = "image/digits_latent_diffusion"


def _error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("regen: error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_bad_study_inputs_give_one_line_errors(capsys, tmp_path):
    assert "no recipe 'image/nope'" in _error(capsys, "study", "paired", "image/nope")
    assert "--workers" in _error(capsys, "study", "tradeoff", RECIPE, "--workers", "0")
    assert "unknown config key 'train.joint.colour'" in _error(
        capsys, "study", "mismatch", RECIPE, "train.joint.colour=1"
    )
    assert "paired_fraction" in _error(
        capsys, "study", "paired", RECIPE, "data.paired_fraction=2", "--out", str(tmp_path / "a")
    )
    assert "regeneration recipe" in _error(capsys, "study", "paired", "image/digits_direct")
    assert "continuous learned Y'" in _error(
        capsys, "study", "mismatch", "image/glyphs_vq_ar", "--out", str(tmp_path / "c")
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "study.json").write_text('{"study": "x", "recipe": "y", "overrides": []}')
    assert "--out" in _error(capsys, "study", "discrete", RECIPE, "--out", str(tmp_path / "b"))


def test_unknown_study_name_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", "nosuch", RECIPE])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nosuch'" in capsys.readouterr().err


def test_bad_tradeoff_axes_give_one_line_errors(capsys, tmp_path):
    err = _error(capsys, "study", "tradeoff", RECIPE, "--axis", "colour", "--out", str(tmp_path))
    assert "unknown axis 'colour'" in err and "factor, codebook, levels" in err
    err = _error(capsys, "study", "tradeoff", RECIPE, "--axis", "codebook", "--out", str(tmp_path))
    assert "image/digits_vq_ar" in err  # a VAE recipe has no codebook
    err = _error(capsys, "study", "tradeoff", "image/digits_vq_ar", "--axis", "levels")
    assert "representation.kind=rvq" in err
    assert "drop --axis" in _error(capsys, "study", "paired", RECIPE, "--axis", "factor")
    assert not (tmp_path / "study.json").exists()  # refused before any folder is claimed
