"""The version is written once, in pyproject.toml: the code reads it through the package
metadata, and the policy pack's PulumiPolicy.yaml (the version the Pulumi CLI gives a Python
pack) is kept equal to it here."""

from __future__ import annotations

import tomllib

import yaml
from typer.testing import CliRunner

from zero_trust_clusters.cli import PYPROJECT, version
from zero_trust_clusters.cli.main import app
from zero_trust_clusters.engine.analyzer import pack_version
from zero_trust_clusters.engine.preview import POLICY_PACK_DIR

PROJECT_VERSION = tomllib.loads(PYPROJECT.read_text())["project"]["version"]


def test_the_code_reads_the_pyproject_version():
    assert version() == PROJECT_VERSION


def test_the_pack_declares_the_package_version():
    declared = yaml.safe_load((POLICY_PACK_DIR / "PulumiPolicy.yaml").read_text())["version"]
    assert declared == PROJECT_VERSION, "bump zero_trust_clusters/policies/PulumiPolicy.yaml with pyproject.toml"


def test_the_engine_reports_the_pack_version_the_cli_would():
    # pulumi_policy reports "0.0.1" over gRPC; the CLI uses PulumiPolicy.yaml's version.
    assert pack_version(POLICY_PACK_DIR, "0.0.1") == PROJECT_VERSION


def test_a_pack_without_a_project_file_keeps_what_it_reported(tmp_path):
    assert pack_version(tmp_path, "0.0.1") == "0.0.1"


def test_ztc_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"ztc {PROJECT_VERSION}"
