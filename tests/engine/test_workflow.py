"""The example GitHub Actions workflow stays in step with the CLI: every `ztc` command it runs
parses with today's options, and the real preview runs the pack in this repository."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer.main
import yaml

from zero_trust_clusters.cli.main import app
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "preview.yml"


def _steps() -> list[dict]:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    return [step for job in jobs.values() for step in job["steps"]]


def test_every_ztc_command_parses():
    commands = [step["run"] for step in _steps() if "ztc " in step.get("run", "")]
    assert commands, "the workflow runs the offline check"
    group = typer.main.get_command(app)
    for line in commands:
        args = shlex.split(line.split("ztc ", 1)[1])
        name, rest = args[0], args[1:]
        command = group.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None, name
        context = command.make_context(name, list(rest))  # raises on an unknown option
        assert context.params["stacks"] == ["dev", "prod"]
        assert context.params["quiet"] is True


def test_the_real_preview_runs_this_pack():
    actions = [step for step in _steps() if step.get("uses", "").startswith("pulumi/actions@")]
    assert len(actions) == 1
    inputs = actions[0]["with"]
    assert inputs["command"] == "preview"
    assert (PROJECT_ROOT / inputs["policyPacks"] / "PulumiPolicy.yaml").is_file()
    assert Path(PROJECT_ROOT / "zero_trust_clusters" / "policies" / "requirements.txt").is_file()
