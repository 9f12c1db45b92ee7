"""The one model family of the text task learns to copy through its tied token table."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from regen.modules.prefix_seq2seq import PrefixSeq2Seq


@pytest.fixture(scope="module")
def reverser() -> PrefixSeq2Seq:
    """A model trained for 300 steps to write its source backwards (shared by two tests)."""
    torch.manual_seed(0)
    cfg = SimpleNamespace(dim=32, depth=2, heads=2, dropout=0.0, input_noise=0.0)
    model = PrefixSeq2Seq(40, 40, max_source=6, max_target=6, cfg=cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(300):
        x = torch.randint(1, 40, (32, 4))
        loss, _ = model.loss(x, x.flip(1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def test_learns_to_reverse_a_sequence_and_decodes_it_greedily(reverser):
    x = torch.randint(1, 40, (16, 4), generator=torch.Generator().manual_seed(1))
    assert (reverser.greedy(x) == x.flip(1)).float().mean() > 0.9


def test_an_empty_source_is_a_language_model_and_padding_is_ignored():
    cfg = SimpleNamespace(dim=16, depth=1, heads=2, dropout=0.0, input_noise=0.0)
    model = PrefixSeq2Seq(10, 10, max_source=5, max_target=4, cfg=cfg).eval()
    target = torch.tensor([[3, 4, 0], [5, 0, 0]])
    loss, _ = model.loss(torch.zeros(2, 1, dtype=torch.long), target)
    assert torch.isfinite(loss)
    padded = model.greedy(torch.tensor([[1, 2, 0, 0]]))
    assert torch.equal(padded, model.greedy(torch.tensor([[1, 2]])))
    assert padded.shape[1] <= 4


def untrained(seed: int, end_bias: float) -> PrefixSeq2Seq:
    """A small untrained model (12 ids) whose end-of-text logit is pushed by ``end_bias``:
    very negative, it never ends and so loops; positive, ending is the likeliest step."""
    torch.manual_seed(seed)
    cfg = SimpleNamespace(dim=16, depth=1, heads=2, dropout=0.0, input_noise=0.0)
    model = PrefixSeq2Seq(12, 12, max_source=5, max_target=8, cfg=cfg).eval()
    with torch.no_grad():
        model.bias[0] = end_bias
    return model


def test_repeated_names_the_pieces_that_would_repeat_an_ngram():
    from regen.modules.prefix_seq2seq import _repeated

    assert _repeated([5, 5], 2) == [5]  # "library library" -> no third
    assert _repeated([3, 4, 5, 3], 2) == [4]
    assert _repeated([3, 4, 5, 3], 3) == []
    assert _repeated([3, 4, 3], 1) == [3, 4]
    assert _repeated([], 2) == []


def test_beam_search_with_a_repeat_guard_never_repeats_and_width_one_is_greedy():
    model = untrained(seed=1, end_bias=-20.0)  # never ends, so it loops
    source = torch.tensor([[1, 2, 3], [4, 5, 0]])
    assert torch.equal(model.decode(source, beam=1), model.greedy(source))
    for beam in (1, 3):
        for row in model.decode(source, beam=beam, no_repeat_ngram=2).tolist():
            row = [t for t in row if t]
            bigrams = list(zip(row, row[1:]))
            assert len(bigrams) == len(set(bigrams)), row


def test_beam_search_decodes_what_the_model_learned(reverser):
    x = torch.randint(1, 40, (16, 4), generator=torch.Generator().manual_seed(2))
    assert (reverser.decode(x, beam=4) == x.flip(1)).float().mean() > 0.9


def test_the_copy_gate_learns_to_copy_and_a_language_model_still_works():
    torch.manual_seed(0)
    cfg = SimpleNamespace(dim=32, depth=2, heads=2, dropout=0.0, input_noise=0.0, copy=True)
    model = PrefixSeq2Seq(40, 40, max_source=6, max_target=6, cfg=cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(150):
        x = torch.randint(1, 40, (32, 4))
        loss, _ = model.loss(x, x.flip(1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x = torch.randint(1, 40, (16, 4))
    assert (model.decode(x, beam=2) == x.flip(1)).float().mean() > 0.9
    loss, _ = model.loss(torch.zeros(2, 1, dtype=torch.long), torch.tensor([[3, 4], [5, 0]]))
    assert torch.isfinite(loss)
    assert model.decode(torch.tensor([[1, 2, 0, 0]])).shape[1] <= 6


def test_a_length_penalty_above_one_lets_longer_hypotheses_win():
    """With the plain sum the beam fills with texts that end at once; ranking by
    sum / length ** a inside the search keeps longer ones alive, and a = 1 stays a mean."""
    model = untrained(seed=3, end_bias=2.0)  # ending is the likeliest single step
    source = torch.randint(1, 12, (8, 3), generator=torch.Generator().manual_seed(4))

    def mean_length(penalty: float) -> float:
        out = model.decode(source, beam=4, no_repeat_ngram=2, length_penalty=penalty)
        return float((out != 0).sum(1).float().mean())

    short = mean_length(0.0)
    assert mean_length(2.0) > short + 3
    assert torch.equal(
        model.decode(source, beam=1), model.decode(source, beam=1, length_penalty=1.0)
    )


def test_the_word_guard_bans_a_whole_word_written_before_and_nothing_else():
    """Piece bigrams let `binary object binary AVR object` through; the word guard forbids a
    whole word (a word-start piece of the mask) a hypothesis already holds."""
    from regen.modules.prefix_seq2seq import _repeated_words

    words = torch.tensor([False, False, True, True, True, False])  # 2, 3, 4: whole words
    assert _repeated_words([2, 5, 5, 1], words) == [2]  # 5 (inside a word) may repeat
    assert _repeated_words([2, 3, 4, 5, 5], words) == [2, 3, 4]
    assert _repeated_words([5, 1], words) == []
    assert _repeated_words([2, 3], None) == []


def test_beam_search_with_the_word_guard_never_writes_a_word_twice():
    model = untrained(seed=1, end_bias=-20.0)  # never ends, so it loops
    words = torch.zeros(12, dtype=torch.bool)
    words[2:9] = True  # ids 9, 10, 11 (and 1) are pieces inside a word: free to repeat
    source = torch.tensor([[1, 2, 3], [4, 5, 0]])
    for beam in (1, 3):
        for row in model.decode(source, beam=beam, no_repeat_ngram=2, repeat_words=words).tolist():
            written = [t for t in row if t and words[t]]
            assert len(written) == len(set(written)), row


def test_the_word_mask_marks_whole_words_of_a_minimum_length():
    from regen.modules.prefix_seq2seq import whole_word_mask

    vocab = ["<pad>", "<unk>", " library", " for", "s", ",", " l", " GTK", "/NN", " parse"]
    mask = whole_word_mask(vocab, min_chars=4).tolist()
    assert [p for p, m in zip(vocab, mask) if m] == [" library", " parse"]
    assert whole_word_mask(vocab, 3).tolist()[vocab.index(" GTK")]


VOCAB = ["<pad>", "<unk>", " a", " b", "c", "d", "e", " lib", ",", "/NN"]


def test_spelled_words_of_the_source_are_the_only_ones_that_may_be_continued():
    """The generator invented words letter by letter (`Fichalashiarac/JJ`); with the
    spelling guard a word started as a single letter may go on only along a word of the
    source spelled the same way."""
    from regen.modules.prefix_seq2seq import SpellingGuard

    guard = SpellingGuard(VOCAB)
    prefixes = guard.source_prefixes([7, 3, 4, 5, 8, 2, 6, 9, 4, 6])  # " lib bcd, ae/NNce"
    assert prefixes == {(3,): {4}, (3, 4): {5}, (2,): {6}, (4,): {6}}
    assert guard.banned([7, 3], prefixes) == [5, 6]  # after " b" only "c" goes on
    assert guard.banned([3, 4, 5], prefixes) == [4, 5, 6]  # " bcd" is whole: no more letters
    assert guard.banned([7], prefixes) == [4, 5, 6]  # " lib" is whole: nothing continues it
    assert guard.banned([3, 4, 8], prefixes) == []  # after punctuation: no run going on
    # letters after punctuation or a tag are a run too (`3.xinigicitiang` on dev)
    assert guard.banned([9, 4], prefixes) == [4, 5]
    assert guard.banned([9, 5], prefixes) == [4, 5, 6]


def test_beam_search_with_the_spelling_guard_writes_no_unseen_spelling():
    torch.manual_seed(2)
    cfg = SimpleNamespace(dim=16, depth=1, heads=2, dropout=0.0, input_noise=0.0, copy=True)
    model = PrefixSeq2Seq(10, 10, max_source=8, max_target=8, cfg=cfg).eval()
    with torch.no_grad():
        model.bias[4:7] = 5.0  # letters that continue a word are the likeliest pieces
        model.bias[0] = -20.0
    from regen.modules.prefix_seq2seq import SpellingGuard

    guard = SpellingGuard(VOCAB)
    source = torch.tensor([[7, 3, 4, 5, 8], [2, 6, 9, 0, 0]])
    out = model.decode(source, beam=3, no_repeat_ngram=2, spelling=guard)
    for row, src in zip(out.tolist(), source.tolist()):
        prefixes = guard.source_prefixes(src)
        row = [t for t in row if t]
        for i, t in enumerate(row):
            assert t not in guard.banned(row[:i], prefixes), row
    free = model.decode(source, beam=3, no_repeat_ngram=2)
    assert not torch.equal(free, out)  # the guard changed what was written
