"""Caption -> clip of moving glyphs through 3-D video tokens (the VideoGPT / LVT row)."""

from regen.tasks import Task

TASK = Task(
    name="video",
    package="regen.tasks.video",
    description="caption -> 16-frame clip of moving glyphs (3-D VQ tokens vs pixel diffusion)",
    config="config:VideoRecipeConfig",
    train="train:train_pipeline",
    commands="cli:add_commands",
    datasets={"video": "cli:data_video"},
    study="study",
    usage="regen video",
    train_hint="regen train video/latent_tokens",
)
