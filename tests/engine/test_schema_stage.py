"""The schema stage (zero_trust_clusters/engine/schema): self-test by fault injection into a copy of the
dev plan, the three known cloud faults, unknowns and secrets, and `ztc validate`.

The dev plan still carries three known cloud faults that other branches fix (Azure NSG
plural fields with service tags and `*`, policy-controller chart 0.10.8, GKE
VULNERABILITY_BASIC). `clean_plan` fixes them in the test copy, so every injected fault below
is the only finding of its run.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zero_trust_clusters.cli.main import app
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine import schema
from zero_trust_clusters.engine.schema import api_rules, plan

PUBLISHED_POLICY_CONTROLLER = "0.10.6"  # newest in the vendored sigstore index (2026-08-20)


# --- the dev plan, with the three known faults fixed in the copy -----------------------------


@pytest.fixture(scope="module")
def dev_capture() -> engine.Capture:
    return engine.capture_stack("dev")


@pytest.fixture(scope="module")
def dev_plan(dev_capture) -> dict[str, Any]:
    return json.loads(json.dumps(engine.plan_document(dev_capture, None)))


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def fix_known_faults(document: dict[str, Any]) -> dict[str, Any]:
    """The three known faults, fixed the way the providers want (no-ops once fixed upstream)."""
    fixed = copy.deepcopy(document)
    for resource in fixed["resources"]:
        inputs = resource["inputs"]
        if resource["type"] == "azure-native:network:NetworkSecurityGroup":
            for rule in inputs.get("securityRules", []):
                for plural, singular, ok in (
                    ("sourceAddressPrefixes", "sourceAddressPrefix", _is_address),
                    ("destinationAddressPrefixes", "destinationAddressPrefix", _is_address),
                    ("sourcePortRanges", "sourcePortRange", lambda v: v != "*"),
                    ("destinationPortRanges", "destinationPortRange", lambda v: v != "*"),
                ):
                    values = rule.get(plural)
                    if values and not all(ok(v) for v in values):
                        assert len(values) == 1, rule
                        rule[singular] = rule.pop(plural)[0]
        release = resource["type"] == "kubernetes:helm.sh/v3:Release"
        if release and inputs["chart"] == "policy-controller" and inputs["version"] == "0.10.8":
            inputs["version"] = PUBLISHED_POLICY_CONTROLLER
        if resource["type"] == "gcp:container/cluster:Cluster":
            posture = inputs.get("securityPostureConfig") or {}
            if posture.get("vulnerabilityMode") == "VULNERABILITY_BASIC":
                posture["vulnerabilityMode"] = "VULNERABILITY_ENTERPRISE"
    return fixed


@pytest.fixture(scope="module")
def clean_plan(dev_plan) -> dict[str, Any]:
    return fix_known_faults(dev_plan)


def _one(document: dict[str, Any], type_: str, name: str | None = None) -> dict[str, Any]:
    matches = [
        r for r in document["resources"]
        if r["type"] == type_ and (name is None or r["name"] == name)
    ]
    assert matches, (type_, name)
    return matches[0]


# --- the known faults ------------------------------------------------------------------------


def test_the_fixed_dev_plan_is_clean(clean_plan):
    report = schema.check_plan(clean_plan)
    assert report.findings == [], "\n".join(f.line() for f in report.findings)
    assert report.resources_checked > 200
    assert report.unchecked_types == ["pulumi-python:dynamic:Resource"]  # our own PKI


def test_the_three_known_cloud_faults_are_reported(dev_plan, clean_plan):
    """On main the dev plan carries them; once fixed upstream, reintroduce them here."""
    faulty = copy.deepcopy(clean_plan)
    nsg = _one(faulty, "azure-native:network:NetworkSecurityGroup", "dev-azure-apiserver-nsg")
    probe = nsg["inputs"]["securityRules"][-1]
    probe["sourceAddressPrefixes"] = [probe.pop("sourceAddressPrefix", "*")]
    probe["destinationPortRanges"] = [probe.pop("destinationPortRange", "*")]
    release = next(
        r for r in faulty["resources"]
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"]["chart"] == "policy-controller"
    )
    release["inputs"]["version"] = "0.10.8"
    gke = _one(faulty, "gcp:container/cluster:Cluster")
    gke["inputs"]["securityPostureConfig"]["vulnerabilityMode"] = "VULNERABILITY_BASIC"
    found = {(f.urn, f.path, f.check) for f in schema.check_plan(faulty).findings}
    last = len(nsg["inputs"]["securityRules"]) - 1
    assert (nsg["urn"], f"securityRules[{last}].sourceAddressPrefixes[0]", "api-rule") in found
    assert (nsg["urn"], f"securityRules[{last}].destinationPortRanges[0]", "api-rule") in found
    assert (release["urn"], "version", "helm") in found
    assert (gke["urn"], "securityPostureConfig.vulnerabilityMode", "api-rule") in found


def test_the_current_dev_plan_findings_are_only_the_known_faults(dev_plan):
    """What main's dev plan produces today (each one a known fault other helpers fix)."""
    for finding in schema.check_plan(dev_plan).findings:
        known = (
            finding.source.startswith(("azure-nsg-plural-", "gke-vulnerability-basic-retired"))
            or finding.value == "0.10.8"
            or "policy-controller 0.10.8" in finding.expected
        )
        assert known, finding.line()


# --- fault injection -------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set (or, with value DELETE, remove) the input at a dotted path (`a.b[0].c`)."""

    def mutate(inputs: dict[str, Any]) -> None:
        parts = path.replace("[", ".").replace("]", "").split(".")
        node: Any = inputs
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        last = parts[-1]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


DELETE = object()


def _policy(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# (id, resource type, resource name or None for the first, mutation, expected path, check)
FAULTS: list[tuple[str, str, str | None, Mutation, str, str]] = [
    # Provider resources against the SDKs.
    ("unknown key at depth", "aws:eks/cluster:Cluster", None,
     _set("vpcConfig.endpointPrivateAcess", True), "vpcConfig.endpointPrivateAcess", "sdk"),
    ("snake_case name", "aws:eks/cluster:Cluster", None,
     _set("deletion_protection", True), "deletion_protection", "sdk"),
    ("snake_case name at depth", "gcp:container/cluster:Cluster", None,
     _set("privateClusterConfig.enable_private_nodes", True),
     "privateClusterConfig.enable_private_nodes", "sdk"),
    ("wrong type: string for bool", "aws:eks/cluster:Cluster", None,
     _set("deletionProtection", "true"), "deletionProtection", "sdk"),
    ("wrong type: string for integer", "aws:ec2/launchTemplate:LaunchTemplate", "dev-aws-system",
     _set("metadataOptions.httpPutResponseHopLimit", "1"),
     "metadataOptions.httpPutResponseHopLimit", "sdk"),
    ("wrong type: string for list", "aws:eks/nodeGroup:NodeGroup", "dev-aws-general",
     _set("subnetIds", "subnet-1"), "subnetIds", "sdk"),
    ("wrong type: list for object", "azure-native:keyvault:Vault", None,
     _set("properties.networkAcls", ["Deny"]), "properties.networkAcls", "sdk"),
    ("bad enum (azure)", "azure-native:containerservice:ManagedCluster", None,
     _set("networkProfile.networkPolicy", "cillium"), "networkProfile.networkPolicy", "sdk"),
    ("missing required property", "aws:eks/nodeGroup:NodeGroup", "dev-aws-system",
     _set("scalingConfig", DELETE), "scalingConfig", "sdk"),
    ("missing required property at depth", "azure-native:network:NetworkSecurityGroup",
     "dev-azure-nodes-nsg", _set("securityRules[0].protocol", DELETE),
     "securityRules[0].protocol", "sdk"),
    ("provider config: bad JSON-encoded bool", "pulumi:providers:aws", None,
     _set("skipCredentialsValidation", "maybe"), "skipCredentialsValidation", "sdk"),
    ("provider config: unknown key", "pulumi:providers:gcp", None,
     _set("projectt", "acme"), "projectt", "sdk"),
    # Kubernetes built-in kinds against the cluster version's OpenAPI schema.
    ("k8s unknown field", "kubernetes:networking.k8s.io/v1:NetworkPolicy", None,
     _set("spec.policyType", ["Ingress"]), "spec.policyType", "kubernetes"),
    ("k8s wrong type", "kubernetes:core/v1:Namespace", None,
     _set("metadata.labels.tier", 3), "metadata.labels.tier", "kubernetes"),
    ("k8s missing required", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", None,
     _set("roleRef", DELETE), "roleRef", "kubernetes"),
    # Custom resources against the vendored CRDs of the chart version installed.
    ("unknown CRD field", "kubernetes:cert-manager.io/v1:ClusterIssuer", None,
     _set("spec.ca.secretname", "x"), "spec.ca.secretname", "crd"),
    ("CRD wrong type", "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy",
     "dev-gcp-clusterimagepolicy-ztc-trusted-images",
     _set("spec.images[0].glob", 5), "spec.images[0].glob", "crd"),
    ("CRD missing required", "kubernetes:cert-manager.io/v1:ClusterIssuer", None,
     _set("spec.ca.secretName", DELETE), "spec.ca.secretName", "crd"),
    # Helm releases.
    ("bad Helm value type", "kubernetes:helm.sh/v3:Release", "dev-aws-release-cert-manager",
     _set("values.crds.enabled", "yes"), "values.crds.enabled", "helm"),
    ("unknown Helm value", "kubernetes:helm.sh/v3:Release", "dev-aws-release-cert-manager",
     _set("values.installCRD", True), "values.installCRD", "helm"),
    ("unpublished chart version", "kubernetes:helm.sh/v3:Release",
     "dev-aws-release-policy-controller", _set("version", "0.10.8"), "version", "helm"),
    ("chart not in the repository", "kubernetes:helm.sh/v3:Release",
     "dev-azure-release-cert-manager", _set("chart", "cert-manger"), "chart", "helm"),
    # AWS values against botocore's API models.
    ("bad AWS enum", "aws:eks/nodeGroup:NodeGroup", None,
     _set("amiType", "BOTTLEROCKET_X86"), "amiType", "aws-model"),
    ("bad AWS enum at depth", "aws:ec2/launchTemplate:LaunchTemplate", "dev-aws-system",
     _set("metadataOptions.httpTokens", "mandatory"), "metadataOptions.httpTokens", "aws-model"),
    ("bad AWS enum in a renamed list", "aws:eks/cluster:Cluster", None,
     _set("enabledClusterLogTypes[1]", "audits"), "enabledClusterLogTypes[1]", "aws-model"),
    ("AWS value out of range", "aws:iam/role:Role", "dev-aws-vpc-cni",
     _set("maxSessionDuration", 60.0), "maxSessionDuration", "aws-model"),
    # JSON policy documents.
    ("malformed IAM document", "aws:iam/rolePolicy:RolePolicy", "dev-aws-flow-logs-write",
     _set("policy", '{"Version": "2012-10-17", "Statement": ['), "policy", "policy-document"),
    ("Resource in a trust policy", "aws:iam/role:Role", None,
     _set("assumeRolePolicy", _policy({
         "Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "eks.amazonaws.com"}, "Resource": "*"})),
     "assumeRolePolicy.Statement[0]", "policy-document"),
    ("unknown IAM action", "aws:iam/rolePolicy:RolePolicy", "dev-aws-audit-subscription-put",
     _set("policy", _policy({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"})),
     "policy.Statement[0].Action", "policy-document"),
    ("unknown IAM service prefix in a list", "aws:iam/rolePolicy:RolePolicy",
     "dev-aws-audit-firehose-write",
     _set("policy", _policy({"Effect": "Allow", "Action": ["s3:GetObject", "s4:GetObject"],
                             "Resource": "*"})),
     "policy.Statement[0].Action[1]", "policy-document"),
    ("unknown condition operator", "aws:s3/bucketPolicy:BucketPolicy", "dev-ledger-policy",
     _set("policy", _policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                             "Principal": "*",
                             "Condition": {"Boolean": {"aws:SecureTransport": "false"}}})),
     "policy.Statement[0].Condition", "policy-document"),
    ("bucket policy without Principal", "aws:s3/bucketPolicy:BucketPolicy", None,
     _set("policy", _policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})),
     "policy.Statement[0]", "policy-document"),
    ("bad Effect in a key policy", "aws:kms/key:Key", None,
     _set("policy", _policy({"Effect": "Permit", "Action": "kms:*", "Resource": "*",
                             "Principal": {"AWS": "arn:aws:iam::111122223333:root"}})),
     "policy.Statement[0].Effect", "policy-document"),
    # Every documented API rule.
    ("NSG plural prefix with a service tag", "azure-native:network:NetworkSecurityGroup",
     "dev-azure-nodes-nsg", _set("securityRules[0].sourceAddressPrefixes", ["VirtualNetwork"]),
     "securityRules[0].sourceAddressPrefixes[0]", "api-rule"),
    ("NSG plural port with *", "azure-native:network:NetworkSecurityGroup",
     "dev-azure-nodes-nsg", _set("securityRules[0].destinationPortRanges", ["*"]),
     "securityRules[0].destinationPortRanges[0]", "api-rule"),
    ("NSG priority out of range", "azure-native:network:NetworkSecurityGroup",
     "dev-azure-nodes-nsg", _set("securityRules[0].priority", 50.0),
     "securityRules[0].priority", "api-rule"),
    ("public authorized network with a private endpoint", "gcp:container/cluster:Cluster", None,
     _set("masterAuthorizedNetworksConfig.cidrBlocks[0].cidrBlock", "8.8.8.0/24"),
     "masterAuthorizedNetworksConfig.cidrBlocks[0].cidrBlock", "api-rule"),
    ("retired GKE enum value", "gcp:container/cluster:Cluster", None,
     _set("securityPostureConfig.vulnerabilityMode", "VULNERABILITY_BASIC"),
     "securityPostureConfig.vulnerabilityMode", "api-rule"),
    ("Key Vault name", "azure-native:keyvault:Vault", None,
     _set("vaultName", "kv--dev-azure-with-a-very-long-name"), "vaultName", "api-rule"),
    ("Key Vault key name", "azure-native:keyvault:Key", None,
     _set("keyName", "dev_azure_kms"), "keyName", "api-rule"),
    ("storage account name", "azure-native:storage:StorageAccount", None,
     _set("accountName", "stDevAzure"), "accountName", "api-rule"),
    ("AKS node pool name", "azure-native:containerservice:AgentPool", None,
     _set("agentPoolName", "generalpurpose1"), "agentPoolName", "api-rule"),
    ("GCS bucket name", "gcp:storage/bucket:Bucket", None,
     _set("name", "acme-google-audit"), "name", "api-rule"),
    ("GCP service account id", "gcp:serviceaccount/account:Account", None,
     _set("accountId", "gke"), "accountId", "api-rule"),
    ("GKE cluster name", "gcp:container/cluster:Cluster", None,
     _set("name", "Dev-GCP"), "name", "api-rule"),
    ("IAM role name", "aws:iam/role:Role", "dev-aws-node",
     _set("name", "ztc-" + "x" * 64), "name", "api-rule"),
]


@pytest.mark.parametrize(
    ("type_", "name", "mutate", "path", "check"),
    [pytest.param(*fault[1:], id=fault[0]) for fault in FAULTS],
)
def test_each_injected_fault_is_reported_with_its_path(clean_plan, type_, name, mutate, path,
                                                       check):
    faulty = copy.deepcopy(clean_plan)
    target = _one(faulty, type_, name)
    mutate(target["inputs"])
    findings = schema.check_plan(faulty).findings
    assert (target["urn"], path, check) in {(f.urn, f.path, f.check) for f in findings}, (
        "\n".join(f.line() for f in findings) or "no finding"
    )
    # The fault is reported where it is, and nowhere else.
    assert {f.urn for f in findings} == {target["urn"]}


def test_all_faults_injected_at_once_are_all_reported(clean_plan):
    """At least 30 distinct faults in one copy of the dev plan, each found with its path."""
    assert len({fault[0] for fault in FAULTS}) >= 30
    faulty = copy.deepcopy(clean_plan)
    expected = set()
    by_target: dict[str, list] = {}
    for _id, type_, name, mutate, path, check in FAULTS:
        target = _one(faulty, type_, name)
        by_target.setdefault(target["urn"], []).append((mutate, path, check))
    for urn, faults in by_target.items():
        target = next(r for r in faulty["resources"] if r["urn"] == urn)
        for mutate, path, check in faults:
            before = copy.deepcopy(target["inputs"])
            mutate(target["inputs"])
            assert target["inputs"] != before, f"{path}: the mutation changed nothing"
            expected.add((urn, path, check))
    found = {(f.urn, f.path, f.check) for f in schema.check_plan(faulty).findings}
    assert expected - found == set()


def test_every_documented_rule_is_exercised_by_a_fault():
    exercised = {(type_, path) for _, type_, _, _, path, check in FAULTS if check == "api-rule"}
    paths_by_id: dict[str, set[tuple[str, str]]] = {}
    for rule in api_rules.RULES:
        paths_by_id.setdefault(rule.id, set()).update(
            (type_, p.replace("[*]", "[0]")) for type_ in rule.types for p in rule.paths
        )
    for rule_id, paths in paths_by_id.items():
        assert exercised & paths, rule_id


# --- unknowns, secrets, provider config ------------------------------------------------------


def test_unknowns_and_secrets_never_produce_findings(clean_plan):
    """Every leaf value replaced by [unknown] or [secret]: type, enum and rule checks pass."""

    def opaque(value: Any, marker: str) -> Any:
        if isinstance(value, dict):
            return {k: opaque(v, marker) for k, v in value.items()}
        if isinstance(value, list):
            return [opaque(v, marker) for v in value]
        return marker

    for marker in (plan.UNKNOWN, plan.SECRET):
        document = copy.deepcopy(clean_plan)
        for resource in document["resources"]:
            if not resource["type"].startswith("kubernetes:helm.sh/"):  # chart and version stay
                resource["inputs"] = opaque(resource["inputs"], marker)
        assert schema.check_plan(document).findings == []


def test_a_first_preview_with_computed_outputs_unknown_has_no_new_findings(dev_capture):
    preview = engine.capture_stack("dev", preview=True)
    report = schema.check_graph(preview.graph)
    assert report.first_preview and not schema.check_graph(dev_capture.graph).first_preview
    known = {(f.urn, f.path) for f in schema.check_graph(dev_capture.graph).findings}
    new = [f for f in report.findings if (f.urn, f.path) not in known]
    assert new == [], "\n".join(f.line() for f in new)
    # The plan file of that preview says so, and `ztc validate` honours it.
    document = json.loads(json.dumps(engine.plan_document(preview, None)))
    document["schema"] = report.to_json()
    assert schema.check_plan(document).findings == report.findings


def test_a_missing_input_fed_by_another_resource_is_not_a_finding(clean_plan):
    """Absent under the mocks means unknown, not omitted: its propertyDependencies say so."""
    faulty = copy.deepcopy(clean_plan)
    cluster = _one(faulty, "aws:eks/cluster:Cluster")
    assert cluster["propertyDependencies"]["roleArn"]
    del cluster["inputs"]["roleArn"]
    assert schema.check_plan(faulty).findings == []
    cluster["propertyDependencies"]["roleArn"] = []
    assert [f.path for f in schema.check_plan(faulty).findings] == ["roleArn"]


def test_the_in_process_stage_and_the_plan_file_agree(dev_capture, dev_plan):
    """`ztc preview` (captured graph) and `ztc validate plan.json` report the same findings."""
    assert schema.check_graph(dev_capture.graph).findings == schema.check_plan(dev_plan).findings


# --- ztc validate ----------------------------------------------------------------------------


def test_validate_exits_0_on_a_clean_plan(tmp_path, clean_plan):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(clean_plan))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 finding(s)" in result.output


def test_validate_exits_2_naming_urn_path_value_expectation_and_source(tmp_path, clean_plan):
    faulty = copy.deepcopy(clean_plan)
    gke = _one(faulty, "gcp:container/cluster:Cluster")
    gke["inputs"]["securityPostureConfig"]["vulnerabilityMode"] = "VULNERABILITY_BASIC"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(faulty))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    for part in (gke["urn"], "securityPostureConfig.vulnerabilityMode", "VULNERABILITY_BASIC",
                 "VULNERABILITY_ENTERPRISE", "posture-management-deprecation"):
        assert part in text
    as_json = CliRunner().invoke(app, ["validate", "--json", str(path)])
    assert as_json.exit_code == 2
    finding = json.loads(as_json.stdout)["findings"][0]
    assert finding["path"] == "securityPostureConfig.vulnerabilityMode"


def test_validate_exits_2_on_a_file_that_is_not_a_plan(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{"not": "a plan"}')
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "is not a plan" in result.output
    missing = CliRunner().invoke(app, ["validate", str(Path(tmp_path) / "absent.json")])
    assert missing.exit_code == 2


# --- ztc preview: exit 2 on a finding, --no-schema-check ---------------------------------------

HERE = Path(__file__).parent


def _faulty_project(tmp_path: Path) -> Path:
    """The engine tests' fixture program plus one bucket versioning status S3 rejects."""
    import yaml

    from zero_trust_clusters.engine.stackfile import load_stack_config

    program = (HERE / "fixture_program.py").read_text() + (
        '\naws.s3.BucketVersioning("store-versioning", bucket=storage.bucket.id,\n'
        '                         versioning_configuration={"status": "On"})\n'
    )
    (tmp_path / "__main__.py").write_text(program)
    config, _ = load_stack_config("dev")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.fixture.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def test_preview_exits_2_on_a_schema_finding_and_the_flag_skips_the_stage(tmp_path):
    project = _faulty_project(tmp_path)
    args = ["preview", "--stack", "fixture", "--project-dir", str(project),
            "--policy-pack", str(HERE / "fixture_pack")]
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*args, "--format", "json", "--out", str(out)])
    assert result.exit_code == 2, result.output
    written = json.loads((out / "plan.json").read_text())
    (finding,) = written["schema"]["findings"]
    assert finding["path"] == "versioningConfiguration.status"
    assert finding["value"] == "On" and "Enabled" in finding["expected"]
    assert finding["check"] == "aws-model" and "PutBucketVersioning" in finding["source"]
    # The same plan through `ztc validate` gives the same finding.
    again = CliRunner().invoke(app, ["validate", "--json", str(out / "plan.json")])
    assert again.exit_code == 2
    assert json.loads(again.stdout)["findings"] == [finding]
    skipped = CliRunner().invoke(app, [*args, "--no-schema-check"])
    assert skipped.exit_code == 0, skipped.output
