"""Shared trust: the trust bundle in every workload namespace and a cert-manager CA issuer
signing with this cluster's intermediate of the shared root."""

from __future__ import annotations

import pulumi

from zero_trust_clusters.components.kubernetes.charts import CERT_MANAGER_NAMESPACE
from zero_trust_clusters.components.kubernetes.delivery import (
    IssuerMaterial,
    cert_manager_ca_data,
    secret_data,
)
from zero_trust_clusters.components.kubernetes.names import (
    CA_ISSUER_SECRET,
    CLUSTER_ISSUER,
    TRUST_BUNDLE_CONFIGMAP,
    TRUST_BUNDLE_KEY,
    meta,
)
from zero_trust_clusters.components.spec import Posture


def trust_bundles(posture: Posture, trust_bundle_pem: pulumi.Input[str]) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(TRUST_BUNDLE_CONFIGMAP, "ZT-MTLS-SHARED-ROOT", namespace=ns.name),
            "data": {TRUST_BUNDLE_KEY: trust_bundle_pem},
        }
        for ns in posture.workload_namespaces
    ]


def ca_issuer(issuer: IssuerMaterial, trust_bundle_pem: pulumi.Input[str]) -> list[dict]:
    # A ClusterIssuer reads its Secret from cert-manager's cluster resource namespace.
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta(CA_ISSUER_SECRET, "ZT-MTLS-SHARED-ROOT", namespace=CERT_MANAGER_NAMESPACE),
            "type": "kubernetes.io/tls",
            "data": secret_data(cert_manager_ca_data, issuer, trust_bundle_pem),
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": meta(CLUSTER_ISSUER, "ZT-MTLS-SHARED-ROOT"),
            "spec": {"ca": {"secretName": CA_ISSUER_SECRET}},
        },
    ]
