"""`ztc preview` end to end: capture, real policy-pack gRPC, reports and exit codes."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from zero_trust_clusters.cli.main import app
from zero_trust_clusters.engine.stackfile import load_stack_config

HERE = Path(__file__).parent
PACK = HERE / "fixture_pack"


def _project(tmp_path: Path, **extra_config) -> Path:
    """A project dir with the fixture program and a stack holding the dev spec."""
    shutil.copy(HERE / "fixture_program.py", tmp_path / "__main__.py")
    config, _ = load_stack_config("dev")
    config.update({f"fixture:{k}": v for k, v in extra_config.items()})
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.fixture.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def _preview(project: Path, *args: str):
    return CliRunner().invoke(
        app,
        ["preview", "--stack", "fixture", "--project-dir", str(project), "--policy-pack", str(PACK),
         *args],
    )


def test_mandatory_violation_exits_1(tmp_path):
    result = _preview(_project(tmp_path, forceDestroy=True))
    assert result.exit_code == 1, result.output
    assert "FIXTURE-VERSIONED" in result.output
    assert "1 mandatory violation" in result.output


def test_clean_stack_exits_0_and_writes_the_plan(tmp_path):
    out = tmp_path / "out"
    result = _preview(_project(tmp_path), "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    assert {"type", "name", "urn", "parent", "provider", "dependencies", "inputs"} <= set(
        plan["resources"][0]
    )
    bucket = next(r for r in plan["resources"] if r["name"] == "store-bucket")
    assert bucket["inputs"]["tags"] == "[secret]"
    assert plan["policy"]["resourcesChecked"] == 4  # custom resources only, as the engine does
    assert plan["policy"]["diagnostics"] == []
    assert json.loads(result.stdout)["stack"] == "fixture"


def test_policy_config_can_make_a_policy_advisory(tmp_path):
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"fixture-versioned": "advisory"}))
    result = _preview(_project(tmp_path, forceDestroy=True), "--policy-pack-config", str(config))
    assert result.exit_code == 0, result.output
    assert "advisory" in result.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"fail": True}, "the program failed: fixture program failed on purpose"),
    ],
)
def test_program_error_exits_2_with_one_line_reason(tmp_path, change, expected):
    result = _preview(_project(tmp_path, **change))
    assert result.exit_code == 2
    assert expected in result.output


def test_invalid_config_exits_2_naming_the_key(tmp_path):
    project = _project(tmp_path)
    stack_file = project / "stacks" / "Pulumi.fixture.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"]["zero-trust-clusters:clusters"][1]["nodeCidr"] = "10.10.0.0/16"
    stack_file.write_text(yaml.safe_dump(document))
    result = _preview(project)
    assert result.exit_code == 2
    assert "zero-trust-clusters:clusters[1].nodeCidr" in result.output
    assert "nothing was planned" in result.output


def test_unknown_stack_exits_2(tmp_path):
    result = _preview(_project(tmp_path), "--stack", "nope")
    assert result.exit_code == 2
    assert "no stack file" in result.output


def test_policy_config_naming_an_unknown_policy_exits_2(tmp_path):
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"no-such-policy": "advisory"}))
    result = _preview(_project(tmp_path), "--policy-pack-config", str(config))
    assert result.exit_code == 2
    assert "unknown policies: no-such-policy" in result.output


def test_all_key_sets_every_policy_level(tmp_path):
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"all": "disabled"}))
    out = tmp_path / "out"
    result = _preview(
        _project(tmp_path, forceDestroy=True), "--policy-pack-config", str(config), "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    assert set(plan["policy"]["policies"].values()) == {"disabled"}
    assert plan["policy"]["diagnostics"] == []
