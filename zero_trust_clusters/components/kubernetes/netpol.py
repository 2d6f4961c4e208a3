"""Default-deny NetworkPolicies plus the narrow allows the spec asks for."""

from __future__ import annotations

from zero_trust_clusters.components.kubernetes.charts import (
    EAST_WEST_GATEWAY,
    EAST_WEST_PORT,
    ISTIO_NAMESPACE,
    ISTIOD_XDS_PORT,
    SANDBOX_GATEWAY_PORT,
    sandbox_gateway_name,
)
from zero_trust_clusters.components.kubernetes.names import NAMESPACE_NAME_LABEL, meta
from zero_trust_clusters.components.spec import Posture, WorkloadNamespace


def policy(name: str, namespace: str, spec: dict) -> dict:
    """A NetworkPolicy; every pod of the namespace unless `spec` has its own podSelector."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, "ZT-NETPOL-DEFAULT-DENY", namespace=namespace),
        "spec": {"podSelector": {}, **spec},
    }


def dns_egress(namespace: str) -> dict:
    """Egress to the cluster's DNS (kube-dns in kube-system) on 53."""
    return policy(
        "allow-dns-egress",
        namespace,
        {
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{
                    **_namespace_peer("kube-system"),
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }],
        },
    )


def _namespace_peer(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}


def _sandbox_gateway_peer(sandboxed: str) -> dict:
    return {**_namespace_peer(ISTIO_NAMESPACE),
            "podSelector": {"matchLabels": {"istio": sandbox_gateway_name(sandboxed)}}}


def _east_west_peer() -> dict:
    return {**_namespace_peer(ISTIO_NAMESPACE),
            "podSelector": {"matchLabels": {"istio": EAST_WEST_GATEWAY.removeprefix("istio-")}}}


def network_policies(ns: WorkloadNamespace, posture: Posture,
                     estate_ranges: tuple[str, ...] = ()) -> list[dict]:
    """`estate_ranges`: every cluster's node and pod ranges (render.estate_ranges), where the
    peers' east-west gateways' internal load balancers are (egress on 15443 for namespaces with
    cross-cluster routes; the same list on every cluster)."""
    name = ns.name
    policies = [
        # Empty podSelector + both policy types and no rules: nothing in, nothing out.
        policy("default-deny-all", name, {"policyTypes": ["Ingress", "Egress"]}),
        dns_egress(name),
    ]
    sandboxed = {n.name for n in posture.workload_namespaces if n.sandboxed and posture.mesh}
    for source in ns.ingress_from_namespaces:
        # A sandboxed caller arrives through its meshed sandbox gateway, never directly.
        peer = _sandbox_gateway_peer(source) if source in sandboxed else _namespace_peer(source)
        policies.append(policy(
            f"allow-ingress-from-{source}", name,
            {"policyTypes": ["Ingress"], "ingress": [{"from": [peer]}]},
        ))
    if ns.ingress_from_clusters and posture.mesh:
        # Other clusters' callers, through the east-west gateway (mTLS passed through).
        policies.append(policy(
            "allow-ingress-from-eastwest", name,
            {"policyTypes": ["Ingress"], "ingress": [{"from": [_east_west_peer()]}]},
        ))
    if name in sandboxed:
        # Outside the mesh: the only way out is its own gateway, on its one listener port.
        policies.append(policy(
            "allow-egress-to-sandbox-gateway", name,
            {"policyTypes": ["Egress"], "egress": [{
                "to": [_sandbox_gateway_peer(name)],
                "ports": [{"protocol": "TCP", "port": SANDBOX_GATEWAY_PORT}],
            }]},
        ))
        return policies
    # The other half of each allowed flow: the source namespace may send to us.
    for other in posture.workload_namespaces:
        if name in other.ingress_from_namespaces:
            policies.append(policy(
                f"allow-egress-to-{other.name}", name,
                {"policyTypes": ["Egress"], "egress": [{"to": [_namespace_peer(other.name)]}]},
            ))
    if ns.egress_to_cidrs:
        policies.append(policy(
            "allow-egress-cidrs", name,
            {
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": cidr}} for cidr in ns.egress_to_cidrs]}],
            },
        ))
    if posture.mesh and estate_ranges and any(
            name in o.ingress_from_namespaces and o.ingress_from_clusters
            for o in posture.workload_namespaces):
        # Cross-cluster routes (mesh.cross_cluster_routes): to the peers' east-west gateways.
        policies.append(policy(
            "allow-egress-to-peer-clusters", name,
            {"policyTypes": ["Egress"], "egress": [{
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in estate_ranges],
                "ports": [{"protocol": "TCP", "port": EAST_WEST_PORT}],
            }]},
        ))
    if posture.mesh:
        # Sidecars fetch config and workload certificates from istiod (xDS + CA on 15012).
        policies.append(policy(
            "allow-mesh-control-plane", name,
            {
                "policyTypes": ["Egress"],
                "egress": [{
                    "to": [{
                        **_namespace_peer(ISTIO_NAMESPACE),
                        "podSelector": {"matchLabels": {"app": "istiod"}},
                    }],
                    "ports": [{"protocol": "TCP", "port": ISTIOD_XDS_PORT}],
                }],
            },
        ))
    return policies
