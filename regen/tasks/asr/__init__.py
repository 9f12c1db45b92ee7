"""Speech -> phonemes -> text (renderer trained on unpaired text), against CTC on characters.

``regen.tasks.asr.recognize.transcribe(wav, run_dir=...)`` is the recognizer the TTS report
uses for intelligibility.
"""

from regen.tasks import Task

TASK = Task(
    name="asr",
    package="regen.tasks.asr",
    description="speech -> phonemes -> text, renderer trained on unpaired text",
    config="config:ASRRecipe",
    validate="config:validate",
    build="train:build",
    train="train:train_asr",
    compare="compare",
    report="report:write_report",
    commands="cli:add_commands",
    prepare="data:prepare",
    study="study",
    pretrain="train:renderer_job",
    usage="regen asr",
    train_hint="regen train asr/phonemes",
)
