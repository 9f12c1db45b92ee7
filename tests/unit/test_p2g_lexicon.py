"""The lexicon + n-gram renderer: lexicon round trip, context for homophones, the n-gram model,
homophone error, saving through a run folder, and a text pool without held-out sentences."""

from __future__ import annotations

import math
import types

import pytest
import torch

from regen.data import more_text
from regen.data.speech import SpeechDataConfig, spoken_sentences
from regen.eval.asr_metrics import flagged_word_errors
from regen.modules.ngram_lm import EOS, KneserNeyLM
from regen.modules.sequences import pad_rows
from regen.modules.word_groups import group_words
from regen.renderers.p2g_lexicon import LexiconPhonemeToText
from regen.representations.characters import CHAR_VOCAB_SIZE, decode_ids, encode_texts
from regen.tasks.asr.data import normalize_all
from regen.tasks.asr.evaluate import homophone_error
from regen.tasks.asr.text_pool import text_pool
from regen.training import checkpoint as ckpt
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

BOUNDARY = 4
# A toy pronouncing dictionary: phoneme ids per word; "there"/"their" sound the same.
SOUNDS = {
    "they": [5, 6], "went": [7, 8, 9], "over": [10, 11], "there": [12, 13], "their": [12, 13],
    "house": [14, 15, 16], "is": [17, 18], "red": [19, 20, 21], "a": [22],
}  # fmt: skip
SPEC = types.SimpleNamespace(kind="discrete", shape=(None,), vocab_size=30)


def _phonemes(text: str) -> list[int]:
    out: list[int] = []
    for word in text.split():
        out += ([BOUNDARY] if out else []) + SOUNDS[word]
    return out


def _pairs(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    return pad_rows([_phonemes(t) for t in texts])[0], encode_texts(texts)[0]


def _renderer(fallback: str = "nearest", **kw) -> LexiconPhonemeToText:
    cfg = dict(fallback=fallback, lm_order=3, lm_weight=1.0, lexicon_beam=8, dim=32, depth=1,
               heads=2, dropout=0.0, max_len=32, input_noise=0.0, beam_size=1,
               length_alpha=0.0)  # fmt: skip
    return LexiconPhonemeToText(SPEC, CHAR_VOCAB_SIZE, BOUNDARY, types.SimpleNamespace(**cfg, **kw))


def _render(model: LexiconPhonemeToText, texts: list[str]) -> list[str]:
    return decode_ids(model.render(pad_rows([_phonemes(t) for t in texts])[0]))


TRAIN = ["they went over there", "their house is red", "a house is over there", "their house"]


def test_lexicon_built_from_sentences_round_trips() -> None:
    model = _renderer().fit(*_pairs(TRAIN))
    assert _render(model, TRAIN) == TRAIN
    spellings = [decode_ids(torch.tensor([w]))[0] for (w,) in model.spellings_of((12, 13))]
    assert sorted(spellings) == ["their", "there"]
    assert model.spellings_of((99,)) == []


def test_words_the_front_end_joined_become_multi_word_entries() -> None:
    joined = [5, 6, BOUNDARY, 10, 11, 12, 13]  # "they | over there" said as two words
    chars = encode_texts(["they over there"])[0]
    y_prime, y = _pairs(TRAIN)
    model = _renderer().fit(
        pad_rows([*y_prime.tolist(), joined])[0], pad_rows([*y.tolist(), chars[0].tolist()])[0]
    )
    assert decode_ids(model.render(pad_rows([joined])[0])) == ["they over there"]
    assert group_words("AB", "ab", {("A", "a"), ("B", "b")}) == [("A", ("a",)), ("B", ("b",))]
    assert group_words("AXD", "abcd", {("A", "a"), ("D", "d")}) == [
        ("A", ("a",)), ("X", ("b", "c")), ("D", ("d",))
    ]  # fmt: skip
    assert group_words("AX", "abc", {("A", "a")}) == [("A", ("a",)), ("X", ("b", "c"))]
    assert group_words("XY", "abc", set()) is None  # (ab)c or a(bc): ambiguous


def test_language_model_picks_the_homophone_that_fits_the_context() -> None:
    model = _renderer().fit(*_pairs(TRAIN))
    assert _render(model, ["they went over there"]) == ["they went over there"]
    assert _render(model, ["their house is red"]) == ["their house is red"]
    # the same sounds, other training text: the choice follows the text
    flipped = [
        t.replace("there", "X").replace("their", "there").replace("X", "their") for t in TRAIN
    ]
    model = _renderer().fit(*_pairs(flipped))
    assert _render(model, ["they went over their"]) == ["they went over their"]


def test_kneser_ney_prefers_seen_continuations_and_sums_to_one() -> None:
    lm = KneserNeyLM(3).fit([[0, 1, 2], [0, 1, 2], [3, 1, 4], [0, 3]])
    assert lm.prob(2, (0, 1)) > lm.prob(4, (0, 1))
    for context in [(0, 1), (-1, -1), (7, 8)]:
        total = sum(lm.prob(w, context) for w in [0, 1, 2, 3, 4, EOS]) + lm.prob(99, context)
        assert math.isclose(total, 1.0, rel_tol=1e-9)
    again = KneserNeyLM(3).load_counts(lm.counts())
    assert again.sentence_logprob([0, 1, 2]) == lm.sentence_logprob([0, 1, 2])


def test_unknown_pronunciations_fall_back_to_the_nearest_or_the_word_model() -> None:
    model = _renderer().fit(*_pairs(TRAIN))
    unknown = pad_rows([[5, 6, BOUNDARY, 14, 15, 25]])[0]  # "they" + a near miss of "house"
    assert decode_ids(model.render(unknown)) == ["they house"]
    neural = _renderer("neural").fit(*_pairs(TRAIN))
    assert neural.trainable and not model.trainable
    words = decode_ids(neural.render(unknown))[0].split()
    assert len(words) == 2 and words[0] == "they"  # the untrained model spells something
    assert len(_renderer("neural").render(unknown)) == 1  # unfitted: the fallback spells all


def test_homophone_error_counts_only_ambiguous_words() -> None:
    refs = ["they went over there", "their house is red"]
    hyps = ["they went over their", "their house is bed"]
    flags = [[False, False, False, True], [True, False, False, False]]
    assert flagged_word_errors(refs, hyps, flags) == (1, 2)
    model = _renderer().fit(*_pairs(TRAIN))
    representation = types.SimpleNamespace(
        vocab=types.SimpleNamespace(encode=lambda symbols: [BOUNDARY]),
        encode_texts=lambda texts: [_phonemes(t) for t in texts],
    )
    out = homophone_error(model, representation, refs, hyps)
    assert out == {"homophone_error": 0.5, "homophone_words": 2}


def test_tables_save_and_load_through_safetensors(tmp_path) -> None:
    model = _renderer().fit(*_pairs(TRAIN))
    ckpt.write_stage(tmp_path / "renderer", model_state=model.state_dict(), config_yaml="")
    assert {p.suffix for p in (tmp_path / "renderer").iterdir()} == {".safetensors", ".yaml"}
    fresh = _renderer()
    ckpt.load_weights(fresh, tmp_path / "renderer")
    texts = ["they went over there", "their house is red", "a house is over there"]
    assert _render(fresh, texts) == _render(model, texts) == texts
    with pytest.raises(Exception, match="empty"):
        _renderer().render(pad_rows([[5, 6]])[0])


def test_text_pool_never_holds_a_spoken_sentence(monkeypatch) -> None:
    data = SpeechDataConfig(num_sentences=30, test_fraction=0.2)
    spoken = spoken_sentences(data)
    _, normal = normalize_all(spoken)
    # the same sentences with other punctuation share their normal form
    variants = [s.rstrip(".!?") + "!" for s in spoken[:5]]
    monkeypatch.setitem(more_text.READERS, "debian", lambda: [*spoken[5:10], "A new sentence here"])
    pool, counts = text_pool(variants + ["Something never spoken aloud"], ["debian"], data)
    assert not set(pool) & set(normal)
    assert counts == {"fortunes": 1, "debian": 1}


@pytest.mark.parametrize(
    "override, message",
    [
        (["representation.word_boundaries=false", "renderer.unit=sentence"], "word_boundaries"),
        (["text.lm_sources=[wikipedia]"], "lm_sources"),
        (["renderer.fallback=guess"], "renderer.fallback"),
    ],
)
def test_bad_lexicon_settings_are_one_line_errors(override, message) -> None:
    from regen.config import load_recipe
    from regen.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_recipe("asr/phonemes", ["renderer.kind=lexicon_lm", *override])
