"""ZT-MTLS-SHARED-ROOT for sandboxed pods and the mesh's gateways, through the pack's real gRPC.

A cluster holds the control for sandboxed pods when an admission policy keeps them out of the
meshed namespaces (then the advisory `sandbox-outside-mesh` says nothing), and every sandboxed
namespace sends only to DNS and its own meshed sandbox gateway, which only it reaches; the
gateways' listener ALLOWs are accepted, nothing broader.
"""

from __future__ import annotations

import copy

from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import Estate, build, urn

MESH = "ZT-MTLS-SHARED-ROOT-mesh-enforced"
GAP = "ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh"
CLUSTERS = ("hand-aws", "hand-azure", "hand-gcp")
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
ISTIO = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}
GATEWAY_PODS = {**ISTIO, "podSelector": {"matchLabels": {"istio": "sandbox-jobs"}}}
DNS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}


def _ref(cluster: str) -> str:
    return f"{urn('pulumi:providers:kubernetes', f'{cluster}-k8s')}::{cluster}-k8s-id"


def _membership(e: Estate, cluster: str) -> None:
    """The admission policy bound to meshed namespaces: no sandboxed pod, no opt-out."""
    ref = _ref(cluster)
    e.add("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
          f"{cluster}-membership", {"metadata": {"name": "mesh-membership"}, "spec": {
              "failurePolicy": "Fail",
              "validations": [
                  {"expression": "!(has(object.spec.runtimeClassName) && "
                                 "object.spec.runtimeClassName == 'sandboxed')"},
                  {"expression": "!has(object.metadata.labels) || "
                                 "object.metadata.labels['sidecar.istio.io/inject'] != 'false'"},
              ]}}, provider=ref)
    e.add("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
          f"{cluster}-membership-binding", {"metadata": {"name": "mesh-membership"}, "spec": {
              "policyName": "mesh-membership", "validationActions": ["Deny"],
              "matchResources": {"namespaceSelector": {"matchLabels": {
                  "istio-injection": "enabled"}}}}}, provider=ref)


def _sandbox_path(e: Estate, cluster: str) -> None:
    """Namespace `jobs` (sandboxed) calls payments through its gateway `sandbox-jobs`."""
    ref = _ref(cluster)
    e.add("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
          f"{cluster}-sandbox-only", {"metadata": {"name": "sandbox-only"}, "spec": {
              "validations": [{"expression": "has(object.spec.runtimeClassName) && "
                                             "object.spec.runtimeClassName == 'sandboxed'"}]}},
          provider=ref)
    e.add("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
          f"{cluster}-sandbox-only-binding", {"metadata": {"name": "sandbox-only"}, "spec": {
              "policyName": "sandbox-only", "validationActions": ["Deny"],
              "matchResources": {"namespaceSelector": {"matchLabels": {
                  "ztc.io/sandboxed": "true"}}}}}, provider=ref)
    e.add("kubernetes:core/v1:Namespace", f"{cluster}-jobs", {"metadata": {
        "name": "jobs", "labels": {"pod-security.kubernetes.io/enforce": "restricted",
                                   "policy.sigstore.dev/include": "true",
                                   "istio-injection": "disabled",
                                   "ztc.io/sandboxed": "true"}}}, provider=ref)
    e.add(NETPOL, f"{cluster}-jobs-deny", {"metadata": {"name": "default-deny-all",
                                                        "namespace": "jobs"},
          "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}, provider=ref)
    e.add(NETPOL, f"{cluster}-jobs-out", {"metadata": {"name": "egress", "namespace": "jobs"},
          "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
              {"to": [DNS], "ports": [{"protocol": "UDP", "port": 53}]},
              {"to": [GATEWAY_PODS], "ports": [{"protocol": "TCP", "port": 8080}]}]}},
          provider=ref)
    e.add(RELEASE, f"{cluster}-release-sandbox-jobs", {
        "name": "sandbox-jobs", "chart": "gateway", "version": "1.30.3",
        "namespace": "istio-system", "values": {"kind": "DaemonSet"}}, provider=ref)
    e.add(NETPOL, f"{cluster}-gateway-in", {
        "metadata": {"name": "sandbox-jobs", "namespace": "istio-system"},
        "spec": {"podSelector": {"matchLabels": {"istio": "sandbox-jobs"}},
                 "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {
                     "matchLabels": {"kubernetes.io/metadata.name": "jobs"}}}]}]}},
        provider=ref)
    e.add(AUTHZ, f"{cluster}-gateway-listener", {
        "metadata": {"name": "sandbox-jobs", "namespace": "istio-system"},
        "spec": {"selector": {"matchLabels": {"istio": "sandbox-jobs"}}, "action": "ALLOW",
                 "rules": [{"to": [{"operation": {"ports": ["8080"]}}]}]}}, provider=ref)
    e.add(NETPOL, f"{cluster}-payments-from-jobs", {
        "metadata": {"name": "allow-ingress-from-jobs", "namespace": "payments"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                 "ingress": [{"from": [GATEWAY_PODS]}]}}, provider=ref)
    e.add(AUTHZ, f"{cluster}-payments-allow-jobs", {
        "metadata": {"name": "allow-from-jobs", "namespace": "payments"},
        "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": [
            f"{cluster}.hand.example.com/ns/istio-system/sa/sandbox-jobs"]}}]}]}}, provider=ref)


def _estate(*, membership: bool = True, sandbox: bool = True) -> Estate:
    e = build()
    for cluster in CLUSTERS:
        if membership:
            _membership(e, cluster)
        if sandbox:
            _sandbox_path(e, cluster)
    return e


def _mandatory(result, policy: str) -> list[str]:
    return [d.message for d in result.mandatory if d.policy_name == policy]


def _gap(result) -> list[str]:
    return [d.message for d in result.diagnostics if d.policy_name == GAP]


def test_with_the_membership_policy_and_the_sandbox_path_nothing_is_said(pack):
    result = run(pack, _estate().resources)
    assert [(d.policy_name, d.message) for d in result.diagnostics] == []


def test_without_the_membership_policy_the_gap_is_said_per_cluster(pack):
    result = run(pack, _estate(membership=False).resources)
    assert _mandatory(result, MESH) == []
    assert len(_gap(result)) == 3
    assert all("no admission policy bound to the meshed namespaces" in m for m in _gap(result))


def test_a_membership_policy_that_does_not_deny_is_no_evidence(pack):
    e = _estate()
    e.named("hand-gcp-membership-binding").inputs["spec"]["validationActions"] = ["Warn"]
    gap = _gap(run(pack, e.resources))
    assert len(gap) == 1 and "(cluster hand-gcp)" in gap[0]


def test_a_sandboxed_namespace_that_sends_past_its_gateway_fails(pack):
    for peer in ({"ipBlock": {"cidr": "10.0.0.0/8"}},
                 {"namespaceSelector": {"matchLabels": {
                     "kubernetes.io/metadata.name": "payments"}}},
                 {**ISTIO, "podSelector": {"matchLabels": {"istio": "sandbox-other"}}}):
        e = _estate()
        e.named("hand-aws-jobs-out").inputs["spec"]["egress"].append({"to": [peer]})
        messages = _mandatory(run(pack, e.resources), MESH)
        assert len(messages) == 1, messages
        assert "(cluster hand-aws) sandboxed namespace 'jobs'" in messages[0]
        assert "past the sandbox gateway sandbox-jobs" in messages[0]


def test_a_sandboxed_namespace_with_egress_anywhere_fails(pack):
    e = _estate()
    e.named("hand-azure-jobs-out").inputs["spec"]["egress"].append({"ports": [{"port": 443}]})
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-azure)" in m and "allows egress to anywhere" in m
               for m in messages), messages


def test_a_sandboxed_namespace_needs_its_meshed_gateway(pack):
    e = _estate()
    e.resources = [r for r in e.resources if r.name != "hand-gcp-release-sandbox-jobs"]
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-gcp)" in m and "no meshed sandbox gateway" in m for m in messages)
    e = _estate()
    e.named("hand-gcp-release-sandbox-jobs").inputs["values"]["podAnnotations"] = {
        "sidecar.istio.io/inject": "false"}  # not in the mesh: no identity, no mTLS
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-gcp)" in m and "no meshed sandbox gateway" in m for m in messages)


def test_the_sandbox_gateway_is_reached_only_from_its_namespace(pack):
    e = _estate()
    e.named("hand-aws-gateway-in").inputs["spec"]["ingress"][0]["from"].append(
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "frontend"}}})
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("(cluster hand-aws)" in m and "lets more than namespace 'jobs' reach" in m
               for m in messages), messages


def test_the_callee_names_the_gateway_the_network_policy_admits(pack):
    e = _estate()
    # The principal of the sandbox's own (unmeshed) identity instead of its gateway's.
    e.named("hand-aws-payments-allow-jobs").inputs["spec"]["rules"][0]["from"][0]["source"][
        "principals"] = ["hand-aws.hand.example.com/ns/jobs/sa/*"]
    messages = _mandatory(run(pack, e.resources), MESH)
    assert any("declared edge istio-system/sandbox-jobs -> payments has no" in m
               for m in messages), messages
    assert any("admits callers from 'jobs'" in m for m in messages), messages


def test_a_listener_allow_is_accepted_only_for_one_mesh_gateway_port(pack):
    rule = "ZT-MTLS-SHARED-ROOT"
    broader = [
        {"selector": {"matchLabels": {"app": "payments"}}},  # not a gateway
        {"selector": {"matchLabels": {"istio": "ingressgateway"}}},  # not one of the mesh's
        {"rules": [{"to": [{"operation": {"ports": ["8080"]}}],
                    "from": [{"source": {"namespaces": ["jobs"]}}]}]},
        {"rules": [{"to": [{"operation": {"ports": ["8080"], "hosts": ["*"]}}]}]},
        {"rules": [{}]},
    ]
    for change in broader:
        e = _estate()
        policy = e.named("hand-gcp-gateway-listener").inputs
        policy["spec"] = {**copy.deepcopy(policy["spec"]), **change}
        messages = [d.message for d in run(pack, e.resources).mandatory
                    if d.policy_name == rule]
        assert any("AuthorizationPolicy istio-system/sandbox-jobs" in m for m in messages), \
            (change, messages)


def test_a_sandboxed_namespace_must_admit_only_sandboxed_pods(pack):
    e = _estate()
    e.resources = [r for r in e.resources if r.name != "hand-azure-sandbox-only-binding"]
    messages = _mandatory(run(pack, e.resources), MESH)
    assert len(messages) == 1, messages
    assert "(cluster hand-azure)" in messages[0]
    assert "refuses pods that are not of RuntimeClass 'sandboxed'" in messages[0]
