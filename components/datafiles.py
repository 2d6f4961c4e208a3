"""Per-cloud facts kept as data (regions, machine types, label and name rules).

Each file under components/<cloud>/data/ names its `source` (a URL or the SDK file it was
generated from) and when it was checked; the checks in components/<cloud>/known.py read
them, so a new region or size is one line of data with its source, not a new regex.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent


@cache
def load(cloud: str, name: str) -> dict[str, Any]:
    """components/<cloud>/data/<name>.json; every file must say where its facts come from."""
    path = ROOT / cloud / "data" / f"{name}.json"
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or not str(document.get("source", "")).strip():
        raise ValueError(f"{path} has no `source`: every cloud data file names where it comes from")
    return document


def closest(value: str, known: list[str] | set[str], limit: int = 3) -> str:
    """A 'did you mean' hint for an unknown name ('' when nothing is close)."""
    from difflib import get_close_matches

    matches = get_close_matches(value, sorted(known), n=limit, cutoff=0.6)
    return f" (did you mean {', '.join(matches)}?)" if matches else ""
