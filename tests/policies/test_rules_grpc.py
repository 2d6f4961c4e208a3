"""Every resource rule, compliant and violating, through the pack's real Analyzer gRPC."""

from __future__ import annotations

import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import build, urn
from policy_testkit.rule_cases import CASES, UNKNOWN, mutate, rule_id
from ztc_policy.catalog import CONTROL_IDS
from ztc_policy.findings import UNVERIFIABLE_MARK
from ztc_policy.rules import RULES

from zero_trust_clusters.engine.mocks import CapturedResource


def _resource(type_: str, name: str, inputs: dict) -> CapturedResource:
    return CapturedResource(type=type_, name=name, urn=urn(type_, name), parent="", provider="",
                            custom=True, dependencies=[], property_dependencies={},
                            inputs=inputs)


def _control(case) -> str:
    return case.rule.split(" ", 1)[0]


@pytest.fixture(scope="module")
def verdicts(pack):
    """All cases in one session: resource i is good-i / bad-i; diagnostics keyed by URN."""
    resources = []
    for i, case in enumerate(CASES):
        resources.append(_resource(case.type, f"good-{i}", case.good))
        resources.append(_resource(case.type, f"bad-{i}", case.bad))
    result = run(pack, resources)
    by_urn: dict[str, list] = {}
    for d in result.diagnostics:
        by_urn.setdefault(d.urn, []).append(d)
    return by_urn


def test_every_rule_has_a_case():
    assert sorted({rule_id(r) for r in RULES}) == sorted({c.rule for c in CASES})


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c.rule for c in CASES])
def test_compliant_case_passes(verdicts, i):
    case = CASES[i]
    diags = verdicts.get(urn(case.type, f"good-{i}"), [])
    assert [d.message for d in diags if d.policy_name == _control(case)] == []


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c.rule for c in CASES])
def test_violating_case_is_a_mandatory_violation_naming_the_control(verdicts, i):
    case = CASES[i]
    control = _control(case)
    diags = [d for d in verdicts.get(urn(case.type, f"bad-{i}"), [])
             if d.policy_name == control]
    assert diags, f"{case.rule}: no violation"
    assert all(d.enforcement_level == "mandatory" for d in diags)
    assert all(f"[{control}]" in d.message for d in diags)


SANDBOX_GAP = "ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh"


def test_handwritten_estate_is_clean(pack):
    result = run(pack, build().resources)
    # The one thing said of a clean estate: sandboxed pods cannot join the mesh (advisory).
    gap = [d for d in result.diagnostics if d.policy_name == SANDBOX_GAP]
    assert [(d.policy_name, d.message) for d in result.diagnostics if d not in gap] == []
    assert {d.enforcement_level for d in gap} == {"advisory"}
    assert sorted(d.message.rsplit("(cluster ", 1)[1].split(")")[0] for d in gap) == [
        "hand-aws", "hand-azure", "hand-gcp"]
    assert result.resources_checked == sum(r.custom for r in build().resources)


UNKNOWN_CASES = [
    ("hand-aws", "vpcConfig.endpointPublicAccess", "ZT-API-PRIVATE"),
    ("hand-azure", "disableLocalAccounts", "ZT-IAM-ONLY"),
    ("hand-gcp", "binaryAuthorization.evaluationMode", "ZT-IMAGE-PROVENANCE"),
    ("hand-gcp-general", "nodeConfig", "ZT-NODE-METADATA"),  # a whole unknown block
    ("hand-aws-general-lt", "metadataOptions.httpTokens", "ZT-NODE-METADATA"),
    ("hand-azure-nsg", "securityRules", "ZT-NET-SEGMENT"),
]


@pytest.mark.parametrize(("name", "path", "control"), UNKNOWN_CASES)
def test_unknown_value_is_a_mandatory_not_verified_violation(pack, name, path, control):
    """An unknown value a control depends on is a mandatory "could not be verified"."""
    case = mutate("unknown", name, (path, UNKNOWN))
    resource = _resource(case.type, f"unknown-{name}", case.bad)
    result = run(pack, [resource])
    mine = [d for d in result.diagnostics if d.urn == resource.urn
            and d.policy_name == "not-verifiable-at-preview" and f"[{control}]" in d.message]
    assert mine and all(d.enforcement_level == "mandatory" for d in mine)
    assert all(UNVERIFIABLE_MARK in d.message for d in mine)
    # ...and the control's own policy does not pass it silently: it says nothing either way,
    # while the matrix shows the cell as not verifiable (test_report).
    # The SDK's own fail-open path (an advisory "can't run policy") never fires.
    assert not [d for d in result.diagnostics if "can't run policy" in d.message]


# A lone resource also draws stack findings (its cluster has no pools...): not looked at here.
RESOURCE_POLICIES = (*CONTROL_IDS, "not-verifiable-at-preview")


def test_unknown_computed_reference_is_set(pack):
    """A key ARN computed by another resource is unknown at preview, yet certainly set."""
    case = mutate("reference", "hand-aws", ("encryptionConfig.provider.keyArn", UNKNOWN))
    resource = _resource(case.type, "computed-key", case.bad)
    result = run(pack, [resource])
    assert [d.message for d in result.diagnostics
            if d.urn == resource.urn and d.policy_name in RESOURCE_POLICIES] == []


def test_not_verifiable_can_be_lowered_to_advisory_but_never_disappears(pack):
    case = mutate("unknown", "hand-gcp", ("datapathProvider", UNKNOWN))
    resource = _resource(case.type, "first-preview", case.bad)
    result = run(pack, [resource], {"not-verifiable-at-preview": "advisory"})
    mine = [d for d in result.diagnostics
            if d.urn == resource.urn and d.policy_name in RESOURCE_POLICIES]
    assert [(d.policy_name, d.enforcement_level) for d in mine] == [
        ("not-verifiable-at-preview", "advisory")]
    assert "[ZT-NETPOL-DEFAULT-DENY]" in mine[0].message


def test_unknown_psa_label_is_not_verified(pack):
    case = mutate("unknown", "hand-aws-frontend", ("metadata.labels", {
        "pod-security.kubernetes.io/enforce": UNKNOWN}))
    resource = _resource(case.type, "unknown-psa", case.bad)
    result = run(pack, [resource])
    mine = [d for d in result.diagnostics if d.urn == resource.urn
            and d.policy_name in RESOURCE_POLICIES]
    assert [(d.policy_name, d.enforcement_level) for d in mine] == [
        ("not-verifiable-at-preview", "mandatory")]
    assert "[ZT-POD-SECURITY]" in mine[0].message
