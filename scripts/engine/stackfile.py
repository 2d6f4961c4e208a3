"""Read `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from components.spec import CONFIG_NAMESPACE, SECRET_KEYS, SECURE_PLACEHOLDER

PROJECT_ROOT = Path(__file__).resolve().parents[2]
__all__ = ["SECURE_PLACEHOLDER", "StackFileError", "load_stack_config", "plaintext_secrets"]


class StackFileError(ValueError):
    pass


def stack_path(stack: str, root: Path = PROJECT_ROOT) -> Path:
    return root / "stacks" / f"Pulumi.{stack}.yaml"


class StackFileLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI hands config to a program: an unquoted date stays the string it
    is written as (PyYAML would make it a `datetime.date`, which no config value may be)."""


StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> tuple[dict[str, Any], list[str]]:
    """The stack's config map and the keys that were `secure:` (replaced by placeholders)."""
    path = stack_path(stack, root)
    if not path.is_file():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml")
        )
        raise StackFileError(f"no stack file {path}; known stacks: {', '.join(known) or 'none'}")
    try:
        document = yaml.load(path.read_text(), Loader=StackFileLoader) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: is not valid YAML ({_yaml_reason(exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: must be a mapping with a `config:` section")
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


def _yaml_reason(error: yaml.YAMLError) -> str:
    """One line: what the parser found and where (line:column, 1-based)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return " ".join(f"{where}{problem}".split())


def plaintext_secrets(config: dict[str, Any], secure_keys: list[str]) -> list[str]:
    """Secret settings written in clear in the stack file (they belong in `secure:` values)."""
    return [
        f"{key}: is stored in plaintext in the stack file; remove it and run "
        f"`pulumi config set --secret {key.rpartition(':')[2]}` so it is encrypted"
        for key in config
        if key.rpartition(":")[0] in ("", CONFIG_NAMESPACE)
        and key.rpartition(":")[2] in SECRET_KEYS
        and key not in secure_keys
    ]
