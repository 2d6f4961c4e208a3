"""The posture's numbers reach the pack: `ztc preview` passes the settings the posture decides
(the audit chain's minimum retention) as pack config, under any the user gives, and
`ztc pack-config` prints them for `pulumi preview --policy-pack-config`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zero_trust_clusters.cli import main as cli
from zero_trust_clusters.engine import preview as engine

CHAIN = "ZT-AUDIT-IMMUTABLE-chain"
FIXTURE_PACK = Path(__file__).with_name("fixture_pack")


@pytest.fixture(scope="module")
def dev() -> engine.Capture:
    return engine.capture_stack("dev")


def _chain_findings(capture: engine.Capture, config=None) -> list[str]:
    result = engine.check_policies(capture, config=config)
    return [d.message for d in result.diagnostics if d.policy_name == CHAIN]


def test_a_retention_below_the_posture_is_a_violation_without_any_pack_config(dev):
    assert _chain_findings(dev) == []  # dev keeps its audit for the 90 days it asks
    stricter = dev.spec.model_copy(update={"posture": dev.spec.posture.model_copy(
        update={"audit_retention_days": 400})})
    findings = _chain_findings(dataclasses.replace(dev, spec=stricter))
    assert findings and all("(cluster dev-" in m for m in findings), findings
    assert any("400" in m for m in findings), findings


def test_the_users_pack_config_is_laid_over_the_posture(dev):
    """A level alone keeps the posture's setting; a setting the user gives wins; another pack
    without the policy is not told about it (its config would be refused)."""
    loose = {CHAIN: {"minRetentionDays": 1}}
    stricter = dev.spec.model_copy(update={"posture": dev.spec.posture.model_copy(
        update={"audit_retention_days": 400})})
    strict = dataclasses.replace(dev, spec=stricter)
    assert _chain_findings(strict, {CHAIN: "advisory"})
    assert _chain_findings(strict, loose) == []
    assert engine.check_policies(strict, FIXTURE_PACK).resources_checked > 0


@pytest.mark.parametrize("stack", ["prod", "prod-cluster"])
def test_pack_config_prints_the_posture_settings_for_the_cli(stack):
    result = CliRunner().invoke(cli.app, ["pack-config", "--stack", stack])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {CHAIN: {"minRetentionDays": 400}}
