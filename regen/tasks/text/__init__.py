"""Package record -> content template -> one-line synopsis (Text2Template / Template2Text),
against record -> synopsis, on Debian's package records."""

from regen.tasks import Task

TASK = Task(
    name="text",
    package="regen.tasks.text",
    description="package record -> content template -> synopsis (Debian records)",
    config="config:TextRecipe",
    validate="config:validate",
    build="build:build",
    train="train:train_text",
    compare="compare",
    pretrain="renderer_asset:renderer_job",
    report="report:write_report",
    commands="cli:add_commands",
    datasets={"text": "cli:data_text"},
    usage="regen text",
    train_hint="regen train text/debian_synopsis",
)
