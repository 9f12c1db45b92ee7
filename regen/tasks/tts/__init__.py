"""Text -> log-mel (or a learned speech Y') -> waveform, against text -> waveform."""

from regen.tasks import Task

TASK = Task(
    name="tts",
    package="regen.tasks.tts",
    description="text -> log-mel -> waveform (espeak-ng voices), vocoder trained on speech",
    config="config:TTSRecipeConfig",
    validate="config:validate",
    build="pipeline:build",
    train="train:train_tts",
    compare="compare",
    report="report:write_report",
    commands="cli:add_commands",
    prepare="data:prepare",
    datasets={"tts": "cli:data_tts"},
    pretrain="pretrain:renderer_job",
    usage="regen tts",
    train_hint="regen train tts/fastspeech_vocos",
)
