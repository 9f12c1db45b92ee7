"""``regen compare``: one harness, one budget rule, one results file for every task."""
