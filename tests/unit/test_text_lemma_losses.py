"""benchmarks/text_lemma_losses.py counts what the lemma template takes from a synopsis."""

from __future__ import annotations

from benchmarks.text_lemma_losses import lemma_losses


def test_lemma_losses_count_slots_inflection_and_case():
    # "Tools" (first, capitalised, plural): inflection; "X": case; "11": a number slot
    out = lemma_losses(["Tools for the X window system 11", "a plain library"])
    assert out["tokens"] == 10
    assert out["num_slot_pct_of_tokens"] == 10.0
    assert out["lemma_differs_pct_of_tokens"] == 10.0  # tools -> tool
    assert out["case_changed_pct_of_tokens"] == 10.0  # X -> x
    assert out["first_case_changed_pct_of_tokens"] == 0.0  # counted as inflection above
    assert out["records_with_num_slot_pct"] == 50.0


def test_the_cased_rule_takes_inflection_only():
    out = lemma_losses(["Tools for the X window system 11", "a plain library"], "lemmas_cased")
    assert out["lemma_differs_pct_of_tokens"] == 10.0  # Tools -> Tool
    assert out["num_slot_pct_of_tokens"] == 0.0 and out["records_with_num_slot_pct"] == 0.0
    assert out["case_changed_pct_of_tokens"] == 0.0
    assert out["first_case_changed_pct_of_tokens"] == 0.0
