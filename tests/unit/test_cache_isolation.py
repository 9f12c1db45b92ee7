"""Tests never write to the user's cache: module-scoped fixtures (which train and build
data before any function-scoped fixture runs) already see the session's own cache dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def cache_seen_by_a_module_fixture() -> str:
    return os.environ.get("XDG_CACHE_HOME", "")


def test_module_fixtures_see_the_session_cache(cache_seen_by_a_module_fixture, tmp_path_factory):
    assert Path(cache_seen_by_a_module_fixture) == tmp_path_factory.getbasetemp() / "cache"
