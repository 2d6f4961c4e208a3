"""Read `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECURE_PLACEHOLDER = "[secure value: not available offline]"


class StackFileError(ValueError):
    pass


def stack_path(stack: str, root: Path = PROJECT_ROOT) -> Path:
    return root / "stacks" / f"Pulumi.{stack}.yaml"


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> tuple[dict[str, Any], list[str]]:
    """The stack's config map and the keys that were `secure:` (replaced by placeholders)."""
    path = stack_path(stack, root)
    if not path.is_file():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml")
        )
        raise StackFileError(f"no stack file {path}; known stacks: {', '.join(known) or 'none'}")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path} is not valid YAML: {exc}") from None
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping")
    secure_keys = [k for k, v in config.items() if isinstance(v, dict) and set(v) == {"secure"}]
    return {
        k: (SECURE_PLACEHOLDER if k in secure_keys else v) for k, v in config.items()
    }, secure_keys


def to_pulumi_config(config: dict[str, Any]) -> dict[str, str]:
    """Pulumi hands every config value to the program as a string; objects as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
