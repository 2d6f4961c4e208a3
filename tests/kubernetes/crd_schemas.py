"""Custom resources against the CRD schemas of the exact chart versions the baseline installs
(kubernetes-validate only ships built-in kinds): the CRDs vendored for the schema stage
(zero_trust_clusters/engine/schema/data/crds, see its SOURCES.md), closed where the API server prunes, with
metadata checked as the cluster version's ObjectMeta.
"""

from __future__ import annotations

import jsonschema
import kubernetes_validate

from zero_trust_clusters.components.kubernetes.charts import (
    CERT_MANAGER,
    ISTIO_VERSION,
    POLICY_CONTROLLER,
)
from zero_trust_clusters.engine.schema import kubernetes as schema

# The CRD owners (zero_trust_clusters/engine/schema/kubernetes.py CRD_OWNERS) at the pinned versions.
_PINNED = {"cert-manager": CERT_MANAGER.version, "policy-controller": POLICY_CONTROLLER.version,
           "base": ISTIO_VERSION}
SPEC_SCHEMAS: dict[tuple[str, str], str] = {
    key: owner for owner, version in _PINNED.items() for key in schema.crds(owner, version)
}
NAMESPACED = {"PeerAuthentication", "AuthorizationPolicy", "Gateway", "ServiceEntry",
              "DestinationRule"}


def validate_custom_resource(obj: dict, version: str) -> None:
    """Raise jsonschema.ValidationError unless `obj` matches its CRD schema (and ObjectMeta)."""
    key = (obj["apiVersion"], obj["kind"])
    if key not in SPEC_SCHEMAS:
        raise kubernetes_validate.SchemaNotFoundError(obj["kind"], version, obj["apiVersion"])
    owner = SPEC_SCHEMAS[key]
    validator, _crd = schema.crd_validator(owner, _PINNED[owner], *key, version)
    validator.validate(obj)
    if (obj["kind"] in NAMESPACED) != ("namespace" in obj["metadata"]):
        raise jsonschema.ValidationError(f"{obj['kind']} namespace scope is wrong")
