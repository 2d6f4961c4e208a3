"""An EKS cluster of the Zero-Trust Clusters library in a VPC the network team owns.

Two phases, two stacks (DEPLOYING.md), as the stock program does:
- the cloud phase (stack `example`, this program): the network team's VPC (a StackReference in
  real life), the shared PKI, the cluster and the change ledger's WORM store, through cloud APIs
  only. It exports `clusterPhase`, what the cluster phase needs (a secret).
- the cluster phase (stack `example-cluster`, `phase: cluster`): the stock in-cluster baseline
  (`zero_trust_clusters.program.run`), applied from the deployer network because the API
  server is private; it reads `clusterPhase` through a stack reference.

The network (VPC, node subnets in two zones, pod subnets in a secondary range) normally lives
in the network team's stack and arrives through a StackReference, e.g.
`pulumi.StackReference("acme/network/prod").get_output("nodeSubnetIds")`; here it is created
in the same program so the example runs on its own. Its egress (NAT, or routes to the hub's
firewall) is the network team's and left out. The cluster adds only what the posture needs:
its security groups, the CNI's subnet-role tags and a flow log. The cluster, its pools and the
posture come from the stack config (stacks/Pulumi.example.yaml), validated by `load_spec`.
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws import EksCluster
from zero_trust_clusters.components.aws.network import EksNetworkArgs
from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.cluster_phase import CLUSTER_PHASE_OUTPUT
from zero_trust_clusters.components.estate import cluster_phase_inputs
from zero_trust_clusters.components.ledger.bucket import LedgerBucket, LedgerBucketArgs
from zero_trust_clusters.components.ledger.provisioning import CONTROL_TAG
from zero_trust_clusters.components.pki import SharedPki, SharedPkiArgs
from zero_trust_clusters.components.spec import (
    CONFIG_NAMESPACE,
    SpecError,
    config_key,
    load_spec,
)
from zero_trust_clusters.program import run

PROJECT_DIR = Path(__file__).parent


def cloud_phase(config: pulumi.Config) -> None:
    try:
        spec = load_spec({"posture": config.require_object("posture"),
                          "clusters": config.require_object("clusters")},
                         project_dir=PROJECT_DIR)
    except SpecError as error:
        raise pulumi.RunError(str(error)) from None
    (cluster,) = spec.clusters
    ledger = spec.posture.ledger
    if ledger.store_cloud() != "aws" or ledger.region != cluster.region:
        raise pulumi.RunError(
            f"{config_key('posture', 'ledger')}: this program keeps the ledger in an S3 bucket "
            f"of its own provider's region; set bucketName and region: {cluster.region}")

    # One provider for the whole program: the cluster component uses it for every child.
    provider = aws.Provider("platform", region=cluster.region)
    with_provider = pulumi.ResourceOptions(provider=provider)

    # --- the network team's VPC (a StackReference in real life) -------------------------------
    vpc = aws.ec2.Vpc("network-vpc", cidr_block=cluster.node_cidr, enable_dns_support=True,
                      enable_dns_hostnames=True, tags={"Name": "network"}, opts=with_provider)
    pod_range = aws.ec2.VpcIpv4CidrBlockAssociation("network-pod-range", vpc_id=vpc.id,
                                                    cidr_block=cluster.pod_cidr,
                                                    opts=with_provider)
    zones = [f"{cluster.region}a", f"{cluster.region}b"]
    node_subnets = [
        aws.ec2.Subnet(f"network-nodes-{zone[-1]}", vpc_id=vpc.id, availability_zone=zone,
                       cidr_block=f"10.40.{i * 64}.0/18", map_public_ip_on_launch=False,
                       opts=with_provider)
        for i, zone in enumerate(zones)
    ]
    pod_subnets = [
        aws.ec2.Subnet(f"network-pods-{zone[-1]}", vpc_id=vpc.id, availability_zone=zone,
                       cidr_block=f"10.140.{i * 64}.0/18", map_public_ip_on_launch=False,
                       opts=pulumi.ResourceOptions(provider=provider, depends_on=[pod_range]))
        for i, zone in enumerate(zones)
    ]

    # --- the platform team's cluster -----------------------------------------------------------
    pki = SharedPki("pki", SharedPkiArgs(
        settings=spec.posture.pki, trust_domain=spec.posture.trust_domain,
        cluster_trust_domains={cluster.name: spec.trust_domain(cluster)},
        uri_name_constraints=spec.posture.pki.uri_name_constraints))
    eks = EksCluster(
        cluster.name,
        ClusterArgs(
            cluster=cluster, posture=spec.posture, trust_domain=spec.trust_domain(cluster),
            network=EksNetworkArgs(vpc_id=vpc.id,
                                   node_subnet_ids=[s.id for s in node_subnets],
                                   pod_subnet_ids=[s.id for s in pod_subnets]),
            trust_domain_intermediate_pem=pki.intermediates[cluster.name].certificate_pem,
        ),
        opts=with_provider,
    )
    # The change ledger's WORM store (S3 Object Lock), where `ztc ledger record` appends each
    # deployment (posture.ledger); the stock estate builds the same component.
    LedgerBucket("ledger", LedgerBucketArgs(bucket_name=str(ledger.bucket_name),
                                            retention_days=ledger.retention_days,
                                            tags=dict(CONTROL_TAG)),
                 opts=with_provider)
    # The same keys on every cloud (zero_trust_clusters/components/cluster.py ClusterOutputs);
    # kubeconfig is secret.
    for key, value in eks.outputs.as_dict().items():
        pulumi.export(key, value)
    # What the cluster phase reads (a secret): kubeconfig, issuer material, trust bundle.
    pulumi.export(CLUSTER_PHASE_OUTPUT, cluster_phase_inputs(spec, pki, {cluster.name: eks}))


config = pulumi.Config(CONFIG_NAMESPACE)
if (config.get("phase") or "cloud") == "cloud":
    cloud_phase(config)
else:
    run(PROJECT_DIR)  # the stock cluster phase (and its check of the phase's name)
