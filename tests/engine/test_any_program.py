"""`ztc preview` of a user's own Pulumi Python program (tests/engine/fixtures/thirdparty_program):
its project name, program directory, stack config directory and config come from its own
Pulumi.yaml and stack files, the modules next to the program import, and the children of a
third-party component (nested components included) reach the policy pack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from zero_trust_clusters.cli import version
from zero_trust_clusters.cli.main import app
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine.stackfile import StackFileError, load_project, load_stack_config

HERE = Path(__file__).parent
PROGRAM = HERE / "fixtures" / "thirdparty_program"
FIXTURE_PACK = HERE / "fixture_pack"


def _ztc(*args: str):
    return CliRunner().invoke(app, [*args, "--project-dir", str(PROGRAM)])


@pytest.fixture(scope="module")
def staging():
    """The staging stack through the real pack, as JSON."""
    result = _ztc("preview", "--stack", "staging", "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def test_the_project_file_names_project_program_and_stack_dir():
    project = load_project(PROGRAM)
    assert project.name == "acme-platform"
    assert project.program == (PROGRAM / "infra").resolve()
    assert project.stack_file("staging") == PROGRAM / "config" / "Pulumi.staging.yaml"
    config, _ = load_stack_config("staging", PROGRAM)
    # A project-level default under its short key is the project's namespace.
    assert config["acme-platform:nodeCount"] == 2
    assert config["acme-platform:clusterName"] == "payments"


def test_third_party_component_children_reach_the_pack(staging):
    code, plan = staging
    assert plan["project"] == "acme-platform"
    by_name = {r["name"]: r for r in plan["resources"] if r["custom"]}
    cluster = by_name["payments"]
    assert cluster["urn"] == ("urn:pulumi:staging::acme-platform::acme:eks:Cluster"
                              "$aws:eks/cluster:Cluster::payments")
    # The nested component's child is captured under both components.
    assert by_name["payments-pools-general"]["urn"].endswith(
        "acme:eks:Cluster$acme:eks:NodeGroupSet$aws:eks/nodeGroup:NodeGroup::"
        "payments-pools-general")
    assert plan["policy"]["resourcesChecked"] == 4  # two roles, the cluster, the node group
    assert plan["policy"]["pack"] == f"zero-trust-clusters@{version()}"
    judged = {d["urn"] for d in plan["policy"]["diagnostics"]
              if d["enforcementLevel"] == "mandatory"}
    # The pack judged the component's children: the public endpoint and the node group.
    assert cluster["urn"] in judged and by_name["payments-pools-general"]["urn"] in judged
    assert code == 1


def test_program_reads_its_config_and_files_next_to_it(staging):
    _, plan = staging
    by_name = {r["name"]: r for r in plan["resources"]}
    # tags.json is read relative to the working directory: the program's, as Pulumi sets it.
    assert by_name["payments"]["inputs"]["tags"] == {"team": "payments", "cost-center": "cc-42"}
    # nodeCount comes from the project-level default of Pulumi.yaml.
    assert by_name["payments-pools-general"]["inputs"]["scalingConfig"]["desiredSize"] == 2


def test_a_program_inside_a_remote_component_is_never_clean():
    result = _ztc("preview", "--stack", "remote", "--policy-pack", str(FIXTURE_PACK))
    assert result.exit_code == 2, result.output
    assert "eks:index:Cluster 'payments' is a multi-language component" in result.output
    assert "no resource reached the policy pack (0 checked)" in result.output


def test_report_takes_the_same_project_options():
    result = _ztc("report", "--stack", "staging", "--format", "json")
    assert result.exit_code == 1, result.output  # the bare cluster fails controls
    matrix = json.loads(result.stdout)
    assert [c["name"] for c in matrix["clusters"]] == ["payments"]


def test_render_refuses_a_stack_without_our_config(tmp_path):
    result = _ztc("render", "--stack", "staging", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "sets no zero-trust-clusters: config (project acme-platform)" in result.output


def test_the_commands_share_one_definition_of_each_project_option():
    import typer.main

    commands = {c.name: c for c in typer.main.get_command(app).commands.values()}
    for flag in ("--project-dir", "--policy-pack", "--policy-pack-config", "--preview"):
        helps = {name: next(p.help for p in commands[name].params if flag in p.opts)
                 for name in ("preview", "report") }
        assert len(set(helps.values())) == 1, flag
    render_dir = next(p for p in commands["render"].params if "--project-dir" in p.opts)
    preview_dir = next(p for p in commands["preview"].params if "--project-dir" in p.opts)
    assert render_dir.help == preview_dir.help


def test_a_project_of_another_runtime_is_refused(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: web\nruntime: nodejs\n")
    with pytest.raises(StackFileError, match="runtime 'nodejs'"):
        load_project(tmp_path)


def test_a_program_dir_without_main_is_refused(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: web\nruntime: python\n")
    with pytest.raises(StackFileError, match="has no __main__.py"):
        load_project(tmp_path)


def test_our_stacks_keep_their_phases_in_another_project_dir(tmp_path):
    """A copy of this project (its Pulumi.yaml) still previews both phases."""
    root = engine.PROJECT_ROOT
    shutil.copy(root / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(root / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    for name in ("dev", "dev-cluster"):
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(
            yaml.safe_dump({"config": load_stack_config(name)[0]}))
    assert engine.phase_stacks("dev", tmp_path)[1] == "dev-cluster"
