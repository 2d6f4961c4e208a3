"""Default-deny NetworkPolicies plus the narrow allows the spec asks for."""

from __future__ import annotations

from components.kubernetes.charts import ISTIO_NAMESPACE, ISTIOD_XDS_PORT
from components.kubernetes.names import NAMESPACE_NAME_LABEL, meta
from components.spec import Posture, WorkloadNamespace


def _policy(name: str, namespace: str, spec: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, "ZT-NETPOL-DEFAULT-DENY", namespace=namespace),
        "spec": {"podSelector": {}, **spec},
    }


def _namespace_peer(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}


def network_policies(ns: WorkloadNamespace, posture: Posture) -> list[dict]:
    name = ns.name
    policies = [
        # Empty podSelector + both policy types and no rules: nothing in, nothing out.
        _policy("default-deny-all", name, {"policyTypes": ["Ingress", "Egress"]}),
        _policy(
            "allow-dns-egress",
            name,
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
        ),
    ]
    for source in ns.ingress_from_namespaces:
        policies.append(_policy(
            f"allow-ingress-from-{source}", name,
            {"policyTypes": ["Ingress"], "ingress": [{"from": [_namespace_peer(source)]}]},
        ))
    # The other half of each allowed flow: the source namespace may send to us.
    for other in posture.workload_namespaces:
        if name in other.ingress_from_namespaces:
            policies.append(_policy(
                f"allow-egress-to-{other.name}", name,
                {"policyTypes": ["Egress"], "egress": [{"to": [_namespace_peer(other.name)]}]},
            ))
    if ns.egress_to_cidrs:
        policies.append(_policy(
            "allow-egress-cidrs", name,
            {
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": cidr}} for cidr in ns.egress_to_cidrs]}],
            },
        ))
    if posture.mesh:
        # Sidecars fetch config and workload certificates from istiod (xDS + CA on 15012).
        policies.append(_policy(
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
