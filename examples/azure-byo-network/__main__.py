"""An AKS cluster of the Zero-Trust Clusters library in a VNet the network team owns.

Two phases, two stacks (DEPLOYING.md), as the stock program does:
- the cloud phase (stack `example`, this program): the network team's VNet (a StackReference in
  real life), the shared PKI, the cluster and the change ledger's WORM store, through cloud APIs
  only. It exports `clusterPhase`, what the cluster phase needs (a secret).
- the cluster phase (stack `example-cluster`, `phase: cluster`): the stock in-cluster baseline
  (`zero_trust_clusters.program.run`), applied from the deployer network because the API
  server is private; it reads `clusterPhase` through a stack reference.

The network (VNet, a node subnet with its NSG and NAT gateway, an API-server subnet delegated
to AKS with its NSG) normally lives in the network team's stack and arrives through a
StackReference, e.g. `pulumi.StackReference("acme/network/prod").get_output("nodeSubnetId")`;
here it is created in the same program so the example runs on its own. The cluster adds only
what the posture needs: its rules in the two NSGs (`ztc-<cluster>-...`). The cluster, its pools
and the posture come from the stack config (stacks/Pulumi.example.yaml), validated by
`load_spec`.
"""

from pathlib import Path

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import network

from zero_trust_clusters.components.azure import AksCluster
from zero_trust_clusters.components.azure.network import AksNetworkArgs
from zero_trust_clusters.components.cluster import ClusterAccessArgs, ClusterArgs, GroupAccessArgs
from zero_trust_clusters.components.cluster_phase import CLUSTER_PHASE_OUTPUT
from zero_trust_clusters.components.estate import cluster_phase_inputs
from zero_trust_clusters.components.ledger.azure_container import (
    LedgerContainer,
    LedgerContainerArgs,
)
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
    settings = cluster.settings
    ledger = spec.posture.ledger
    if ledger.store_cloud() != "azure" or (ledger.subscription_id, ledger.tenant_id) != (
            settings.subscription_id, settings.tenant_id):
        raise pulumi.RunError(
            f"{config_key('posture', 'ledger')}: this program keeps the ledger in a blob container "
            "of its own provider's subscription; set cloud: azure and the cluster's subscriptionId "
            "and tenantId")

    # One provider for the whole program: the cluster component uses it for every child.
    provider = azure_native.Provider("platform", subscription_id=settings.subscription_id,
                                     tenant_id=settings.tenant_id, location=cluster.region)
    with_provider = pulumi.ResourceOptions(provider=provider)

    # --- the network team's VNet (a StackReference in real life) ----------------------------------
    NODES, APISERVER = "10.50.0.0/17", "10.50.255.240/28"
    group = azure_native.resources.ResourceGroup("network", resource_group_name="rg-network",
                                                 location=cluster.region, opts=with_provider)
    # The owner's NSGs: the cluster adds the posture's rules to them as SecurityRule resources, so
    # the owner's program leaves their rules alone (no inline `security_rules` it would enforce).
    nsg_opts = pulumi.ResourceOptions(provider=provider, ignore_changes=["securityRules"])
    node_nsg = network.NetworkSecurityGroup("network-nodes", resource_group_name=group.name,
                                            network_security_group_name="nsg-aks-nodes",
                                            location=cluster.region, opts=nsg_opts)
    api_nsg = network.NetworkSecurityGroup("network-apiserver", resource_group_name=group.name,
                                           network_security_group_name="nsg-aks-apiserver",
                                           location=cluster.region, opts=nsg_opts)
    egress_ip = network.PublicIPAddress(
        "network-egress", resource_group_name=group.name, public_ip_address_name="pip-egress",
        location=cluster.region, sku=network.PublicIPAddressSkuArgs(name="Standard"),
        public_ip_allocation_method="Static", opts=with_provider)
    nat = network.NatGateway(
        "network-nat", resource_group_name=group.name, nat_gateway_name="ng-aks",
        location=cluster.region, sku=network.NatGatewaySkuArgs(name="Standard"),
        public_ip_addresses=[network.SubResourceArgs(id=egress_ip.id)], opts=with_provider)
    vnet = network.VirtualNetwork(
        "network-vnet", resource_group_name=group.name, virtual_network_name="vnet-platform",
        location=cluster.region,
        address_space=network.AddressSpaceArgs(address_prefixes=[cluster.node_cidr]),
        opts=pulumi.ResourceOptions(provider=provider, ignore_changes=["subnets"]))
    node_subnet = network.Subnet(
        "network-nodes", resource_group_name=group.name, virtual_network_name=vnet.name,
        subnet_name="snet-aks-nodes", address_prefix=NODES,
        network_security_group=network.NetworkSecurityGroupArgs(id=node_nsg.id),
        nat_gateway=network.SubResourceArgs(id=nat.id), default_outbound_access=False,
        opts=with_provider)
    api_subnet = network.Subnet(
        "network-apiserver", resource_group_name=group.name, virtual_network_name=vnet.name,
        subnet_name="snet-aks-apiserver", address_prefix=APISERVER,
        network_security_group=network.NetworkSecurityGroupArgs(id=api_nsg.id),
        # API Server VNet Integration: the subnet is delegated to AKS
        # (learn.microsoft.com/azure/aks/api-server-vnet-integration).
        delegations=[network.DelegationArgs(
            name="aks-apiserver", service_name="Microsoft.ContainerService/managedClusters")],
        default_outbound_access=False,
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[node_subnet]))

    # --- the identity team's admin group (a StackReference in real life) -------------------------
    # e.g. `pulumi.StackReference("acme/identity/prod").get_output("platformAdminsGroupId")`, an
    # Output checked when known. For this cluster it wins over posture.groups.admins: the AKS admin
    # group and the Azure RBAC role assignments name it, and the cluster phase's ClusterRoleBinding
    # `ztc-admins` binds it (the component publishes it as `groupSubjects`, `cluster_phase_inputs`
    # hands it over).
    platform_admins = pulumi.Output.from_input("3d2b8f0e-6c1a-4e57-9b2d-8a4f1c7e5a10")

    # --- the platform team's cluster -----------------------------------------------------------
    pki = SharedPki("pki", SharedPkiArgs(
        settings=spec.posture.pki, trust_domain=spec.posture.trust_domain,
        cluster_trust_domains={cluster.name: spec.trust_domain(cluster)},
        uri_name_constraints=spec.posture.pki.uri_name_constraints))
    aks = AksCluster(
        cluster.name,
        ClusterArgs(
            cluster=cluster, posture=spec.posture, trust_domain=spec.trust_domain(cluster),
            network=AksNetworkArgs(
                node_subnet_id=node_subnet.id, node_subnet_cidr=NODES,
                apiserver_subnet_id=api_subnet.id, apiserver_subnet_cidr=APISERVER,
                node_nsg_id=node_nsg.id, apiserver_nsg_id=api_nsg.id,
                outbound_type="userAssignedNATGateway"),
            trust_domain_intermediate_pem=pki.intermediates[cluster.name].certificate_pem,
            access=ClusterAccessArgs(
                admins=GroupAccessArgs(azure_group_object_id=platform_admins)),
        ),
        opts=with_provider,
    )
    # The change ledger's WORM store (a container under a locked version-level immutability
    # policy), where `ztc ledger record` appends each deployment (posture.ledger); the stock estate
    # builds the same component.
    LedgerContainer("ledger", LedgerContainerArgs(
        storage_account=str(ledger.storage_account), container=str(ledger.container),
        location=str(ledger.location), retention_days=ledger.retention_days,
        resource_group=ledger.resource_group, tags=dict(CONTROL_TAG)), opts=with_provider)
    # The same keys on every cloud (zero_trust_clusters/components/cluster.py ClusterOutputs);
    # kubeconfig is secret.
    for key, value in aks.outputs.as_dict().items():
        pulumi.export(key, value)
    # What the cluster phase reads (a secret): kubeconfig, issuer material, trust bundle.
    pulumi.export(CLUSTER_PHASE_OUTPUT, cluster_phase_inputs(spec, pki, {cluster.name: aks}))


config = pulumi.Config(CONFIG_NAMESPACE)
if (config.get("phase") or "cloud") == "cloud":
    cloud_phase(config)
else:
    run(PROJECT_DIR)  # the stock cluster phase (and its check of the phase's name)
