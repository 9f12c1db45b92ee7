"""Each text system's decoding length penalty is the grid value with the best dev BLEU."""

from __future__ import annotations

from types import SimpleNamespace

from regen.tasks.text.length_penalty import choose_length_penalty


def _stage() -> SimpleNamespace:
    return SimpleNamespace(model=SimpleNamespace(cfg=SimpleNamespace(length_penalty=0.0)))


def test_the_penalty_with_the_best_dev_bleu_is_set_on_every_stage():
    regen = SimpleNamespace(is_direct=False, generator=_stage(), renderer=_stage())
    references = ["a small library for parsing configuration files"] * 4
    written = {
        0.0: ["library"] * 4,  # short: the brevity penalty
        1.0: ["a small library for parsing"] * 4,
        2.0: ["a small library for parsing files and more words than needed"] * 4,
    }
    seen = []

    def write(pipeline) -> list[str]:
        penalty = pipeline.generator.model.cfg.length_penalty
        assert pipeline.renderer.model.cfg.length_penalty == penalty  # one value per system
        seen.append(penalty)
        return written[penalty]

    best, scores = choose_length_penalty(regen, write, references, [0.0, 1.0, 2.0])
    assert seen == [0.0, 1.0, 2.0]
    assert str(best) == max(scores, key=lambda k: scores[k]) == "1.0"
    assert regen.generator.model.cfg.length_penalty == best
    assert regen.renderer.model.cfg.length_penalty == best


def test_per_stage_the_generator_and_renderer_penalties_are_chosen_together():
    """Regen's two stages each get a penalty: the best pair on dev, which need not be one
    value (here a long template rendered plainly); each template set is made once."""
    from regen.tasks.text.length_penalty import choose_stage_penalties

    regen = SimpleNamespace(is_direct=False, generator=_stage(), renderer=_stage())
    references = ["a small library for parsing configuration files"] * 4
    made = []

    def generate(pipeline) -> list[str]:
        made.append(pipeline.generator.model.cfg.length_penalty)
        return ["long" if pipeline.generator.model.cfg.length_penalty else "short"] * 4

    def render(pipeline, templates) -> list[str]:
        longer = pipeline.renderer.model.cfg.length_penalty > 0
        if templates[0] == "short":
            return ["library"] * 4
        if longer:
            return ["a small library for parsing files and more words than needed"] * 4
        return ["a small library for parsing configuration"] * 4

    (g, r), scores = choose_stage_penalties(regen, generate, render, references, [0.0, 2.0])
    assert (g, r) == (2.0, 0.0)
    assert made == [0.0, 2.0]
    assert len(scores) == 4 and max(scores, key=lambda k: scores[k]) == "2.0/0.0"
    assert regen.generator.model.cfg.length_penalty == 2.0
    assert regen.renderer.model.cfg.length_penalty == 0.0
