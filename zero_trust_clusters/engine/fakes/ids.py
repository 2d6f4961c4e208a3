"""Deterministic fake ids: derived from names, never random, so runs are reproducible."""

from __future__ import annotations

import hashlib


def stable_hex(*parts: str, length: int = 17) -> str:
    """A deterministic hex string derived from `parts` (fake ids that never churn)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def stable_digits(*parts: str, length: int = 12) -> str:
    return str(int(stable_hex(*parts, length=24), 16))[:length].rjust(length, "1")
