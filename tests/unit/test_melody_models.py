"""The aligned transformer, the lyrics generators and the template-to-melody renderer."""

from __future__ import annotations

import torch

from regen.data.lyrics import syllabify
from regen.generators.lyrics import LyricsGenerator, condition_from_lyrics
from regen.modules.aligned import AlignedTransformer
from regen.modules.music_tables import (
    DUR,
    MELODY_SPEC,
    PITCH,
    POS,
    T_CADENCE,
    T_CHORD,
    T_CONTOUR,
    T_DUR,
    T_KEY,
    T_POS,
    T_STRENGTH,
    TEMPLATE_SPEC,
)
from regen.modules.music_theory import parse_key, triad
from regen.renderers.template_to_melody import TemplateToMelody
from regen.tasks.melody.config import MelodyRendererConfig, SequenceModelConfig
from tests.melody_tiny import one_torch_thread  # noqa: F401

SMALL = SequenceModelConfig(hidden=32, depth=1, heads=4, dropout=0.0)


def test_aligned_transformer_learns_a_copy_task():
    torch.manual_seed(0)
    model = AlignedTransformer([10], [10], hidden=32, depth=1, heads=4, dropout=0.0, max_len=6)
    x = torch.randint(1, 10, (32, 6, 1))
    valid = torch.ones(32, 6, dtype=torch.bool)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        loss, _ = model.loss(x, x, valid)
        first = first if first is not None else loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 3
    out = model.sample(x[:4], valid[:4], temperature=0)
    assert (out == x[:4]).float().mean() > 0.9


def test_sampling_respects_masks_and_padding():
    model = AlignedTransformer([5], [6], hidden=16, depth=1, heads=2, dropout=0.0, max_len=5)
    x = torch.ones(3, 5, 1, dtype=torch.long)
    valid = torch.arange(5)[None] < torch.tensor([[5], [3], [1]])
    allowed = torch.zeros(3, 6, dtype=torch.bool)
    allowed[:, 4] = True
    out = model.sample(x, valid, mask_fn=lambda i, o: [allowed])
    assert (out[valid] == 4).all() and (out[~valid] == 0).all()


def test_lyrics_generator_rhythm_fits_the_meter():
    syllables = syllabify("twinkle twinkle little star, how I wonder what you are")
    x = condition_from_lyrics(syllables, parse_key("D major"), bar=12, beat=4, start=8)
    for target, spec in (("template", TEMPLATE_SPEC), ("melody", MELODY_SPEC)):
        generator = LyricsGenerator(target, SMALL, max_len=32).eval()
        table = generator.sample(x, generator=torch.Generator().manual_seed(0))
        spec.check(table, target)
        pos, dur = (T_POS, T_DUR) if target == "template" else (POS, DUR)
        assert table.shape == (1, len(syllables), spec.shape[1])
        assert int(table[0, 0, pos]) == 8 and (table[0, :, dur] >= 1).all()
        assert torch.equal(table[0, 1:, pos], (table[0, :-1, pos] + table[0, :-1, dur]) % 12)
        loss, _ = generator.training_loss({"x": x, "y_prime": table})
        assert torch.isfinite(loss)


def test_constrained_renderer_obeys_the_template():
    syllables = syllabify("the quick brown fox jumps over the lazy dog.")
    x = condition_from_lyrics(syllables, parse_key("minor"))
    template = LyricsGenerator("template", SMALL, max_len=32).eval().sample(x)
    template[..., T_CONTOUR:] = 0  # key, chord and cadence rules alone (no melodic shape)
    renderer = TemplateToMelody(MelodyRendererConfig(hidden=32, depth=1, dropout=0.0), 32).eval()
    melody = renderer.render(template, generator=torch.Generator().manual_seed(1))
    MELODY_SPEC.check(melody, "renderer")
    assert torch.equal(melody[..., DUR], template[..., T_DUR])
    for i in range(len(syllables)):
        pc = int(melody[0, i, PITCH]) % 12
        tones = triad(int(template[0, i, T_KEY]), int(template[0, i, T_CHORD]))
        if int(template[0, i, T_CADENCE]) == 2:  # the cadence outranks the chord
            assert pc == int(template[0, i, T_KEY]) % 12
        elif int(template[0, i, T_STRENGTH]) <= 1 and tones:
            assert pc in tones
    assert (melody[0, 1:, PITCH] - melody[0, :-1, PITCH]).abs().max() <= 12
