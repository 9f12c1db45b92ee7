"""The text task's Y' rule: deterministic, a function of the synopsis alone, offline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from regen.data.debian_records import read_record_file
from regen.errors import DataError
from regen.modules.brill_tagger import BrillTagger
from regen.modules.word_pieces import WordPieces
from regen.modules.wordnet_morphy import WordNetMorphy
from regen.representations.text_template import (
    TextTemplate,
    content_lemmas,
    skeleton_template,
    template,
    template_words,
)
from regen.tasks.text.build import load_text_data
from regen.tasks.text.config import TextRecipe

STATUS = Path("/var/lib/dpkg/status")


def test_content_template_keeps_content_lemmas_and_slots():
    assert template("Python library for parsing configuration files") == (
        "python/JJ library/NN parse/VBG configuration/NN file/NNS"
    )
    # numbers become a slot, identifiers stay verbatim, closed-class words go
    assert template("GTK+ bindings for the 3.2 release") == "GTK+/JJ binding/NNS <NUM> release/NN"
    # a title-case line is lower-cased first, so its words are not all proper nouns
    assert template("Real-Time Strategy Game of Ancient Warfare") == (
        "real-time/JJ strategy/NN game/NN ancient/JJ warfare/NN"
    )
    assert skeleton_template("tools for the web") == ["/NNS", "for", "the", "/NN"]
    assert content_lemmas("Libraries for parsing") == ["library", "parse"]


def test_words_template_keeps_the_content_words_as_written():
    """Surface words (what X holds, so the generator can copy them), numbers and casing kept;
    the function words and punctuation are the renderer's to add."""
    assert template("Python library for parsing configuration files", "words") == (
        "Python library parsing configuration files"
    )
    assert template("GTK+ bindings for the 3.2 release", "words") == "GTK+ bindings 3.2 release"
    assert template("Real-Time Strategy Game of Ancient Warfare", "words") == (
        "Real-Time Strategy Game Ancient Warfare"
    )


def test_template_words_cut_the_tag_only_from_the_tagged_kinds():
    """Template F1 compares these words: a slash inside an untagged item ("TCP/IP") is part of
    the word, not a tag to cut (it was cut for the words and lemma kinds, so "TCP/IP" and
    "TCP/UDP" counted as the same word)."""
    assert template_words("TCP/IP/NNP utility/NN <NUM>", "content") == ["tcp/ip", "utility"]
    assert template_words("for /JJ /NN", "skeleton") == ["for", "", ""]
    assert template_words("TCP/IP utility", "words") == ["tcp/ip", "utility"]
    assert template_words("TCP/IP utility for the <NUM>", "lemmas") == [
        "tcp/ip",
        "utility",
        "for",
        "the",
    ]
    assert template_words("TCP/UDP tool", "lemmas_cased") == ["tcp/udp", "tool"]


def test_lemmas_template_keeps_every_word_in_order_without_inflection():
    """The middle of the trade-off: function words and punctuation stay (lower-cased), content
    words lose their inflection only, so the renderer restores inflection, case and spacing."""
    assert template("Python library for parsing configuration files", "lemmas") == (
        "python library for parse configuration file"
    )
    # identifiers stay verbatim, numbers become a slot, punctuation is kept
    assert template("GTK+ bindings for the 3.2 release", "lemmas") == (
        "GTK+ binding for the <NUM> release"
    )
    assert template("GNU R package: tools for two-way tables (development files)", "lemmas") == (
        "GNU r package : tool for two-way table ( development file )"  # one letter: as content
    )
    # a title-case line is lower-cased first; a capitalised function word is lower-cased too
    assert template("The Real-Time Strategy Game of Ancient Warfare", "lemmas") == (
        "the real-time strategy game of ancient warfare"
    )
    # proper nouns as written
    assert template("Seven Kingdoms is a real-time strategy game", "lemmas") == (
        "seven Kingdoms be a real-time strategy game"
    )


def test_lemmas_cased_template_keeps_case_and_numbers_and_strips_inflection_only():
    """The least compact point: every token as written (case and numbers kept), inflected
    content words as their lemma with the word's first-letter case, so the renderer restores
    inflection only."""
    assert template("Python library for parsing configuration files", "lemmas_cased") == (
        "Python library for parse configuration file"
    )
    # numbers verbatim, identifiers verbatim, punctuation kept
    assert template("GTK+ bindings for the 3.2 release", "lemmas_cased") == (
        "GTK+ binding for the 3.2 release"
    )
    # a one-letter word keeps its capital (the lemmas rule lowers it; X cannot tell it back)
    assert template("Creates X menus from the shell", "lemmas_cased") == (
        "Create X menu from the shell"
    )
    # a title-case line is lower-cased for tagging only: the emitted words keep their capitals
    assert template("The Real-Time Strategy Games of Ancient Warfare", "lemmas_cased") == (
        "The Real-Time Strategy Game of Ancient Warfare"
    )
    assert template("Seven Kingdoms is a real-time strategy game", "lemmas_cased") == (
        "Seven Kingdoms be a real-time strategy game"
    )


def test_lemmas_cased_differs_from_the_lemmas_rule_only_in_case_and_numbers():
    """Lower-cased, with numbers as a slot, the cased rule gives the lemmas rule's items."""
    from regen.modules.brill_tagger import NUMBER

    for record in read_record_file(STATUS)[:200]:
        cased = template(record.synopsis, "lemmas_cased").split()
        lowered = template(record.synopsis, "lemmas").split()
        assert len(cased) == len(lowered), record.synopsis
        for c, w in zip(cased, lowered):
            if w == "<NUM>":
                assert NUMBER.match(c), (record.synopsis, c)
            else:
                assert c.lower() == w.lower(), (record.synopsis, c, w)


def test_template_is_deterministic_over_real_synopses():
    synopses = [r.synopsis for r in read_record_file(STATUS)[:200]]
    for kind in ("content", "lemmas", "lemmas_cased"):
        first = [template(s, kind) for s in synopses]
        assert first == [template(s, kind) for s in synopses]
        assert all(first[i] for i in range(len(first)) if any(c.isalpha() for c in synopses[i]))


@pytest.mark.parametrize("kind", ["content", "words", "skeleton", "lemmas", "lemmas_cased"])
def test_template_never_reads_x(tmp_path, kind):
    """The same synopsis with different records (X) gets the same template in the data."""
    records = [r for r in read_record_file(STATUS) if r.long][:40]
    changed = [
        dataclasses.replace(r, package="other", long="Something else entirely.", tags="x::y")
        for r in records
    ]
    config = TextRecipe(name="t")
    config.data.vocab_size = 100
    config.representation.kind = kind

    def templates(recs):
        from regen.tasks.text.data import TextCorpus

        corpus = TextCorpus({"paired": recs, "unpaired": [], "dev": [], "test": []}, {})
        return load_text_data(config, corpus).templates

    assert templates(records) == templates(changed)


def test_representation_encodes_token_ids_to_template_ids():
    texts = ["Python library for parsing files", "transitional dummy package"]
    vocab = WordPieces.fit([*texts, *(template(t) for t in texts)], 50)
    rep = TextTemplate(vocab)
    y = rep.encode_texts(texts)  # (already templates; check through encode below)
    from regen.modules.sequences import pad_rows

    ids = pad_rows([vocab.encode(t) for t in texts])[0]
    assert [vocab.decode(r) for r in rep.encode(ids).tolist()] == [template(t) for t in texts]
    assert y.dtype.is_floating_point is False
    rep.spec.check(rep.encode(ids), "test")


def test_word_pieces_round_trip_and_spell_unknown_words():
    vocab = WordPieces.fit(
        ["a library for parsing files (GTK+ 3)", "abcdefghijklmnopqrstuvwxyz"], 5
    )
    for text in ("a library for parsing files (GTK+ 3)", "zebra  parsing\tfoo"):
        assert vocab.decode(vocab.encode(text)) == " ".join(text.split())


def test_missing_debian_files_name_the_package(tmp_path):
    with pytest.raises(DataError, match="apt-get install python3-pattern"):
        BrillTagger.load(tmp_path)
    with pytest.raises(DataError, match="apt-get install wordnet-base"):
        WordNetMorphy.load(tmp_path)


@pytest.mark.parametrize(
    "recipe, kind",
    [
        ("debian_synopsis", "lemmas_cased"),
        ("debian_content", "content"),
        ("debian_words", "words"),
        ("debian_skeleton", "skeleton"),
        ("debian_lemmas", "lemmas"),
    ],
)
def test_each_text_recipe_loads_with_its_template_and_the_direct_baseline(recipe, kind):
    from regen.config import load_with_baseline

    regen_cfg, direct_cfg = load_with_baseline(f"text/{recipe}", [])
    assert regen_cfg.representation.kind == kind and direct_cfg.is_direct


@pytest.mark.parametrize("recipe", ["debian_lemmas", "debian_content"])
def test_the_ablation_recipes_train_and_write_synopses(tmp_path, monkeypatch, recipe):
    """A tiny pipeline of each ablation recipe trains end to end and writes synopses (the
    default recipe, now the cased lemmas, is trained by the task and CLI tests)."""
    from regen.config import load_recipe
    from regen.tasks.text.train import synopses, train_text
    from tests.text_tiny import TINY_TEXT

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config = load_recipe(f"text/{recipe}", TINY_TEXT)
    pipeline, _ = train_text(config, tmp_path / "run", progress=False)
    assert pipeline.representation.kind == recipe.removeprefix("debian_")
    texts, templates = synopses(pipeline, ["Package: foo\nA library for parsing files."])
    assert len(texts) == 1 and len(templates) == 1
