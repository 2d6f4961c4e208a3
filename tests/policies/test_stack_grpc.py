"""Stack rules, exemptions and enforcement levels, through the pack's real Analyzer gRPC."""

from __future__ import annotations

import datetime as dt

from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import FP, build

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _mandatory(result, policy: str) -> list[str]:
    return [d.message for d in result.mandatory if d.policy_name == policy]


def _without(estate, *names):
    estate.resources = [r for r in estate.resources if r.name not in names]
    return estate


def test_missing_sandbox_pool_breaks_sandbox_evidence_and_parity(pack):
    result = run(pack, _without(build(), "hand-gcp-sandbox").resources)
    assert any("(cluster hand-gcp) no VM-sandbox node pool" in m
               for m in _mandatory(result, "ZT-SANDBOX-every-cluster"))
    assert any("[ZT-SANDBOX] (cluster hand-gcp)" in m
               for m in _mandatory(result, "posture-evidence"))
    parity = _mandatory(result, "posture-parity")
    assert any("[ZT-SANDBOX] (cluster hand-gcp)" in m and "held by hand-aws, hand-azure" in m
               for m in parity)


def test_runtime_class_handler_must_reach_the_clouds_sandbox(pack):
    e = build()
    e.named("hand-aws-sandboxed").inputs["handler"] = "gvisor"  # GKE's handler, not runsc
    result = run(pack, e.resources)
    assert any("(cluster hand-aws)" in m and "expected one of runsc" in m
               for m in _mandatory(result, "ZT-SANDBOX-every-cluster"))


def test_parity_names_the_control_the_other_clouds_hold(pack):
    e = build()
    e.named("hand-gcp").inputs["binaryAuthorization"] = {"evaluationMode": "DISABLED"}
    result = run(pack, e.resources)
    parity = _mandatory(result, "posture-parity")
    assert len(parity) == 1
    assert "[ZT-IMAGE-PROVENANCE] (cluster hand-gcp)" in parity[0]
    assert "held by hand-aws, hand-azure" in parity[0]


def test_intermediate_under_another_root_is_refused(pack):
    e = build()
    e.named("hand-azure-intermediate").inputs["rootFingerprintSha256"] = "cd" * 32
    messages = _mandatory(run(pack, e.resources), "ZT-MTLS-SHARED-ROOT-one-root")
    assert any("(cluster hand-azure)" in m and "not the shared root" in m for m in messages)
    assert any("different roots" in m for m in messages)


def test_second_root_and_foreign_trust_domain_are_refused(pack):
    e = build()
    e.add("pulumi-python:dynamic:Resource", "rogue-root", {
        "ztcKind": "pki-root", "trustDomain": "hand.example.com", "fingerprintSha256": FP})
    e.named("hand-gcp-intermediate").inputs["trustDomain"] = "hand-gcp.other.example.org"
    messages = _mandatory(run(pack, e.resources), "ZT-MTLS-SHARED-ROOT-one-root")
    assert any("2 pki-root resources" in m for m in messages)


def test_unknown_root_fingerprint_is_proven_through_its_dependency_on_the_root(pack):
    e = build()
    for name in ("hand-aws-intermediate", "hand-azure-intermediate", "hand-gcp-intermediate"):
        e.named(name).inputs["rootFingerprintSha256"] = UNKNOWN
    e.named("root-ca").inputs["fingerprintSha256"] = UNKNOWN
    assert _mandatory(run(pack, e.resources), "ZT-MTLS-SHARED-ROOT-one-root") == []
    e.named("hand-aws-intermediate").property_dependencies = {}
    messages = _mandatory(run(pack, e.resources), "ZT-MTLS-SHARED-ROOT-one-root")
    assert any("could not be verified" in m and "(cluster hand-aws)" in m for m in messages)


def test_workload_namespace_without_default_deny(pack):
    result = run(pack, _without(build(), "hand-azure-payments-deny").resources)
    messages = _mandatory(result, "ZT-NETPOL-DEFAULT-DENY-every-namespace")
    assert len(messages) == 1
    assert "(cluster hand-azure) workload namespace 'payments'" in messages[0]


def test_an_allow_policy_is_not_a_default_deny(pack):
    e = build()
    e.named("hand-aws-frontend-deny").inputs["spec"]["ingress"] = [{"from": [{}]}]
    messages = _mandatory(run(pack, e.resources), "ZT-NETPOL-DEFAULT-DENY-every-namespace")
    assert any("(cluster hand-aws) workload namespace 'frontend'" in m for m in messages)


def test_world_ingress_to_a_clusters_nodes_is_named_with_the_cluster(pack):
    e = build()
    e.named("hand-aws-api-in").inputs["cidrIpv4"] = "0.0.0.0/0"
    result = run(pack, e.resources)
    assert any("(cluster hand-aws)" in m
               for m in _mandatory(result, "ZT-NET-SEGMENT-no-world-to-clusters"))
    assert _mandatory(result, "ZT-NET-SEGMENT")


def test_ledger_outside_the_stack_is_advisory_and_not_verifiable(pack):
    result = run(pack, _without(build(), "ledger", "ledger-bucket", "ledger-object-lock")
                 .resources)
    assert result.mandatory == []
    advisory = [d for d in result.diagnostics if d.policy_name == "ZT-CHANGE-LEDGER-in-stack"]
    assert len(advisory) == 1 and advisory[0].enforcement_level == "advisory"


def test_ledger_store_that_is_not_worm(pack):
    e = build()
    e.named("ledger-object-lock").inputs["rule"]["defaultRetention"]["mode"] = "GOVERNANCE"
    messages = _mandatory(run(pack, e.resources), "ZT-CHANGE-LEDGER-worm")
    assert len(messages) == 1 and "COMPLIANCE" in messages[0]


def _public_eks():
    e = build()
    e.named("hand-aws").inputs["vpcConfig"]["endpointPublicAccess"] = True
    return e


def _exemption(days: int, **extra) -> dict:
    expires = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)
    return {"resource": "hand-aws", "control": "ZT-API-PRIVATE", "reason": "migration ticket 42",
            "expires": expires.isoformat(), **extra}


def test_live_exemption_silences_the_violation(pack):
    config = {"ZT-API-PRIVATE": {"exemptions": [_exemption(30)]}}
    assert _mandatory(run(pack, _public_eks().resources, config), "ZT-API-PRIVATE") == []


def test_expired_exemption_turns_back_into_a_violation(pack):
    config = {"ZT-API-PRIVATE": {"exemptions": [_exemption(-1)]}}
    messages = _mandatory(run(pack, _public_eks().resources, config), "ZT-API-PRIVATE")
    assert len(messages) == 1 and "exemption expired on" in messages[0]
    assert "migration ticket 42" in messages[0]


def test_exemption_for_another_control_does_not_apply(pack):
    config = {"ZT-API-PRIVATE": {"exemptions": [_exemption(30, control="ZT-VERSION")]}}
    assert _mandatory(run(pack, _public_eks().resources, config), "ZT-API-PRIVATE")


def test_malformed_exemption_names_the_config_key(pack):
    config = {"ZT-API-PRIVATE": {"exemptions": [_exemption(30, expires="next week")]}}
    messages = _mandatory(run(pack, build().resources, config), "ZT-API-PRIVATE")
    assert any("ZT-API-PRIVATE.exemptions[0].expires='next week'" in m and "YYYY-MM-DD" in m
               for m in messages)


def test_stack_policy_exemption_by_cluster_name(pack):
    e = _without(build(), "hand-gcp-sandbox")
    config = {"ZT-SANDBOX-every-cluster": {"exemptions": [{
        "resource": "hand-gcp", "control": "ZT-SANDBOX", "reason": "pool being rebuilt",
        "expires": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()}]}}
    assert _mandatory(run(pack, e.resources, config), "ZT-SANDBOX-every-cluster") == []


def test_enforcement_level_per_policy(pack):
    advisory = run(pack, _public_eks().resources, {"ZT-API-PRIVATE": "advisory"})
    levels = {d.enforcement_level for d in advisory.diagnostics
              if d.policy_name == "ZT-API-PRIVATE"}
    assert levels == {"advisory"}
    disabled = run(pack, _public_eks().resources, {"ZT-API-PRIVATE": "disabled"})
    assert not [d for d in disabled.diagnostics if d.policy_name == "ZT-API-PRIVATE"]


def test_config_setting_changes_the_verdict(pack):
    e = build()
    e.named("hand-aws-general-lt").inputs["metadataOptions"]["httpPutResponseHopLimit"] = 2
    assert _mandatory(run(pack, e.resources), "ZT-NODE-METADATA")
    relaxed = {"ZT-NODE-METADATA": {"maxHopLimit": 2}}
    assert _mandatory(run(pack, e.resources, relaxed), "ZT-NODE-METADATA") == []


def test_kubernetes_objects_follow_their_provider_to_the_cluster(pack):
    e = build()
    e.named("hand-azure-payments-deny").inputs["spec"]["egress"] = [{"to": [{}]}]
    messages = _mandatory(run(pack, e.resources), "ZT-NETPOL-DEFAULT-DENY-every-namespace")
    assert len(messages) == 1 and "(cluster hand-azure)" in messages[0]


def test_provider_missing_from_the_list_is_matched_by_its_name():
    """An engine may list only the provider reference: "<cluster>-k8s" still leads home."""
    from ztc_policy.stack.graph import Ownership, nodes_from_captured

    e = build()
    nodes = [n for n in nodes_from_captured(e.resources)
             if n.type != "pulumi:providers:kubernetes"]
    own = Ownership(nodes)
    ns = next(n for n in nodes if n.name == "hand-gcp-payments")
    assert own.name_of(ns.urn) == "hand-gcp"


def test_analyzer_info_lists_every_policy_mandatory_with_a_config_schema(pack):
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2
    from ztc_policy.catalog import CONTROL_IDS

    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert info.name == "zero-trust-clusters" and info.supportsConfig
    assert set(CONTROL_IDS) <= set(levels)
    assert {n for n, lvl in levels.items() if lvl != analyzer_pb2.MANDATORY} == {
        "ZT-CHANGE-LEDGER-in-stack", "phase-elsewhere", "ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh",
        "ZT-AUDIT-IMMUTABLE-lock-pending", "ZT-SECRETS-KMS-key-in-stack"}
    assert all("exemptions" in p.configSchema.properties for p in info.policies)


# --- the mesh: ZT-MTLS-SHARED-ROOT on traffic ---------------------------------------------------
MESH = "ZT-MTLS-SHARED-ROOT-mesh-enforced"


def test_the_mesh_everywhere_is_held_and_its_sandbox_gap_said(pack):
    result = run(pack, build().resources)
    assert _mandatory(result, MESH) == []
    gap = [d for d in result.diagnostics
           if d.policy_name == "ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh"]
    assert len(gap) == 3 and {d.enforcement_level for d in gap} == {"advisory"}
    assert all("RuntimeClass 'sandboxed'" in d.message and "NetworkPolicy only" in d.message
               for d in gap)


def test_a_cluster_without_the_mesh_fails_the_control_and_parity(pack):
    result = run(pack, _without(build(), "hand-gcp-mesh-mtls").resources)
    assert any("(cluster hand-gcp) no mesh-wide STRICT PeerAuthentication" in m
               for m in _mandatory(result, MESH))
    assert any("[ZT-MTLS-SHARED-ROOT] (cluster hand-gcp)" in m
               for m in _mandatory(result, "posture-evidence"))
    assert any("[ZT-MTLS-SHARED-ROOT] (cluster hand-gcp)" in m and "held by hand-aws, hand-azure"
               in m for m in _mandatory(result, "posture-parity"))


def test_a_permissive_mesh_wide_policy_is_no_evidence(pack):
    e = build()
    e.named("hand-azure-mesh-mtls").inputs["spec"]["mtls"]["mode"] = "PERMISSIVE"
    result = run(pack, e.resources)
    assert any("(cluster hand-azure) no mesh-wide STRICT" in m for m in _mandatory(result, MESH))
    assert any("hand-azure-mesh-mtls" in d.urn for d in result.mandatory
               if d.policy_name == "ZT-MTLS-SHARED-ROOT")


def test_a_workload_namespace_outside_the_mesh(pack):
    e = build()
    del e.named("hand-aws-frontend").inputs["metadata"]["labels"]["istio-injection"]
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-aws) workload namespace 'frontend' is not in the mesh" in m
               for m in messages)


def test_no_deny_by_default(pack):
    messages = _mandatory(run(pack, _without(build(), "hand-gcp-mesh-deny").resources), MESH)
    for ns in ("frontend", "payments"):
        assert sum(f"(cluster hand-gcp) workload namespace '{ns}' is not deny-by-default: no "
                   "allow-nothing AuthorizationPolicy here or in istio-system" in m
                   for m in messages) == 1
    assert not any("hand-aws" in m or "hand-azure" in m for m in messages)


def test_a_declared_edge_without_its_authorization_policy(pack):
    messages = _mandatory(run(pack, _without(build(), "hand-azure-payments-allow").resources),
                          MESH)
    assert any("(cluster hand-azure) declared edge frontend -> payments has no "
               "AuthorizationPolicy" in m for m in messages)


def test_an_authorization_policy_broader_than_the_declared_graph(pack):
    e = build()
    e.named("hand-aws-payments-allow").inputs["spec"]["rules"][0]["from"][0]["source"][
        "principals"].append("hand-aws.hand.example.com/ns/payments/sa/*")
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-aws) an AuthorizationPolicy in 'payments' admits callers from "
               "'payments', which no NetworkPolicy of 'payments' declares" in m for m in messages)


def test_a_principal_of_a_trust_domain_outside_the_estate(pack):
    e = build()
    e.named("hand-gcp-payments-allow").inputs["spec"]["rules"][0]["from"][0]["source"][
        "principals"][0] = "hand-oci.elsewhere.example.org/ns/frontend/sa/*"
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-gcp)" in m and "names trust domain 'hand-oci.elsewhere.example.org'"
               in m for m in messages)


def test_intermediates_the_mesh_cannot_confine_or_that_refuse_istiod(pack):
    e = build()
    e.named("hand-aws-intermediate").inputs["uriNameConstraint"] = False
    e.named("hand-gcp-intermediate").inputs["permittedDnsNames"] = ["hand-gcp.hand.example.com"]
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-aws) intermediate hand-aws-intermediate has no URI name "
               "constraint" in m for m in messages)
    assert any("(cluster hand-gcp) intermediate hand-gcp-intermediate does not permit "
               "istio-system.svc" in m for m in messages)
