"""Caption -> codec tokens -> waveform (the AudioGen / MusicGen row), vs caption -> waveform."""

from regen.tasks import Task

TASK = Task(
    name="sound",
    package="regen.tasks.sound",
    description="caption -> RVQ codec tokens -> waveform (fluidsynth GM renders of music21 tunes)",
    config="config:SoundRecipeConfig",
    validate="config:validate",
    build="build:build",
    train="train:train_sound",
    compare="compare",
    report="report:write_report",
    commands="cli:add_commands",
    datasets={"sound": "cli:data_sound"},
    study="study",
    usage="regen sound",
    train_hint="regen train sound/codec_tokens",
)
