"""The decoding length penalty of each text system, chosen on dev records.

Every learned system of the text task wrote shorter texts than the references (about 4
words against 6.2 at the first benchmark), so BLEU's brevity penalty hit all of them. The
beam's length penalty (:meth:`regen.modules.prefix_seq2seq.PrefixSeq2Seq.decode`) is the
fix, and it is chosen the same way for every system: the penalty of the grid with the best
BLEU on the same dev records, one value for all stages of a system (regen's generator and
renderer alike), before the test split is decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from regen.eval.text_metrics import bleu
from regen.pipeline import Pipeline


def stage_configs(pipeline: Pipeline) -> list:
    """The decoding configs of a text pipeline's learned stages (generator, then renderer)."""
    stages = [pipeline.generator] if pipeline.is_direct else [pipeline.generator, pipeline.renderer]
    return [stage.model.cfg for stage in stages]


def set_length_penalty(pipeline: Pipeline, penalty: float) -> None:
    for cfg in stage_configs(pipeline):
        cfg.length_penalty = float(penalty)


def choose_length_penalty(
    pipeline: Pipeline,
    write: Callable[[Pipeline], list[str]],
    references: list[str],
    penalties: list[float],
) -> tuple[float, dict[str, float]]:
    """Set, and return, the penalty of ``penalties`` whose texts (``write(pipeline)``) score
    the best BLEU against ``references``; with every penalty's BLEU. Ties keep the earlier."""
    scores: dict[str, float] = {}
    best, best_score = penalties[0], float("-inf")
    for penalty in penalties:
        set_length_penalty(pipeline, penalty)
        scores[str(penalty)] = score = bleu(write(pipeline), references)
        if score > best_score:
            best, best_score = penalty, score
    set_length_penalty(pipeline, best)
    return best, scores


def choose_stage_penalties(
    pipeline: Pipeline,
    generate: Callable[[Pipeline], Any],
    render: Callable[[Pipeline, Any], list[str]],
    references: list[str],
    penalties: list[float],
) -> tuple[tuple[float, float], dict[str, float]]:
    """Regen's generator and renderer penalties chosen apart: every pair of ``penalties`` is
    scored end to end by BLEU (``generate`` makes the templates once per generator value,
    ``render`` writes texts from them), the best pair is set and returned with every pair's
    BLEU under ``"<generator>/<renderer>"``. One value for both stages served the whole
    pipeline badly: the penalty that lengthened the generator's templates lengthened the
    renderer's texts too (8 words against the references' 6.2). Ties keep the earlier."""
    generator_cfg, renderer_cfg = stage_configs(pipeline)
    scores: dict[str, float] = {}
    best, best_score = (penalties[0], penalties[0]), float("-inf")
    for g in penalties:
        generator_cfg.length_penalty = float(g)
        templates = generate(pipeline)
        for r in penalties:
            renderer_cfg.length_penalty = float(r)
            scores[f"{g}/{r}"] = score = bleu(render(pipeline, templates), references)
            if score > best_score:
                best, best_score = (g, r), score
    generator_cfg.length_penalty, renderer_cfg.length_penalty = map(float, best)
    return best, scores
