"""Class or caption -> image (font glyphs, emoji, sklearn digits): the paper's first row."""

from regen.tasks import Task

TASK = Task(
    name="image",
    package="regen.tasks.image",
    description="class or caption -> image (glyphs, emoji, digits)",
    config="config:RecipeConfig",
    validate="config:validate",
    build="build:build",
    train="train:train_pipeline",
    compare="compare",
    report="compare:write_report",
    commands="cli:add_commands",
    datasets={"glyphs": "cli:data_images", "emoji": "cli:data_images", "digits": "cli:data_images"},
    study="study",
    prepare="source:prepare",
    usage="regen sample",
    train_hint="regen train image/glyphs_latent_diffusion",
)
