"""Shared fixtures: every test gets its own cache dir so nothing leaks between runs."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    torch.manual_seed(0)
