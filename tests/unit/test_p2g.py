"""The phoneme-to-text renderer: learns pairs, batch and single decoding agree, beam search."""

from __future__ import annotations

import types

import torch

from regen.contracts import YSpec
from regen.modules.sequences import split_at
from regen.renderers.p2g import PhonemeToText
from regen.renderers.p2g_words import WordwisePhonemeToText, word_pairs
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

SPEC = YSpec(kind="discrete", shape=(None,), dtype="int64", vocab_size=12)
CHARS = 9


def _renderer(**kw) -> PhonemeToText:
    cfg = dict(dim=48, depth=2, heads=4, dropout=0.0, max_len=64, input_noise=0.0,
               beam_size=1, length_alpha=0.0)  # fmt: skip
    return PhonemeToText(SPEC, CHARS, types.SimpleNamespace(**{**cfg, **kw}))


def _pairs():
    phonemes = torch.tensor([[4, 5, 6, 0], [7, 7, 8, 9], [10, 4, 0, 0], [11, 0, 0, 0]])
    chars = torch.tensor([[1, 2, 3, 3, 0], [4, 5, 6, 0, 0], [7, 8, 1, 2, 3], [6, 6, 0, 0, 0]])
    return phonemes, chars


def _trained() -> PhonemeToText:
    torch.manual_seed(0)
    model = _renderer(dim=32, depth=1)
    phonemes, chars = _pairs()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(100):
        loss, logs = model.training_loss({"y_prime": phonemes, "y": chars})
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert logs["char_accuracy"] == 1.0
    return model.eval()


def test_renderer_learns_pairs_and_decodes_them_greedy_and_beam() -> None:
    model = _trained()
    phonemes, chars = _pairs()
    greedy = model.render(phonemes, beam_size=1)
    beam = model.render(phonemes, beam_size=3)
    for out in (greedy, beam):
        assert out[:, : chars.shape[1]].tolist() == chars.tolist()


def test_batch_decoding_matches_single_items() -> None:
    torch.manual_seed(1)
    model = _renderer().eval()
    phonemes, _ = _pairs()
    batch = model.render(phonemes, beam_size=1)
    for i in range(len(phonemes)):
        alone = model.render(phonemes[i : i + 1], beam_size=1)[0]
        width = alone.shape[0]
        assert batch[i, :width].tolist() == alone.tolist()


def test_output_length_is_bounded_for_an_untrained_model() -> None:
    torch.manual_seed(2)
    model = _renderer(max_len=64).eval()
    out = model.render(torch.tensor([[4, 5, 0, 0]]), beam_size=1)
    assert out.shape[1] <= 2 * 3 + 8  # phonemes + separator, doubled, plus slack
    assert int(out.min()) >= 0 and int(out.max()) < CHARS


def test_word_pairs_split_sentences_where_words_agree() -> None:
    boundary = 3
    phonemes = torch.tensor([[4, 5, 3, 6, 0], [7, 3, 8, 3, 9]])
    chars = torch.tensor([[2, 2, 1, 4, 0], [5, 6, 0, 0, 0]])  # 1 is the space
    words_p, words_c = word_pairs(phonemes, chars, boundary)
    assert words_p.tolist() == [[4, 5], [6, 0]]  # the second sentence has 3 vs 1 words
    assert words_c.tolist() == [[2, 2], [4, 0]]
    assert split_at([3, 4, 3, 3, 5], 3) == [[4], [5]]


def test_wordwise_renderer_spells_each_word_and_joins_with_spaces() -> None:
    torch.manual_seed(4)
    cfg = types.SimpleNamespace(dim=32, depth=1, heads=4, dropout=0.0, max_len=32,
                                input_noise=0.0, beam_size=1, length_alpha=0.0)  # fmt: skip
    model = WordwisePhonemeToText(SPEC, CHARS, boundary=3, cfg=cfg).eval()
    sentence = torch.tensor([[4, 5, 3, 6, 3, 7, 8]])
    # the words are decoded together (one padded batch), then joined in order
    spelled = model.words.render(torch.tensor([[4, 5], [6, 0], [7, 8]]))
    expected = []
    for word in spelled:
        word = [int(c) for c in word if c]
        if word:
            expected += ([1] if expected else []) + word
    assert [int(c) for c in model.render(sentence)[0] if c] == expected
    assert model.render(torch.tensor([[3, 0, 0]])).abs().sum() == 0  # no word, no text
