"""A toy task, the example of docs/design.md ("Add a task in one folder").

X is a class id, Y an 8x8 stripe pattern of that class; the regeneration pipeline predicts
the 4x4 average-pooled pattern (Y') and upsamples it, the direct baseline predicts the 8x8
pattern itself. ``package=__name__`` lets the folder be copied under any package name.
"""

from regen.tasks import Task

TASK = Task(
    name="toy",
    package=__name__,
    description="class id -> 8x8 stripe pattern (the add-a-task example)",
    config="config:ToyRecipeConfig",  # the other references keep their defaults, e.g.
    # validate="config:validate", build="build:build", train="train:train", compare="compare"
)
