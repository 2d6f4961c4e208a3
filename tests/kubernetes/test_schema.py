"""Every rendered object of every dev and prod cluster validates against the Kubernetes
OpenAPI schema of the cluster's version (strict: unknown fields fail); custom resources
against their CRD schemas (tests/kubernetes/crd_schemas.py)."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from zero_trust_clusters.components.kubernetes import (
    IssuerMaterial,
    default_sandbox_placement,
    mesh_peers,
    render_baseline,
)

from .crd_schemas import SPEC_SCHEMAS, validate_custom_resource
from .support import shared_pki, stack_spec

STACKS = ("dev", "prod")


def _validate(obj: dict, version: str) -> str:
    """'builtin' or 'crd': which schema the object was checked against."""
    if (obj["apiVersion"], obj["kind"]) in SPEC_SCHEMAS:
        validate_custom_resource(obj, version)
        return "crd"
    kubernetes_validate.validate(obj, version, strict=True)
    return "builtin"


def _rendered(stack: str, *, mesh: bool = False):
    spec = stack_spec(stack)
    posture = spec.posture.model_copy(update={"mesh": mesh})
    pki = shared_pki(stack)
    for cluster in spec.clusters:
        inter = pki.intermediates[cluster.name]
        objects = render_baseline(
            cluster.cloud, posture, cluster, spec.trust_domain(cluster),
            default_sandbox_placement(cluster.cloud), pki.trust_bundle,
            issuer=IssuerMaterial(inter.certificate, inter.key, inter.chain),
            mesh_peers=mesh_peers(spec, cluster),
        )
        yield cluster, posture, objects


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_validates_against_the_clusters_kubernetes_version(stack):
    checked = {"builtin": 0, "crd": 0}
    for cluster, posture, objects in _rendered(stack):
        for obj in objects:
            try:
                checked[_validate(obj, posture.kubernetes_version)] += 1
            except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
                pytest.fail(f"{cluster.name} {obj['kind']}/{obj['metadata']['name']}: {error.message}")
    # Built-in kinds dominate; both ClusterIssuer and ClusterImagePolicy are checked per cluster.
    clusters = len(stack_spec(stack).clusters)
    assert checked["crd"] == 2 * clusters
    assert checked["builtin"] >= 15 * clusters


def test_mesh_objects_validate_too():
    kinds = set()
    for _cluster, posture, objects in _rendered("dev", mesh=True):
        for obj in objects:
            _validate(obj, posture.kubernetes_version)
            kinds.add(obj["kind"])
    assert {"PeerAuthentication", "AuthorizationPolicy", "ResourceQuota", "Secret",
            "ClusterImagePolicy", "Gateway", "ServiceEntry", "DestinationRule",
            "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} <= kinds


def test_the_validators_have_teeth():
    """A misspelt field fails both validators (the strict schemas are closed)."""
    _cluster, posture, objects = next(_rendered("dev"))
    version = posture.kubernetes_version
    netpol = next(o for o in objects if o["kind"] == "NetworkPolicy")
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate({**netpol, "spec": {**netpol["spec"], "policyType": ["Ingress"]}}, version)
    issuer = next(o for o in objects if o["kind"] == "ClusterIssuer")
    with pytest.raises(jsonschema.ValidationError):
        _validate({**issuer, "spec": {"ca": {"secretname": "x"}}}, version)
    policy = next(o for o in objects if o["kind"] == "ClusterImagePolicy")
    with pytest.raises(jsonschema.ValidationError):
        _validate({**policy, "spec": {**policy["spec"], "image": []}}, version)
    # The Istio CRDs (vendored from the base chart): a misspelt route field fails too.
    _cluster, posture, objects = next(_rendered("dev", mesh=True))
    route = next(o for o in objects if o["kind"] == "DestinationRule")
    tls = route["spec"]["trafficPolicy"]["tls"]
    with pytest.raises(jsonschema.ValidationError):
        _validate({**route, "spec": {**route["spec"], "trafficPolicy": {"tls": {
            **tls, "subjectAltName": tls["subjectAltNames"]}}}}, version)
