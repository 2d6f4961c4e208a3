"""Cluster and node security groups with only the rules EKS needs; no world ingress."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.kubernetes.charts import baseline_webhook_ports
from zero_trust_clusters.components.spec import Posture

KUBELET_PORT = 10250


def webhook_ports(posture: Posture) -> tuple[int, ...]:
    """The ports the control plane calls admission webhooks on in pods: exactly those of the
    baseline's charts (zero_trust_clusters/components/kubernetes/charts.py, the one list every cloud reads; e.g.
    istiod's 15017 with the mesh). The EKS add-ons the estate installs (VPC CNI, Pod Identity
    agent, kube-proxy) serve no webhook in the nodes."""
    return baseline_webhook_ports("aws", posture)


@dataclass
class SecurityGroups:
    cluster: aws.ec2.SecurityGroup
    node: aws.ec2.SecurityGroup


def _group(ctx: AwsContext, role: str, vpc_id: pulumi.Input[str], description: str,
           extra_tags: dict[str, str]) -> aws.ec2.SecurityGroup:
    return aws.ec2.SecurityGroup(
        f"{ctx.name}-{role}-sg",
        aws.ec2.SecurityGroupArgs(
            name=f"ztc-{ctx.name}-{role}",
            description=description,
            vpc_id=vpc_id,
            revoke_rules_on_delete=True,
            region=ctx.region,
            tags=ctx.tags(Name=f"ztc-{ctx.name}-{role}", **extra_tags),
        ),
        opts=ctx.opts(),
    )


def _label(cidr: str) -> str:
    return cidr.replace("/", "-").replace(".", "-").replace(":", "-")


def _tcp(port: int) -> dict:
    return {"ip_protocol": "tcp", "from_port": port, "to_port": port}


def build_security_groups(ctx: AwsContext, vpc_id: pulumi.Input[str]) -> SecurityGroups:
    name = ctx.name
    cluster = _group(ctx, "cluster", vpc_id, "EKS control plane ENIs", {})
    node = _group(ctx, "node", vpc_id, "EKS nodes and pods (VPC CNI custom networking)",
                  {f"kubernetes.io/cluster/{name}": "owned"})

    def ingress(label: str, sg: aws.ec2.SecurityGroup, description: str, **rule) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{label}",
            aws.vpc.SecurityGroupIngressRuleArgs(security_group_id=sg.id, description=description,
                                                 region=ctx.region, **rule),
            opts=ctx.opts(),
        )

    def egress(label: str, sg: aws.ec2.SecurityGroup, description: str, **rule) -> None:
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{label}",
            aws.vpc.SecurityGroupEgressRuleArgs(security_group_id=sg.id, description=description,
                                                region=ctx.region, **rule),
            opts=ctx.opts(),
        )

    # Nodes -> API server.
    ingress("cluster-in-api", cluster, "nodes to the Kubernetes API",
            referenced_security_group_id=node.id, **_tcp(443))
    # Admitted networks -> the private API endpoint, over peering/VPN: EKS says the control
    # plane security group must allow 443 from a connected network
    # (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html#private-access).
    deployer = set(ctx.posture.deployer.networks) if ctx.posture.deployer else set()
    for cidr in ctx.posture.api_source_networks():
        who = "deployer (cluster phase)" if cidr in deployer else "authorized"
        ingress(f"cluster-in-api-{_label(cidr)}", cluster,
                f"Kubernetes API from the {who} network {cidr}", cidr_ipv4=cidr, **_tcp(443))
    egress("node-out-api", node, "nodes to the Kubernetes API",
           referenced_security_group_id=cluster.id, **_tcp(443))
    # Control plane -> kubelet (logs, exec, metrics) and -> the charts' webhooks (cert-manager's
    # listens on the kubelet port).
    for port in sorted({KUBELET_PORT, *webhook_ports(ctx.posture)}):
        what = "kubelet" if port == KUBELET_PORT else f"webhooks on {port}"
        ingress(f"node-in-{port}", node, f"control plane to {what}",
                referenced_security_group_id=cluster.id, **_tcp(port))
        egress(f"cluster-out-{port}", cluster, f"control plane to {what}",
               referenced_security_group_id=node.id, **_tcp(port))
    # Node-to-node and pod-to-pod (pods share the node SG); NetworkPolicy narrows it in-cluster.
    ingress("node-in-self", node, "node and pod traffic inside the cluster",
            referenced_security_group_id=node.id, ip_protocol="-1")
    egress("node-out-self", node, "node and pod traffic inside the cluster",
           referenced_security_group_id=node.id, ip_protocol="-1")
    # HTTPS out through the NAT gateways: ECR, S3, STS, EKS, the gVisor release bucket.
    egress("node-out-https", node, "HTTPS to AWS APIs and registries via NAT",
           cidr_ipv4="0.0.0.0/0", **_tcp(443))
    # The explicit egress allows of the workload namespaces (NetworkPolicy enforces per pod).
    cidrs = sorted({c for ns in ctx.posture.workload_namespaces for c in ns.egress_to_cidrs})
    for cidr in cidrs:
        egress(f"node-out-{_label(cidr)}", node, f"workload egress allow to {cidr}",
               cidr_ipv4=cidr if ":" not in cidr else None,
               cidr_ipv6=cidr if ":" in cidr else None, ip_protocol="-1")
    return SecurityGroups(cluster=cluster, node=node)
