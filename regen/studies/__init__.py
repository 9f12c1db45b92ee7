"""The paper's open research questions as runnable sweeps (``regen study NAME RECIPE``)."""
