"""`ztc report --stack A --stack B`: matrices, files and the difference, through the pack."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from policy_testkit.handwritten import PROJECT, build
from typer.testing import CliRunner

from zero_trust_clusters.cli import report_cli


def _capture(stack: str, **_options):  # preview, root, on_stage: unused here
    estate = build()
    if stack == "drifted":
        estate.named("hand-gcp-general").inputs["nodeConfig"]["workloadMetadataConfig"] = {
            "mode": "GCE_METADATA"}
    graph = SimpleNamespace(resources=estate.resources, project=PROJECT, stack=stack)
    return SimpleNamespace(stack=stack, spec=None, graph=graph, phases={"cloud": graph})


@pytest.fixture
def planned(monkeypatch):
    # The program run is covered by the mutation test; here the stacks are hand-written.
    monkeypatch.setattr(report_cli.engine, "capture_stack", _capture)


def test_two_stacks_print_and_write_the_difference(planned, tmp_path):
    result = CliRunner().invoke(report_cli.app, ["--stack", "hand", "--stack", "drifted",
                                                 "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output  # a cell fails in "drifted"
    assert "Posture differences: hand vs drifted" in result.output
    assert "ZT-NODE-METADATA" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "diff.json", "diff.md", "drifted.html", "drifted.json", "drifted.md", "hand.html",
        "hand.json", "hand.md"]
    diff = json.loads((tmp_path / "diff.json").read_text())
    assert [(d["control"], d["cloud"]) for d in diff["differences"]] == [
        ("ZT-NODE-METADATA", "gcp")]


def test_one_clean_stack_exits_zero_with_markdown(planned):
    result = CliRunner().invoke(report_cli.app, ["--stack", "hand", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "54 pass, 0 fail, 3 not verifiable" in result.output  # the sandbox/mesh gap


def test_three_stacks_is_a_usage_error(planned):
    result = CliRunner().invoke(report_cli.app, ["-s", "a", "-s", "b", "-s", "c"])
    assert result.exit_code == 2


def test_every_policy_disabled_is_not_reported_as_passing(planned, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"all": "disabled"}))
    result = CliRunner().invoke(report_cli.app, ["--stack", "hand", "--format", "md",
                                                 "--policy-pack-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "57 pass" not in result.output
    assert "0 pass, 0 fail, 0 not verifiable, 57 not checked" in result.output
