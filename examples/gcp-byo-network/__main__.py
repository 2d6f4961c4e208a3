"""A GKE cluster of the Zero-Trust Clusters library in a VPC network the network team owns.

Two phases, two stacks (DEPLOYING.md), as the stock program does:
- the cloud phase (stack `example`, this program): the network team's VPC network (a
  StackReference in real life), the shared PKI, the cluster and the change ledger's WORM store,
  through cloud APIs only. It exports `clusterPhase`, what the cluster phase needs (a secret).
- the cluster phase (stack `example-cluster`, `phase: cluster`): the stock in-cluster baseline
  (`zero_trust_clusters.program.run`), applied from the deployer network because the API
  server is private; it reads `clusterPhase` through a stack reference.

The network (a VPC network and a subnetwork with two named secondary ranges for pods and
Services, Private Google Access on, Cloud NAT for egress) normally lives in the network team's
(host) project and stack and arrives through a StackReference, e.g.
`pulumi.StackReference("acme/network/prod").get_output("subnetwork")`; here it is created in
the same program so the example runs on its own. The cluster adds only what the posture needs:
a default-deny and the control plane's allow, both targeted at its node service account. The
cluster, its pools and the posture come from the stack config (stacks/Pulumi.example.yaml),
validated by `load_spec`.
"""

from pathlib import Path

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.cluster_phase import CLUSTER_PHASE_OUTPUT
from zero_trust_clusters.components.estate import cluster_phase_inputs
from zero_trust_clusters.components.gcp.component import GkeCluster
from zero_trust_clusters.components.gcp.network import GkeNetworkArgs
from zero_trust_clusters.components.ledger.gcs_bucket import (
    LedgerGcsBucket,
    LedgerGcsBucketArgs,
)
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
    project = cluster.settings.project
    ledger = spec.posture.ledger
    if ledger.store_cloud() != "gcp" or ledger.project != project:
        raise pulumi.RunError(
            f"{config_key('posture', 'ledger')}: this program keeps the ledger in a Cloud Storage "
            f"bucket of its own provider's project; set cloud: gcp and project: {project}")

    # One provider for the whole program: the cluster component uses it for every child.
    provider = gcp.Provider("platform", project=project, region=cluster.region)
    with_provider = pulumi.ResourceOptions(provider=provider)

    # --- the network team's VPC network (a StackReference in real life) ---------------------------
    vpc = gcp.compute.Network("network-vpc", name="platform", project=project,
                              auto_create_subnetworks=False, routing_mode="REGIONAL",
                              opts=with_provider)
    subnetwork = gcp.compute.Subnetwork(
        "network-gke", name="gke-nodes", project=project, region=cluster.region, network=vpc.id,
        ip_cidr_range=cluster.node_cidr,
        secondary_ip_ranges=[
            gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="gke-pods",
                                                       ip_cidr_range=cluster.pod_cidr),
            gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="gke-services",
                                                       ip_cidr_range=cluster.service_cidr),
        ],
        private_ip_google_access=True, opts=with_provider)
    router = gcp.compute.Router("network-router", name="platform", project=project,
                                region=cluster.region, network=vpc.id, opts=with_provider)
    gcp.compute.RouterNat(
        "network-nat", name="platform", project=project, region=cluster.region, router=router.name,
        nat_ip_allocate_option="AUTO_ONLY", source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
        opts=with_provider)

    # --- the platform team's cluster -----------------------------------------------------------
    pki = SharedPki("pki", SharedPkiArgs(
        settings=spec.posture.pki, trust_domain=spec.posture.trust_domain,
        cluster_trust_domains={cluster.name: spec.trust_domain(cluster)},
        uri_name_constraints=spec.posture.pki.uri_name_constraints))
    gke = GkeCluster(
        cluster.name,
        ClusterArgs(
            cluster=cluster, posture=spec.posture, trust_domain=spec.trust_domain(cluster),
            network=GkeNetworkArgs(
                network=vpc.id, subnetwork=subnetwork.id, pods_range_name="gke-pods",
                services_range_name="gke-services",
                # The private control plane's /28, unused anywhere in the network.
                control_plane_cidr="172.16.0.32/28"),
            trust_domain_intermediate_pem=pki.intermediates[cluster.name].certificate_pem,
        ),
        opts=with_provider,
    )
    # The change ledger's WORM store (a bucket under a locked retention policy), where
    # `ztc ledger record` appends each deployment (posture.ledger); the stock estate builds the same
    # component (GCP label values: lowercase letters, digits, '-' and '_' only).
    LedgerGcsBucket("ledger", LedgerGcsBucketArgs(
        bucket_name=str(ledger.bucket_name), project=project, location=str(ledger.location),
        retention_days=ledger.retention_days, labels={"ztc-control": "change-ledger"}),
        opts=with_provider)
    # The same keys on every cloud (zero_trust_clusters/components/cluster.py ClusterOutputs);
    # kubeconfig is secret.
    for key, value in gke.outputs.as_dict().items():
        pulumi.export(key, value)
    # What the cluster phase reads (a secret): kubeconfig, issuer material, trust bundle.
    pulumi.export(CLUSTER_PHASE_OUTPUT, cluster_phase_inputs(spec, pki, {cluster.name: gke}))


config = pulumi.Config(CONFIG_NAMESPACE)
if (config.get("phase") or "cloud") == "cloud":
    cloud_phase(config)
else:
    run(PROJECT_DIR)  # the stock cluster phase (and its check of the phase's name)
