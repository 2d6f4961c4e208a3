"""Shared test material: the stacks' specs, a real shared PKI, and a HardenedCluster double."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

import pulumi
import yaml

from zero_trust_clusters.components.cluster import ClusterArgs, HardenedCluster
from zero_trust_clusters.components.kubernetes import default_sandbox_placement
from zero_trust_clusters.components.pki import formats
from zero_trust_clusters.components.pki.authority import (
    create_root_ca,
    issue_intermediate_ca,
    private_key_to_pem,
    to_pem,
)
from zero_trust_clusters.components.spec import EstateSpec, load_spec
from zero_trust_clusters.engine.stackfile import load_stack_config


@functools.cache
def stack_spec(stack: str) -> EstateSpec:
    config, _secure = load_stack_config(stack)
    return load_spec(config)


@dataclass(frozen=True)
class IntermediatePems:
    certificate: str
    key: str
    chain: str


@dataclass(frozen=True)
class Pki:
    root: str
    trust_bundle: str
    intermediates: dict[str, IntermediatePems]


@functools.cache
def shared_pki(stack: str) -> Pki:
    """A real root and one name-constrained intermediate per cluster (zero_trust_clusters.components.pki core)."""
    spec = stack_spec(stack)
    root = create_root_ca(spec.posture.trust_domain)
    root_pem = to_pem(root.certificate)
    intermediates = {}
    for cluster in spec.clusters:
        inter = issue_intermediate_ca(root, cluster.name, spec.trust_domain(cluster))
        intermediates[cluster.name] = IntermediatePems(
            to_pem(inter.certificate),
            private_key_to_pem(inter.private_key),
            inter.chain_pem(root.certificate),
        )
    return Pki(root_pem, formats.trust_bundle_pem(root_pem), intermediates)


def exec_kubeconfig(cluster: str, endpoint: str, ca_b64: str) -> str:
    """A kubeconfig that authenticates through an exec plugin (no token, no client cert)."""
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {
            "server": endpoint, "certificate-authority-data": ca_b64}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
        "current-context": cluster,
        "users": [{"name": cluster, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "ztc-test-credential-plugin",
            "args": ["token", cluster],
            "interactiveMode": "Never",
        }}}],
    })


class FakeCluster(HardenedCluster):
    """A HardenedCluster test double: the outputs the baseline reads, no cloud resources."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ztc:test:FakeCluster", name, args, opts)
        self.cloud = args.cluster.cloud
        self.endpoint = pulumi.Output.from_input(f"https://{name}.k8s.example.test")
        ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n")
        self.certificate_authority = pulumi.Output.from_input(ca.decode())
        self.kubeconfig = pulumi.Output.secret(
            exec_kubeconfig(name, f"https://{name}.k8s.example.test", ca.decode())
        )
        self.oidc_issuer = pulumi.Output.from_input(f"https://oidc.example.test/{name}")
        self.sandbox = default_sandbox_placement(self.cloud)
        self.register_outputs({"endpoint": self.endpoint, "controls": self.controls})
