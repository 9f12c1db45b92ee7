"""Lyrics -> music template -> melody (TeleMelody's case), against lyrics -> melody."""

from regen.tasks import Task

TASK = Task(
    name="melody",
    package="regen.tasks.melody",
    description="lyrics -> music template -> melody (Bach chorales, folk tunes)",
    config="config:MelodyRecipeConfig",
    validate="config:validate",
    build="train:build",
    train="train:train_melody",
    compare="compare",
    report="compare:write_report",
    commands="cli:add_commands",
    prepare="source:prepare",
    datasets={"melody": "cli:data_melody"},
    pretrain="train:renderer_job",
    usage="regen melody",
    train_hint="regen train melody/chorales_template",
)
