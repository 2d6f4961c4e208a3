"""The renderer's pieces: placements, RBAC errors, network allows, typed conversion, masking."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from zero_trust_clusters.components.catalog import SANDBOX_RUNTIME_CLASS
from zero_trust_clusters.components.cluster import SandboxPlacement, Toleration
from zero_trust_clusters.components.kubernetes import (
    default_sandbox_placement,
    mask_secrets,
    render_baseline,
)
from zero_trust_clusters.components.kubernetes.netpol import network_policies
from zero_trust_clusters.components.kubernetes.rbac import group_subject
from zero_trust_clusters.components.kubernetes.runtime import runtime_class
from zero_trust_clusters.components.kubernetes.typed import (
    UnknownFieldError,
    resource_name,
    to_args,
)
from zero_trust_clusters.components.spec import PortableGroup, WorkloadNamespace

from .support import stack_spec


def test_default_placements_are_what_the_cloud_pools_carry():
    placements = {c: default_sandbox_placement(c) for c in ("aws", "azure", "gcp")}
    assert {c: (p.handler, p.node_selector) for c, p in placements.items()} == {
        "aws": ("runsc", {"sandbox.ztc.io/runtime": "gvisor"}),
        "gcp": ("gvisor", {"sandbox.gke.io/runtime": "gvisor"}),
        "azure": ("kata", {"sandbox.ztc.io/runtime": "kata"}),
    }
    for placement in placements.values():
        ((key, value),) = placement.node_selector.items()
        assert placement.tolerations == (Toleration(key=key, value=value, effect="NoSchedule"),)
    with pytest.raises(ValueError, match="'aws', 'azure' or 'gcp'"):
        default_sandbox_placement("oci")  # type: ignore[arg-type]


def test_runtime_class_follows_any_placement_it_is_given():
    placement = SandboxPlacement("kata", {"pool": "sandbox"}, ())
    runtime = runtime_class(placement)
    assert runtime["metadata"]["name"] == SANDBOX_RUNTIME_CLASS
    assert runtime["handler"] == "kata"
    assert runtime["scheduling"] == {"nodeSelector": {"pool": "sandbox"}}
    # A handler without a documented overhead is refused, not rendered without one.
    with pytest.raises(ValueError, match="kata-qemu"):
        runtime_class(SandboxPlacement("kata-qemu", {"pool": "sandbox"}, ()))


def test_missing_cloud_identity_names_the_config_key():
    group = PortableGroup(kubernetes_group="ztc-devs")
    assert group_subject("aws", "developers", group)["name"] == "ztc-devs"
    with pytest.raises(ValueError, match=r"posture\.groups\.developers\.gcpGroupEmail"):
        group_subject("gcp", "developers", group)
    with pytest.raises(ValueError, match=r"posture\.groups\.admins\.azureGroupObjectId"):
        group_subject("azure", "admins", group)


def test_egress_cidrs_and_mesh_allows():
    posture = stack_spec("dev").posture.model_copy(update={"mesh": True})
    ns = WorkloadNamespace(name="frontend", egress_to_cidrs=["10.50.0.0/16", "192.168.1.0/24"])
    policies = {p["metadata"]["name"]: p["spec"] for p in network_policies(ns, posture)}
    assert policies["allow-egress-cidrs"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.50.0.0/16"}}, {"ipBlock": {"cidr": "192.168.1.0/24"}}]}
    ]
    mesh = policies["allow-mesh-control-plane"]["egress"][0]
    assert mesh["ports"] == [{"protocol": "TCP", "port": 15012}]
    # dev: payments admits frontend, so frontend may send to payments (and nothing else).
    assert policies["allow-egress-to-payments"]["egress"] == [{"to": [{"namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "payments"}}}]}]
    assert not any(name.startswith("allow-ingress") for name in policies)


def test_typed_conversion_builds_sdk_args_and_rejects_unknown_fields():
    spec = {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 53}]}],
    }
    args = to_args(k8s.networking.v1.NetworkPolicySpecArgs, spec)
    assert isinstance(args, k8s.networking.v1.NetworkPolicySpecArgs)
    rule = args.egress[0]
    assert isinstance(rule, k8s.networking.v1.NetworkPolicyEgressRuleArgs)
    assert isinstance(rule.to[0].ip_block, k8s.networking.v1.IPBlockArgs)
    assert rule.to[0].ip_block.cidr == "10.0.0.0/8"
    with pytest.raises(UnknownFieldError, match="policyType"):
        to_args(k8s.networking.v1.NetworkPolicySpecArgs, {"policyType": ["Egress"]})


def test_resource_names_are_deterministic_and_unique():
    spec = stack_spec("prod")
    names = []
    for cluster in spec.clusters:
        objects = render_baseline(
            cluster.cloud, spec.posture.model_copy(update={"mesh": True}), cluster,
            spec.trust_domain(cluster), default_sandbox_placement(cluster.cloud), "bundle",
        )
        names += [resource_name(cluster.name, o) for o in objects]
    assert len(names) == len(set(names))
    assert "prod-aws-euw1-networkpolicy-payments-default-deny-all" in names


def test_masking_copies_and_keeps_keys():
    spec = stack_spec("dev")
    cluster = spec.clusters[0]
    objects = render_baseline(
        cluster.cloud, spec.posture, cluster, spec.trust_domain(cluster),
        default_sandbox_placement(cluster.cloud), "bundle",
    )
    masked = mask_secrets(objects)
    original = next(o for o in objects if o["kind"] == "Secret")
    copy = next(o for o in masked if o["kind"] == "Secret")
    assert original is not copy and "ztc.io/masked" not in original["metadata"].get("annotations")
    assert set(copy["data"]) == set(original["data"])
    assert [o for o in masked if o["kind"] != "Secret"] == [
        o for o in objects if o["kind"] != "Secret"
    ]


def test_cloud_mismatch_is_refused():
    spec = stack_spec("dev")
    cluster = spec.clusters[0]
    with pytest.raises(ValueError, match="is on aws, not gcp"):
        render_baseline("gcp", spec.posture, cluster, "td", default_sandbox_placement("gcp"), "b")
