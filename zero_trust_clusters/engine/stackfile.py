"""Read a project's `Pulumi.yaml` and its `Pulumi.<stack>.yaml` files the way the Pulumi CLI
hands them to a program: the project's name, its program, its stack config directory and the
config (project-level values under the stack's own)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zero_trust_clusters.components.spec import CONFIG_NAMESPACE, SECRET_KEYS, SECURE_PLACEHOLDER


def _project_root() -> Path:
    """The default project: the nearest directory holding a Pulumi.yaml from the working
    directory up, as the Pulumi CLI finds it; else the working directory."""
    here = Path.cwd()
    return next((d for d in (here, *here.parents) if (d / "Pulumi.yaml").is_file()), here)


PROJECT_ROOT = _project_root()
# "The project file must begin with a capital P and have an extension of either .yml or .yaml"
# (https://www.pulumi.com/docs/iac/concepts/projects/project-file/).
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
# A directory without a project file is read with this repository's layout (the name and
# stacks/ of its Pulumi.yaml): tests and benchmarks build such throw-away projects.
DEFAULT_STACKS_DIR = "stacks"
__all__ = ["SECURE_PLACEHOLDER", "StackFileError", "load_stack_config", "plaintext_secrets"]


class StackFileError(ValueError):
    pass


@dataclass(frozen=True)
class Project:
    """A Pulumi Python project as the CLI reads its `Pulumi.yaml`."""

    root: Path
    name: str
    program: Path  # what the language host runs: a directory (its __main__.py) or a file
    stacks_dir: Path
    config: dict[str, Any] = field(default_factory=dict)  # project-level values, namespaced

    def stack_file(self, stack: str) -> Path:
        return self.stacks_dir / f"Pulumi.{stack}.yaml"

    @property
    def ours(self) -> bool:
        """This repository's project (its config namespace is the spec's)."""
        return self.name == CONFIG_NAMESPACE


def load_project(root: Path = PROJECT_ROOT) -> Project:
    """The project in `root` (attributes per
    https://www.pulumi.com/docs/iac/concepts/projects/project-file/): `name`, `runtime` (python
    only: the offline engine runs Python programs), `main` (the program's path relative to the
    project file, default the project directory), `stackConfigDir`, and `config`."""
    root = Path(root)
    path = next((root / name for name in PROJECT_FILES if (root / name).is_file()), None)
    if path is None:
        # Resolved: the program runs with its own directory as the working directory.
        return Project(root, CONFIG_NAMESPACE, root.resolve(), root / DEFAULT_STACKS_DIR)
    document = _read_yaml(path)
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: must be a mapping (name, runtime, ...)")
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{path}: `name` is required (the project's name)")
    runtime = document.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise StackFileError(
            f"{path}: runtime {runtime_name!r}: the offline engine runs Python programs only; "
            "check other runtimes with `pulumi preview --policy-pack`")
    program = root / str(document.get("main") or ".")
    if not program.exists():
        raise StackFileError(f"{path}: main {document.get('main')!r}: {program} does not exist")
    if program.is_dir() and not (program / "__main__.py").is_file():
        raise StackFileError(
            f"{program}: has no __main__.py, the file the Python language host runs")
    stacks_dir = root / str(document.get("stackConfigDir") or ".")
    return Project(root, name, program.resolve(), stacks_dir,
                   _project_config(path, name, document.get("config")))


def _project_config(path: Path, project: str, block: Any) -> dict[str, Any]:
    """Project-level config values: a key without a namespace is the project's; a declared key
    (a mapping with `type`/`description`) gives its `default`, a provider key its `value`
    (https://www.pulumi.com/docs/iac/concepts/projects/project-file/#config-options)."""
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise StackFileError(f"{path}: `config` must be a mapping")
    values: dict[str, Any] = {}
    for key, value in block.items():
        name = key if ":" in str(key) else f"{project}:{key}"
        if isinstance(value, dict) and ({"default", "value"} & set(value)):
            values[name] = value.get("default", value.get("value"))
        elif not isinstance(value, dict):
            values[name] = value
    return values


def stack_path(stack: str, root: Path = PROJECT_ROOT) -> Path:
    return load_project(root).stack_file(stack)


class StackFileLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI hands config to a program: an unquoted date stays the string it
    is written as (PyYAML would make it a `datetime.date`, which no config value may be)."""


StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> tuple[dict[str, Any], list[str]]:
    """The stack's config map (over the project-level values of `Pulumi.yaml`) and the keys
    that were `secure:` (replaced by placeholders)."""
    project = load_project(root)
    path = project.stack_file(stack)
    if not path.is_file():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml")
        )
        raise StackFileError(f"no stack file {path}; known stacks: {', '.join(known) or 'none'}")
    document = _read_yaml(path) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: must be a mapping with a `config:` section")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping")
    secure_keys = [k for k, v in config.items() if isinstance(v, dict) and set(v) == {"secure"}]
    return project.config | {
        k: (SECURE_PLACEHOLDER if k in secure_keys else v) for k, v in config.items()
    }, secure_keys


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(), Loader=StackFileLoader)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: is not valid YAML ({_yaml_reason(exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{path}: cannot be read ({exc})") from None


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
