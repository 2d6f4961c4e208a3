"""The `ztc` command line (the engine and the report are `zero_trust_clusters.engine` and
`zero_trust_clusters.report`)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "zero-trust-clusters"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def version() -> str:
    """The package version: pyproject.toml's `version` (the one place it is written), read
    from the installed distribution's metadata, or from pyproject.toml itself when the code
    runs from a checkout that is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        with PYPROJECT.open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
