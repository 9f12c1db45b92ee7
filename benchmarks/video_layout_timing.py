"""CPU cost of the video diffusion UNet's two frame layouts, to size a probe before running it.

One training step (batch 16, words captions, cross-attention, v_prediction, depth 3, heads 4,
AdamW) and one guided DDIM denoising step of 16 clips, for the latent Y' (16 frames x 4 x 8x8)
and the pixel Y' (16 frames x 32x32), with ``generator.layout`` channels (frames stacked as
channels of a 2-D UNet) or space_time (a 3-D UNet over the frames), at widths 32 and 64.
Best of 3 training steps after the first; one thread. The pixel space_time row at width 64 is
left out: at width 32 it already costs seconds a step.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_layout_timing
        # -> results/video_layout_timing.json
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import write_results
from regen.contracts import YSpec
from regen.generators.diffusion import DiffusionGenerator
from regen.tasks.video.config import GeneratorConfig
from regen.tasks.video.data import CaptionConditioner

COMMAND = "OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.video_layout_timing"
BATCH = 16
FRAMES = 16
YS = {"latent": ((64, 8, 8), None), "pixels": ((16, 32, 32), (-1.0, 1.0))}


def time_layout(shape: tuple[int, int, int], value_range, layout: str, hidden: int) -> dict:
    """Seconds of one training step and one guided sampling step, and the parameter count."""
    cfg = GeneratorConfig(
        kind="diffusion",
        text_encoder="words",
        cross_attention=True,
        layout=layout,
        hidden=hidden,
        depth=3,
        heads=4,
        prediction_type="v_prediction",
    )
    torch.manual_seed(0)
    spec = YSpec("continuous", shape, value_range=value_range)
    generator = DiffusionGenerator(spec, cfg, 0, frames=FRAMES)
    optimizer = torch.optim.AdamW(generator.parameters(), 1e-3)
    x = CaptionConditioner(1, "words").encode(["the letter K moves up and to the left"] * BATCH)
    batch = {"x": x, "y_prime": torch.randn(BATCH, *shape).clamp(-1, 1)}
    seconds = []
    for _ in range(4):
        start = time.perf_counter()
        loss, _ = generator.training_loss(batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        seconds.append(time.perf_counter() - start)
    generator.eval()
    start = time.perf_counter()
    generator.sample(x, steps=2, guidance_scale=2.0)
    return {
        "params_millions": sum(p.numel() for p in generator.parameters()) / 1e6,
        "train_step_seconds": min(seconds[1:]),
        "sampling_step_seconds_16_clips_guided": (time.perf_counter() - start) / 2,
    }


def main() -> None:
    torch.set_num_threads(1)
    rows = {}
    for name, (shape, value_range) in YS.items():
        for layout in ("channels", "space_time"):
            for hidden in (32, 64):
                if name == "pixels" and layout == "space_time" and hidden == 64:
                    continue
                key = f"{name}/{layout}/width{hidden}"
                rows[key] = time_layout(shape, value_range, layout, hidden)
                print(key, rows[key], flush=True)
    write_results(
        "video_layout_timing",
        {
            "command": COMMAND,
            "setup": f"batch {BATCH}, {FRAMES} frames, depth 3, heads 4, one thread, CPU",
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
