"""In-cluster objects judged by what they do, over the pack's real gRPC: RBAC bindings to
everyone in any spelling, NetworkPolicies by their combined effect, admission by what it
enforces, and the sandbox RuntimeClass by the pools it really lands on."""

from __future__ import annotations

import copy

import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import build

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _violations(pack, estate, policy: str) -> list[str]:
    return [d.message for d in run(pack, estate.resources).mandatory if d.policy_name == policy]


def _clean(pack, estate, policy: str) -> bool:
    """The pack has `policy` and it says nothing about `estate`."""
    result = run(pack, estate.resources)
    return policy in result.policies and not [
        d for d in result.diagnostics if d.policy_name == policy]


def _set(estate, name: str, path: str, value):
    r = estate.named(name)
    r.inputs = copy.deepcopy(r.inputs)
    node = r.inputs
    *keys, last = path.split(".")
    for k in keys:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    node[last] = value
    return estate


def _add_netpol(estate, cluster: str, name: str, namespace: str, spec: dict):
    provider = estate.named(f"{cluster}-{namespace}-deny").provider
    estate.add(NETPOL, f"{cluster}-{namespace}-{name}", {
        "metadata": {"name": name, "namespace": namespace}, "spec": spec}, provider=provider)
    return estate


# --- RBAC -------------------------------------------------------------------------------------
@pytest.mark.parametrize("subject", [
    {"kind": "Group", "name": "system:authenticated"},  # any role, not only cluster-admin
    {"kind": "User", "name": "system:anonymous"},
    {"kind": "Group", "name": "System:Unauthenticated"},  # a spelling that is not a group
    {"kind": "Group", "name": " system:anonymous"},
    "system:anonymous",  # not an object: the API server refuses it
])
def test_a_binding_to_everyone_is_refused_whatever_the_role_or_spelling(pack, subject):
    e = _set(build(), "hand-gcp-crb-admins", "roleRef.name", "view")
    e = _set(e, "hand-gcp-crb-admins", "subjects", [{"kind": "Group", "name": "ztc-admins"},
                                                     subject])
    messages = _violations(pack, e, "ZT-IAM-ONLY")
    assert any("ztc-admins" in m and "view" in m for m in messages), messages


def test_a_binding_to_named_groups_passes(pack):
    e = _set(build(), "hand-gcp-crb-admins", "subjects",
             [{"kind": "Group", "name": "system:authenticated-auditors"}])
    e = _set(e, "hand-gcp-crb-admins", "roleRef.name", "view")
    assert _violations(pack, e, "ZT-IAM-ONLY") == []
    e = _set(e, "hand-gcp-crb-admins", "subjects.0.name", "system:authenticated")
    assert _violations(pack, e, "ZT-IAM-ONLY")


@pytest.mark.parametrize("value", [True, "true", None])
def test_gke_settings_that_reenable_insecure_bindings_are_refused(pack, value):
    e = build()
    config = {"enableInsecureBindingSystemUnauthenticated": False,
              "enableInsecureBindingSystemAuthenticated": value}
    e = _set(e, "hand-gcp", "rbacBindingConfig", config)
    messages = _violations(pack, e, "ZT-IAM-ONLY-no-insecure-bindings")
    assert any("(cluster hand-gcp)" in m and "enableInsecureBindingSystemAuthenticated" in m
               for m in messages), messages


def test_gke_insecure_binding_flags_off_pass(pack):
    assert _clean(pack, build(), "ZT-IAM-ONLY-no-insecure-bindings")


# --- NetworkPolicy by effect --------------------------------------------------------------------
DENY = "ZT-NETPOL-DEFAULT-DENY-every-namespace"


@pytest.mark.parametrize("spec,why", [
    ({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}, "ingress[0] admits"),
    ({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}, "egress[0] admits"),
    ({"podSelector": {"matchLabels": {}}, "ingress": [{}]}, "ingress[0] admits"),  # default type
])
def test_an_allow_all_policy_beside_the_deny_defeats_it(pack, spec, why):
    messages = _violations(pack, _add_netpol(build(), "hand-aws", "open", "frontend", spec), DENY)
    assert any("(cluster hand-aws) workload namespace 'frontend'" in m and why in m
               for m in messages), messages


def test_an_allow_all_for_some_pods_or_a_narrow_allow_keeps_the_deny(pack):
    e = _add_netpol(build(), "hand-aws", "web", "frontend", {
        "podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]})
    e = _add_netpol(e, "hand-aws", "dns", "frontend", {
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53}]}]})
    assert _violations(pack, e, DENY) == []
    e = _set(e, "hand-aws-frontend-web", "spec.podSelector", {})  # now every pod
    assert any("'frontend'" in m for m in _violations(pack, e, DENY))


def test_a_narrowed_deny_is_not_default_deny(pack):
    e = _set(build(), "hand-gcp-payments-deny", "spec.podSelector",
             {"matchLabels": {"app": "db"}})
    messages = _violations(pack, e, DENY)
    assert any("(cluster hand-gcp) workload namespace 'payments'" in m and "egress" in m
               for m in messages), messages


def test_deny_split_over_two_policies_covers_both_directions(pack):
    e = _set(build(), "hand-azure-frontend-deny", "spec.policyTypes", ["Ingress"])
    assert any("'frontend'" in m and "isolates egress" in m for m in _violations(pack, e, DENY))
    e = _add_netpol(e, "hand-azure", "deny-egress", "frontend",
                    {"podSelector": {}, "policyTypes": ["Egress"]})
    assert _violations(pack, e, DENY) == []


def test_a_policy_type_in_the_wrong_case_fails_closed(pack):
    e = _set(build(), "hand-aws-frontend-deny", "spec.policyTypes", ["ingress", "egress"])
    messages = _violations(pack, e, DENY)
    assert any("spec.policyTypes" in m and "'frontend'" in m for m in messages), messages


# --- admission by content and effect ----------------------------------------------------------
@pytest.mark.parametrize("path,value,why", [
    ("spec.mode", "warn", "spec.mode"),
    ("spec.images", [{"glob": "*/acme/**"}], "do not restrict registries"),
    ("spec.images", [{"glob": "*.io/**"}], "do not restrict registries"),
    ("spec.authorities", [{"keyless": {"url": "https://fulcio.sigstore.dev"}}], "identities"),
    ("spec.authorities", [{"keyless": {"identities": [
        {"issuerRegExp": ".*", "subjectRegExp": ".*"}]}}], "accepts any"),
    ("spec.authorities", [{"static": {"action": "pass"}}], "static pass"),
])
def test_image_policy_content_that_admits_unsigned_images(pack, path, value, why):
    messages = _violations(pack, _set(build(), "hand-aws-images", path, value),
                           "ZT-IMAGE-PROVENANCE")
    assert any(why in m for m in messages), messages


@pytest.mark.parametrize("change,why", [
    (lambda e: _set(e, "hand-aws-policy-controller", "values.webhook.configData",
                    {"no-match-policy": "warn"}), "no-match-policy is 'warn', not deny"),
    (lambda e: _set(e, "hand-aws-policy-controller", "values.webhook.configData",
                    {"no-match-policy": "Deny"}), "no-match-policy is 'Deny', not deny"),
    (lambda e: _set(e, "hand-aws-frontend", "metadata.labels", {
        "pod-security.kubernetes.io/enforce": "restricted", "istio-injection": "enabled",
        "policy.sigstore.dev/include": "false"}), "'frontend' is outside"),
    (lambda e: _set(e, "hand-aws-policy-controller", "values.webhook.namespaceSelector",
                    {"matchLabels": {"images": "checked"}}), "'payments' is outside"),
])
def test_policy_controller_that_skips_namespaces_or_unmatched_images(pack, change, why):
    messages = _violations(pack, change(build()), "ZT-IMAGE-PROVENANCE-admission-effect")
    assert any("(cluster hand-aws)" in m and why in m for m in messages), messages


@pytest.mark.parametrize("path,value,why", [
    ("defaultAdmissionRule.evaluationMode", "ALWAYS_ALLOW", "unattested images are admitted"),
    ("defaultAdmissionRule.enforcementMode", "DRYRUN_AUDIT_LOG_ONLY", "only logged"),
    ("admissionWhitelistPatterns", [{"namePattern": "docker.io/*"}], "whole registry"),
    ("admissionWhitelistPatterns", [{"namePattern": "*"}], "whole registry"),
    ("clusterAdmissionRules", [{"cluster": "europe-west1.hand-gcp",
                                "evaluationMode": "ALWAYS_ALLOW",
                                "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}],
     "clusterAdmissionRules[0]"),
])
def test_binary_authorization_that_admits_unattested_images(pack, path, value, why):
    messages = _violations(pack, _set(build(), "hand-gcp-binauthz", path, value),
                           "ZT-IMAGE-PROVENANCE-admission-effect")
    assert any("(cluster hand-gcp)" in m and why in m for m in messages), messages


def test_binary_authorization_at_a_first_preview_is_judged_by_what_is_known(pack):
    """The attestor a rule requires is an ID computed at deployment: unknown at a first
    preview, it leaves the modes judgeable; an unknown mode is not verifiable, never a pass."""
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    e = _set(build(), "hand-gcp-binauthz", "defaultAdmissionRule.requireAttestationsBies",
             [unknown])
    assert _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect") == []
    e = _set(e, "hand-gcp-binauthz", "defaultAdmissionRule.evaluationMode", "ALWAYS_ALLOW")
    assert any("unattested images are admitted" in m
               for m in _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect"))
    e = _set(e, "hand-gcp-binauthz", "defaultAdmissionRule.evaluationMode", unknown)
    messages = _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect")
    assert any("defaultAdmissionRule.evaluationMode" in m and "could not be verified" in m
               for m in messages), messages


def test_no_binary_authorization_policy_is_the_allow_all_default(pack):
    e = build()
    e.resources = [r for r in e.resources if r.name != "hand-gcp-binauthz"]
    messages = _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect")
    assert any("default policy admits every image" in m for m in messages)


def test_admission_as_rendered_passes(pack):
    assert _clean(pack, build(), "ZT-IMAGE-PROVENANCE-admission-effect")
    # Unset, the chart's webhook rejects unmatched images (its documented default).
    unset = _set(build(), "hand-aws-policy-controller", "values.webhook.configData", {})
    assert _violations(pack, unset, "ZT-IMAGE-PROVENANCE-admission-effect") == []
    assert _violations(pack, build(), "ZT-IMAGE-PROVENANCE") == []


# --- the sandbox RuntimeClass lands on sandbox pools -------------------------------------------
SCHED = "ZT-SANDBOX-scheduling"


@pytest.mark.parametrize("cluster,selector,why", [
    ("hand-aws", {"ztc.io/pool": "general"}, "do not run the VM sandbox"),
    ("hand-gcp", {"cloud.google.com/gke-nodepool": "hand-gcp-general"},
     "do not run the VM sandbox"),
    ("hand-azure", {"sandbox.ztc.io/runtime": "gvisor"}, "matches no node pool"),
])
def test_a_runtime_class_selecting_other_pools_is_refused(pack, cluster, selector, why):
    e = _set(build(), f"{cluster}-sandboxed", "scheduling.nodeSelector", selector)
    messages = _violations(pack, e, SCHED)
    assert any(f"(cluster {cluster})" in m and why in m for m in messages), messages


def test_a_runtime_class_that_does_not_tolerate_the_sandbox_taint_is_refused(pack):
    e = _set(build(), "hand-gcp-sandboxed", "scheduling.tolerations", [])
    messages = _violations(pack, e, SCHED)
    assert any("(cluster hand-gcp)" in m and "does not tolerate" in m for m in messages)


def test_runtime_classes_on_their_sandbox_pools_pass(pack):
    assert _clean(pack, build(), SCHED)


def test_the_eks_sandbox_label_set_by_user_data_counts(pack):
    """Our EKS nodes set the sandbox label themselves once gVisor is verified
    (zero_trust_clusters/components/aws/userdata.py): the label lives in the launch template's user data."""
    import base64
    e = build()
    group = e.named("hand-aws-sandbox")
    group.inputs = {**group.inputs, "labels": {"ztc.io/pool": "sandbox"}}
    messages = _violations(pack, e, SCHED)
    assert any("matches no node pool" in m for m in messages), messages
    lt = e.named("hand-aws-sandbox-lt")
    lt.inputs = {**lt.inputs, "userData": base64.b64encode(
        b'#!/bin/sh\nFLAGS="--node-labels=sandbox.ztc.io/runtime=gvisor"\n').decode()}
    assert _violations(pack, e, SCHED) == []


def test_unknown_pool_labels_make_a_mismatch_not_verifiable_never_a_pass(pack):
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    e = _set(build(), "hand-azure-sandbox", "nodeLabels", unknown)
    messages = _violations(pack, e, SCHED)
    assert any("(cluster hand-azure)" in m and "could not be verified" in m
               for m in messages), messages


def test_a_denying_binding_that_opts_workload_namespaces_out(pack):
    e = build()
    provider = e.named("hand-aws-images").provider
    binding = e.add("kubernetes:admissionregistration.k8s.io/v1:"
                    "ValidatingAdmissionPolicyBinding", "hand-aws-vap-binding", {
                        "metadata": {"name": "images"}, "spec": {
                            "policyName": "images", "validationActions": ["Deny"],
                            "matchResources": {"namespaceSelector": {"matchExpressions": [
                                {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                                 "values": ["payments"]}]}}}}, provider=provider)
    messages = _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect")
    assert any("'payments' out" in m for m in messages), messages
    assert not any("'frontend'" in m for m in messages)
    e.named(binding.rsplit("::", 1)[-1]).inputs["spec"].pop("matchResources")
    assert _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect") == []


def test_a_binding_of_a_policy_that_reads_no_image_is_not_judged_for_provenance(pack):
    """Another control's admission policy (the mesh's membership rules judge runtimeClassName
    and annotations) may be bound to some namespaces only; one that reads `image` may not."""
    e = build()
    provider = e.named("hand-aws-images").provider
    vap = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
    e.add(vap, "hand-aws-vap-membership", {"metadata": {"name": "membership"}, "spec": {
        "validations": [{"expression": "object.spec.runtimeClassName != 'sandboxed'"}]}},
        provider=provider)
    e.add(vap + "Binding", "hand-aws-vap-membership-binding", {
        "metadata": {"name": "membership"}, "spec": {
            "policyName": "membership", "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": {"matchLabels": {"mesh": "on"}}}}},
        provider=provider)
    assert _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect") == []
    _set(e, "hand-aws-vap-membership", "spec.validations",
         [{"expression": "object.spec.containers.all(c, c.image.startsWith('ghcr.io/'))"}])
    messages = _violations(pack, e, "ZT-IMAGE-PROVENANCE-admission-effect")
    assert any("ValidatingAdmissionPolicyBinding membership leaves" in m for m in messages)


def _cluster_phase_only(cloud: str):
    """A cluster-phase stack: a provider that reaches no cloud cluster, named by its
    kube-system/ztc-cluster ConfigMap, and the sandbox RuntimeClass."""
    from policy_testkit.handwritten import Estate
    e = Estate()
    prov = e.add("pulumi:providers:kubernetes", "solo-k8s", {"kubeconfig": "{}"})
    ref = f"{prov}::solo-k8s-id"
    e.add("kubernetes:core/v1:ConfigMap", "solo-identity", {
        "metadata": {"namespace": "kube-system", "name": "ztc-cluster"},
        "data": {"cluster": "solo", "cloud": cloud}}, provider=ref)
    e.add("kubernetes:node.k8s.io/v1:RuntimeClass", "solo-sandboxed", {
        "metadata": {"name": "sandboxed"}, "handler": "gvisor",
        "scheduling": {"nodeSelector": {"sandbox.gke.io/runtime": "gvisor"}}}, provider=ref)
    return e


def test_a_cluster_phase_of_no_known_cloud_cannot_prove_its_sandbox_pools(pack):
    messages = _violations(pack, _cluster_phase_only(""), SCHED)
    assert any("(cluster solo)" in m and "could not be verified" in m for m in messages)
    # A known cloud defers the pools to its cloud-phase stack (the cell is not verifiable).
    result = run(pack, _cluster_phase_only("gcp").resources)
    assert [d for d in result.mandatory if d.policy_name == SCHED] == []
    assert any(d.policy_name == "phase-elsewhere" and "ZT-SANDBOX" in d.message
               for d in result.diagnostics)
