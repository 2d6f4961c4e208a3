"""One policy pack process per test session, started exactly as the Pulumi CLI starts it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from zero_trust_clusters import PACK_DIR
from zero_trust_clusters.engine.analyzer import PolicyPackProcess

HERE = Path(__file__).resolve().parent
# The pack's rules (importable as the CLI's pack process imports them) and the testkit.
for path in (PACK_DIR, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session")
def pack():
    with PolicyPackProcess(PACK_DIR) as running:
        yield running
