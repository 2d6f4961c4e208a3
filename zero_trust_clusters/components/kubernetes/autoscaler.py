"""The Cluster Autoscaler's namespace on EKS: PSA `restricted`, denied by default, and only the
egress it needs (charts.py `cluster_autoscaler_release` installs the chart into it).

What the autoscaler talks to, and so all it may reach:
- the cluster's DNS (kube-dns in kube-system), to resolve the AWS API endpoints;
- the API server and the AWS APIs (Auto Scaling, EC2, EKS, STS) on 443. The private API
  endpoint's network interfaces sit in the cluster's subnets (inside the VPC range,
  https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html); the AWS APIs are
  public regional endpoints (or VPC interface endpoints) whose addresses a NetworkPolicy cannot
  name, so 443 is open to any address outside the cluster's pod range. The Service range stays
  in: the autoscaler reaches the API server as the `kubernetes` Service's ClusterIP, and whether
  the policy sees that address or the endpoint's after translation is the CNI's choice
  ("undefined" in https://kubernetes.io/docs/concepts/services-networking/network-policies/).
  What the autoscaler may do there is confined by its IAM role (resize only this cluster's node
  groups, zero_trust_clusters/components/aws/pools.py);
- the EKS Pod Identity Agent, which hands out the role's credentials on the node's link-local
  169.254.170.23, port 80 ("uses port 80 and port 2703 on a link-local address on the node.
  This address is 169.254.170.23 for IPv4", https://docs.aws.amazon.com/eks/latest/userguide/
  pod-id-agent-setup.html, "EKS Pod Identity considerations").
Ingress: only the kubelet's liveness probe on 8085, from the nodes' range.
"""

from __future__ import annotations

from zero_trust_clusters.components.kubernetes.charts import (
    CLUSTER_AUTOSCALER_NAMESPACE,
    CLUSTER_AUTOSCALER_POD_LABELS,
    CLUSTER_AUTOSCALER_PORT,
)
from zero_trust_clusters.components.kubernetes.namespaces import system_namespace
from zero_trust_clusters.components.kubernetes.netpol import dns_egress, policy
from zero_trust_clusters.components.spec import ClusterSpec

POD_IDENTITY_AGENT = "169.254.170.23/32"
POD_IDENTITY_AGENT_PORT = 80
HTTPS = 443


def autoscaler_objects(cluster: ClusterSpec, version: str) -> list[dict]:
    """The namespace (first) and its NetworkPolicies."""
    ns = CLUSTER_AUTOSCALER_NAMESPACE
    pods = {"matchLabels": dict(CLUSTER_AUTOSCALER_POD_LABELS)}
    return [
        system_namespace(ns, "restricted", version),
        policy("default-deny-all", ns, {"policyTypes": ["Ingress", "Egress"]}),
        dns_egress(ns),
        policy("allow-https-egress", ns, {
            "podSelector": pods,
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [cluster.pod_cidr]}}],
                "ports": [{"protocol": "TCP", "port": HTTPS}],
            }],
        }),
        policy("allow-pod-identity-agent-egress", ns, {
            "podSelector": pods,
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}],
                "ports": [{"protocol": "TCP", "port": POD_IDENTITY_AGENT_PORT}],
            }],
        }),
        policy("allow-kubelet-probe", ns, {
            "podSelector": pods,
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"ipBlock": {"cidr": cluster.node_cidr}}],
                "ports": [{"protocol": "TCP", "port": CLUSTER_AUTOSCALER_PORT}],
            }],
        }),
    ]
