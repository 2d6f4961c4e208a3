"""One policy pack process per test session, started exactly as the Pulumi CLI starts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.engine.analyzer import PolicyPackProcess

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="session")
def pack():
    with PolicyPackProcess(PACK_DIR) as running:
        yield running
