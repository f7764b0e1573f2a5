"""Fixtures for the terminal UI tests: a COPY of the demo project in tmp_path (never the repo's
own logs)."""
from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import copy_demo


@pytest.fixture
def demo(tmp_path) -> Path:
    return copy_demo(tmp_path / "demo")
