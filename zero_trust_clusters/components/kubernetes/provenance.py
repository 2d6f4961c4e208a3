"""Image provenance: Sigstore policy-controller admits only signed images from trusted registries.

Workload namespaces opt in (label `policy.sigstore.dev/include`); the chart pins
`no-match-policy: deny`, so an image from any other registry matches no policy and is refused.
"""

from __future__ import annotations

from zero_trust_clusters.components.kubernetes.names import (
    FULCIO_URL,
    IMAGE_POLICY,
    REKOR_URL,
    meta,
)
from zero_trust_clusters.components.spec import Posture


def image_glob(registry: str) -> str:
    """`ghcr.io/acme` -> `ghcr.io/acme/**` (every repository below the trusted prefix)."""
    return registry.rstrip("/") + "/**"


def cluster_image_policy(posture: Posture) -> dict:
    provenance = posture.image_provenance
    return {
        "apiVersion": "policy.sigstore.dev/v1beta1",
        "kind": "ClusterImagePolicy",
        "metadata": meta(IMAGE_POLICY, "ZT-IMAGE-PROVENANCE"),
        "spec": {
            "images": [{"glob": image_glob(r)} for r in provenance.trusted_registries],
            "authorities": [{
                "name": "ztc-signing-identities",
                "keyless": {
                    "url": FULCIO_URL,
                    "identities": [
                        {"issuer": i.issuer, "subject": i.subject}
                        for i in provenance.signing_identities
                    ],
                },
                "ctlog": {"url": REKOR_URL},
            }],
        },
    }
