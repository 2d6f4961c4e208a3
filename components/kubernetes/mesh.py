"""Optional Istio: the shared PKI plugged in as `cacerts`, and STRICT mTLS mesh-wide."""

from __future__ import annotations

import pulumi

from components.catalog import ControlId
from components.kubernetes.charts import ISTIO_NAMESPACE
from components.kubernetes.delivery import IssuerMaterial, istio_cacerts_data, secret_data
from components.kubernetes.names import ISTIO_CACERTS, meta

_C = ControlId.MTLS_SHARED_ROOT


def mesh_objects(issuer: IssuerMaterial, trust_bundle_pem: pulumi.Input[str]) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta(ISTIO_CACERTS, _C, namespace=ISTIO_NAMESPACE),
            "type": "Opaque",
            "data": secret_data(istio_cacerts_data, issuer, trust_bundle_pem),
        },
        {
            # istio-cni runs system-node-critical; GKE admits that priority outside kube-system
            # only under such a quota (harmless elsewhere, so every cloud gets the same object).
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta("istio-critical-pods", namespace=ISTIO_NAMESPACE),
            "spec": {
                "hard": {"pods": "1000"},
                "scopeSelector": {"matchExpressions": [{
                    "operator": "In", "scopeName": "PriorityClass",
                    "values": ["system-node-critical"],
                }]},
            },
        },
        {
            # In the root namespace a PeerAuthentication applies to the whole mesh.
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": meta("default", _C, namespace=ISTIO_NAMESPACE),
            "spec": {"mtls": {"mode": "STRICT"}},
        },
    ]
