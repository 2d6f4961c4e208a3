"""JSON schemas for the custom resources the baseline renders (kubernetes-validate only ships
built-in kinds). Written from the upstream CRDs' openAPIV3Schema for the fields we use, closed
with additionalProperties: false so a typo fails; metadata is checked against the real
ObjectMeta schema of the cluster's Kubernetes version.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

OBJECT_META = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _closed(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_STRINGS = {"type": "array", "items": _STR}

# cert-manager.io/v1 ClusterIssuer, CA issuer (spec.ca: CAIssuer).
_CLUSTER_ISSUER = _closed({
    "ca": _closed({
        "secretName": _STR,
        "crlDistributionPoints": _STRINGS,
        "ocspServers": _STRINGS,
        "issuingCertificateURLs": _STRINGS,
    }, ("secretName",)),
})

# policy.sigstore.dev/v1beta1 ClusterImagePolicy (policy-controller 0.13).
_IDENTITY = _closed({"issuer": _STR, "subject": _STR, "issuerRegExp": _STR, "subjectRegExp": _STR})
_CLUSTER_IMAGE_POLICY = _closed({
    "images": {"type": "array", "minItems": 1, "items": _closed({"glob": _STR, "regex": _STR})},
    "authorities": {"type": "array", "minItems": 1, "items": _closed({
        "name": _STR,
        "keyless": _closed({
            "url": _STR,
            "identities": {"type": "array", "minItems": 1, "items": _IDENTITY},
            "insecureIgnoreSCT": {"type": "boolean"},
            "trustRootRef": _STR,
        }),
        "ctlog": _closed({"url": _STR, "trustRootRef": _STR}),
        # StaticRef (policy-controller pkg/apis/policy/v1beta1 clusterimagepolicy_types.go).
        "static": _closed({"action": {"enum": ["pass", "fail"]}, "message": _STR},
                          ("action",)),
    })},
    "mode": {"enum": ["enforce", "warn"]},
}, ("images", "authorities"))

# security.istio.io/v1 PeerAuthentication.
_PEER_AUTHENTICATION = _closed({
    "selector": _closed({"matchLabels": {"type": "object", "additionalProperties": _STR}}),
    "mtls": _closed({"mode": {"enum": ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]}}),
})

# security.istio.io/v1 AuthorizationPolicy (the source fields of a rule; istio/api
# security/v1beta1/authorization_policy.proto).
_SOURCE = _closed({k: _STRINGS for k in (
    "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
    "notNamespaces", "serviceAccounts", "notServiceAccounts", "ipBlocks", "notIpBlocks",
    "remoteIpBlocks", "notRemoteIpBlocks")})
_AUTHORIZATION_POLICY = _closed({
    "selector": _closed({"matchLabels": {"type": "object", "additionalProperties": _STR}}),
    "action": {"enum": ["ALLOW", "DENY", "AUDIT", "CUSTOM"]},
    "rules": {"type": "array", "items": _closed({
        "from": {"type": "array", "items": _closed({"source": _SOURCE})},
    })},
})

SPEC_SCHEMAS: dict[tuple[str, str], dict] = {
    ("cert-manager.io/v1", "ClusterIssuer"): _CLUSTER_ISSUER,
    ("policy.sigstore.dev/v1beta1", "ClusterImagePolicy"): _CLUSTER_IMAGE_POLICY,
    ("security.istio.io/v1", "PeerAuthentication"): _PEER_AUTHENTICATION,
    ("security.istio.io/v1", "AuthorizationPolicy"): _AUTHORIZATION_POLICY,
}
NAMESPACED = {"PeerAuthentication", "AuthorizationPolicy"}


@cache
def _registry(version: str) -> Registry:
    path = files("kubernetes_validate").joinpath(
        f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json"
    )
    return Resource.from_contents(json.loads(path.read_text())) @ Registry()


def validate_custom_resource(obj: dict, version: str) -> None:
    """Raise jsonschema.ValidationError unless `obj` matches its CRD schema (and ObjectMeta)."""
    key = (obj["apiVersion"], obj["kind"])
    if key not in SPEC_SCHEMAS:
        raise kubernetes_validate.SchemaNotFoundError(obj["kind"], version, obj["apiVersion"])
    schema = _closed(
        {
            "apiVersion": {"const": key[0]},
            "kind": {"const": key[1]},
            "metadata": {"$ref": OBJECT_META},
            "spec": SPEC_SCHEMAS[key],
        },
        ("apiVersion", "kind", "metadata", "spec"),
    )
    jsonschema.Draft202012Validator(schema, registry=_registry(version)).validate(obj)
    if (obj["kind"] in NAMESPACED) != ("namespace" in obj["metadata"]):
        raise jsonschema.ValidationError(f"{obj['kind']} namespace scope is wrong")
