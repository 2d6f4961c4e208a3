"""`ZeroTrustEstate` for every Pulumi language: the cloud phase from the stack config's shape.

The same inputs as a stack's `zero-trust-clusters:posture` and `zero-trust-clusters:clusters`,
validated like a stack, building zero_trust_clusters/components/estate.py `ZeroTrustEstate` as the only child. The
outputs are the program's exports, per cluster name.
"""

from typing import Any, TypedDict

import pulumi

from zero_trust_clusters.components.estate import EstateArgs
from zero_trust_clusters.components.estate import ZeroTrustEstate as Estate
from zero_trust_clusters.components.provider import type_token
from zero_trust_clusters.components.provider.config import Cluster, Posture
from zero_trust_clusters.components.provider.inputs import load


class ZeroTrustEstateArgs(TypedDict):
    posture: Posture
    """The zero-trust posture every cluster reproduces (the stack's `posture`)."""
    clusters: list[Cluster]
    """Every cluster of the estate, on any mix of clouds (the stack's `clusters`)."""


class ZeroTrustEstate(pulumi.ComponentResource):
    """EKS, AKS and GKE clusters with one zero-trust posture, a shared PKI and a ledger store."""

    clouds: pulumi.Output[dict[str, str]]
    """Cluster name -> its cloud."""
    regions: pulumi.Output[dict[str, str]]
    """Cluster name -> its region."""
    trust_domains: pulumi.Output[dict[str, str]]
    """Cluster name -> its SPIFFE trust domain."""
    endpoints: pulumi.Output[dict[str, str]]
    """Cluster name -> its private API server URL."""
    oidc_issuers: pulumi.Output[dict[str, str]]
    """Cluster name -> its workload-identity OIDC issuer URL."""
    kubeconfigs: pulumi.Output[dict[str, str]]
    """Cluster name -> its kubeconfig (a secret), authenticating through the cloud's CLI."""
    controls: pulumi.Output[dict[str, dict[str, list[str]]]]
    """Cluster name -> control ID -> the resources implementing it."""
    posture_summary: pulumi.Output[dict[str, Any]]
    """What every cluster promises, in the control catalog's terms."""
    root_certificate_pem: pulumi.Output[str]
    """The shared root certificate (PEM)."""
    trust_bundle_pem: pulumi.Output[str]
    """Every trusted root (PEM), the current one and any being rotated out."""
    ledger_store: pulumi.Output[str | None]
    """The ledger store's URL for `ztc ledger` (s3://, https://, gs://); none: a directory."""
    cluster_phase: pulumi.Output[dict[str, Any]]
    """The cluster phase's input (a secret): kubeconfigs, issuer material, trust bundle."""

    def __init__(self, name: str, args: ZeroTrustEstateArgs,
                 opts: pulumi.ResourceOptions | None = None):
        # Validated before anything is registered: invalid inputs register nothing.
        spec = load(f"ZeroTrustEstate {name!r}", args.get("posture"), args.get("clusters") or [],
                    builds_pki=True)
        super().__init__(type_token("ZeroTrustEstate"), name, None, opts)
        estate = Estate(name, EstateArgs(spec=spec), pulumi.ResourceOptions(parent=self))
        clusters = estate.clusters

        out = pulumi.Output.from_input
        self.clouds = out({n: c.spec.cloud for n, c in clusters.items()})
        self.regions = out({n: c.spec.region for n, c in clusters.items()})
        self.trust_domains = out(
            {n: spec.trust_domain(c.spec) for n, c in clusters.items()})
        self.endpoints = out({n: c.endpoint for n, c in clusters.items()})
        self.oidc_issuers = out({n: c.oidc_issuer for n, c in clusters.items()})
        self.kubeconfigs = pulumi.Output.secret({n: c.kubeconfig for n, c in clusters.items()})
        self.controls = out({n: c.controls for n, c in clusters.items()})
        self.posture_summary = out(estate.posture_summary)
        self.root_certificate_pem = estate.pki.root_certificate_pem
        self.trust_bundle_pem = estate.pki.trust_bundle_pem
        self.ledger_store = out(estate.ledger.location if estate.ledger else None)
        self.cluster_phase = estate.cluster_phase_inputs
        self.register_outputs({
            "clouds": self.clouds,
            "regions": self.regions,
            "trustDomains": self.trust_domains,
            "endpoints": self.endpoints,
            "oidcIssuers": self.oidc_issuers,
            "kubeconfigs": self.kubeconfigs,
            "controls": self.controls,
            "postureSummary": self.posture_summary,
            "rootCertificatePem": self.root_certificate_pem,
            "trustBundlePem": self.trust_bundle_pem,
            "ledgerStore": self.ledger_store,
            "clusterPhase": self.cluster_phase,
        })
