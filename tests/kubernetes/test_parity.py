"""The same posture gives the same manifests on EKS, AKS and GKE, except the documented
per-cloud fields (`PER_CLOUD_FIELDS`: sandbox handler, scheduling and overhead, RBAC subjects).

Secret values are compared masked: each cluster has its own intermediate (per cluster, not
per cloud), and the keys of every Secret are the same everywhere.
"""

from __future__ import annotations

import itertools
import json

import pytest

from zero_trust_clusters.components.kubernetes import (
    PER_CLOUD_FIELDS,
    default_sandbox_placement,
    estate_ranges,
    mask_secrets,
    mesh_peers,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.kubernetes.charts import (
    INTERNAL_LB_ANNOTATIONS,
    PER_CLOUD_NAMESPACES,
)
from zero_trust_clusters.components.kubernetes.names import CLUSTER_IDENTITY_CONFIGMAP

from .support import shared_pki, stack_spec

# Per cluster, not per cloud: the routes to the *other* clusters' services (named after them).
ROUTE_KINDS = ("ServiceEntry", "DestinationRule")


def _masked(stack: str, *, mesh: bool = False) -> dict[str, tuple[str, list[dict]]]:
    spec = stack_spec(stack)
    posture = spec.posture.model_copy(update={"mesh": mesh})
    bundle = shared_pki(stack).trust_bundle
    domains = [spec.trust_domain(c) for c in spec.clusters]
    return {
        c.name: (c.cloud, _trust_domain_blind(_named_cluster_blind(_portable_objects(
            c.cloud, mask_secrets(render_baseline(
                c.cloud, posture, c, spec.trust_domain(c), default_sandbox_placement(c.cloud),
                bundle, mesh_trust_domains=domains, mesh_peers=mesh_peers(spec, c),
            )))), domains))
        for c in spec.clusters
    }


def _in_per_cloud_namespace(cloud: str, obj: dict) -> bool:
    namespace = obj["metadata"]["name"] if obj["kind"] == "Namespace" else obj[
        "metadata"].get("namespace")
    return namespace in PER_CLOUD_NAMESPACES.get(cloud, ())


def _portable_objects(cloud: str, objects: list[dict]) -> list[dict]:
    """The cloud's own add-on namespaces (PER_CLOUD_NAMESPACES) are compared nowhere else."""
    return [o for o in objects if not _in_per_cloud_namespace(cloud, o)]


def test_only_eks_has_the_cluster_autoscalers_namespace():
    spec = stack_spec("dev")
    for c in spec.clusters:
        objects = render_baseline(c.cloud, spec.posture, c, spec.trust_domain(c),
                                  default_sandbox_placement(c.cloud), "bundle")
        own = [o for o in objects if _in_per_cloud_namespace(c.cloud, o)]
        assert bool(own) == (c.cloud == "aws"), c.name
        assert {o["kind"] for o in own} <= {"Namespace", "NetworkPolicy"}


def _trust_domain_blind(objects: list[dict], domains: list[str]) -> list[dict]:
    """Principals name the cluster's own trust domain (and the listed callers' clusters'):
    compare their shape (tests/kubernetes/test_mesh.py checks the exact principals). Routes
    are compared by count (`test_every_cluster_routes_to_every_peer`)."""
    out = []
    for o in objects:
        if o["kind"] in ROUTE_KINDS:
            continue
        if o["kind"] == "AuthorizationPolicy":
            text = json.dumps(o)
            for td in domains:
                text = text.replace(td, "<trust-domain>")
            o = json.loads(text)
        out.append(o)
    return out


def _named_cluster_blind(objects: list[dict]) -> list[dict]:
    """The cluster identity ConfigMap names its own cluster: compare its keys only."""
    return [
        {**o, "data": sorted(o["data"])}
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == CLUSTER_IDENTITY_CONFIGMAP
        else o
        for o in objects
    ]


def _key(obj: dict) -> tuple:
    return obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]


def _portable(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in PER_CLOUD_FIELDS.get(obj["kind"], ())}


def _differences(a: list[dict], b: list[dict]) -> set[tuple[str, str]]:
    """(kind, field) pairs that differ between two clusters' manifests."""
    assert [_key(o) for o in a] == [_key(o) for o in b], "different objects"
    diffs = set()
    for x, y in zip(a, b, strict=True):
        for field in sorted(set(x) | set(y)):
            if x.get(field) != y.get(field):
                diffs.add((x["kind"], field))
    return diffs


@pytest.mark.parametrize("stack,mesh", [("dev", False), ("prod", False), ("dev", True),
                                        ("prod", True)])
def test_manifests_differ_only_in_documented_per_cloud_fields(stack, mesh):
    rendered = _masked(stack, mesh=mesh)
    allowed = {(kind, field) for kind, fields in PER_CLOUD_FIELDS.items() for field in fields}
    seen_cross_cloud = set()
    for (name_a, (cloud_a, a)), (name_b, (cloud_b, b)) in itertools.combinations(rendered.items(), 2):
        diffs = _differences(a, b)
        if cloud_a == cloud_b:
            assert diffs == set(), f"{name_a} and {name_b} are both {cloud_a} yet differ: {diffs}"
        else:
            assert diffs <= allowed, f"{name_a} vs {name_b}: undocumented differences {diffs - allowed}"
            assert [_portable(o) for o in a] == [_portable(o) for o in b]
            seen_cross_cloud |= diffs
    # The per-cloud fields really do differ (the sandbox and identity are the clouds' own).
    assert seen_cross_cloud == allowed


def test_a_sandboxed_workload_is_portable():
    """`runtimeClassName: sandboxed` resolves on every cloud, to that cloud's VM sandbox pool."""
    rendered = _masked("dev")
    for cloud, objects in rendered.values():
        runtime = next(o for o in objects if o["kind"] == "RuntimeClass")
        placement = default_sandbox_placement(cloud)
        assert runtime["metadata"]["name"] == "sandboxed"
        assert runtime["handler"] == placement.handler
        assert runtime["scheduling"]["nodeSelector"] == placement.node_selector


def test_every_cluster_routes_to_every_peer():
    spec = stack_spec("dev")
    for c in spec.clusters:
        objects = render_baseline(c.cloud, spec.posture, c, spec.trust_domain(c),
                                  default_sandbox_placement(c.cloud), "bundle",
                                  mesh_peers=mesh_peers(spec, c))
        hosts = sorted(o["spec"]["hosts"][0] for o in objects if o["kind"] == "ServiceEntry")
        # dev: frontend calls payments' ledger on the two other clusters.
        assert hosts == sorted(f"ledger.payments.svc.{spec.trust_domain(p)}"
                               for p in spec.clusters if p is not c)


def _gateway_cloud_values(release) -> dict:
    """The gateway values that are the cloud's own: where the sandbox pool is, and how the cloud
    makes a load balancer internal."""
    values = release.values
    if release.chart != "gateway":
        return {}
    if "nodeSelector" in values:
        return {"nodeSelector": values["nodeSelector"], "tolerations": values["tolerations"]}
    return {"annotations": values["service"]["annotations"]}


def test_charts_are_the_same_except_istio_platform_and_trust_domain():
    spec = stack_spec("dev")
    posture = spec.posture.model_copy(update={"mesh": True})
    charts = {
        c.cloud: [r for r in render_charts(c.cloud, posture, "td.example.com",
                                           ranges=estate_ranges(c, mesh_peers(spec, c)),
                                           cluster=c)
                  if r.namespace not in PER_CLOUD_NAMESPACES.get(c.cloud, ())]
        for c in spec.clusters
    }
    for cloud, releases in charts.items():
        assert [(r.name, r.chart, r.version, r.repo) for r in releases] == [
            (r.name, r.chart, r.version, r.repo) for r in charts["aws"]
        ]
        for release, reference in zip(releases, charts["aws"], strict=True):
            def portable(values: dict) -> dict:
                values = {k: v for k, v in values.items()
                          if k not in ("global", "nodeSelector", "tolerations")}
                if "annotations" in values.get("service", {}):
                    values["service"] = {k: v for k, v in values["service"].items()
                                         if k != "annotations"}
                return values

            assert portable(release.values) == portable(reference.values)
            own = _gateway_cloud_values(release)
            if "annotations" in own:
                assert own["annotations"] == INTERNAL_LB_ANNOTATIONS[cloud]
            elif own:
                placement = default_sandbox_placement(cloud)
                assert own["nodeSelector"] == placement.node_selector
                assert [t["value"] for t in own["tolerations"]] == [
                    t.value for t in placement.tolerations]
            expected_global = None
            if release.chart in ("cni", "istiod"):  # same release images on every cloud
                expected_global = {"hub": "gcr.io/istio-release", "tag": "1.30.3",
                                   "variant": "distroless"}
                if release.chart == "istiod":
                    expected_global["proxy"] = {"seccompProfile": {"type": "RuntimeDefault"}}
                if cloud == "gcp":
                    expected_global["platform"] = "gke"
            assert release.values.get("global") == expected_global
            assert release.images == reference.images
            assert release.webhook_ports == reference.webhook_ports
