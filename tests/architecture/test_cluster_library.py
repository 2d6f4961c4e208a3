"""The cluster components as a platform team adopts them from its own program: a network
brought as `pulumi.Output`s (from a StackReference), an explicit provider honoured by every
child, keyed errors for a malformed network, at load time and at apply time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import OUTPUT_KEYS, ClusterArgs, ExistingNetwork
from zero_trust_clusters.components.spec import EstateSpec, SpecError, load_spec
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import ORGANIZATION, Graph, ProgramError, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

NETWORK_STACK = f"{ORGANIZATION}/platform-network/prod"
SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-hub/providers"

# What a network team's stack exports, per cloud (the values a StackReference hands over).
EXPORTS: dict[str, dict[str, Any]] = {
    "aws": {
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "nodeSubnetIds": ["subnet-0aa0000000000001a", "subnet-0aa0000000000001b"],
        "podSubnetIds": ["subnet-0bb0000000000002a", "subnet-0bb0000000000002b"],
    },
    "azure": {
        "nodeSubnetId": f"{SUB}/Microsoft.Network/virtualNetworks/vnet-hub/subnets/aks-nodes",
        "nodeSubnetCidr": "10.20.0.0/17",
        "apiServerSubnetId": f"{SUB}/Microsoft.Network/virtualNetworks/vnet-hub/subnets/aks-api",
        "apiServerSubnetCidr": "10.20.255.240/28",
        "nodeNsgId": f"{SUB}/Microsoft.Network/networkSecurityGroups/nsg-aks-nodes",
        "apiServerNsgId": f"{SUB}/Microsoft.Network/networkSecurityGroups/nsg-aks-api",
    },
    "gcp": {
        "network": "projects/acme-net-host/global/networks/shared",
        "subnetwork": "projects/acme-net-host/regions/europe-west1/subnetworks/gke-nodes",
        "podsRangeName": "gke-pods",
        "servicesRangeName": "gke-services",
        "controlPlaneCidr": "172.16.0.32/28",
    },
}


def _network_args(cloud: str, ref: pulumi.StackReference) -> ExistingNetwork:
    """The cloud's *NetworkArgs, every value an Output of the stack reference."""
    out = ref.get_output
    if cloud == "aws":
        from zero_trust_clusters.components.aws.network import EksNetworkArgs

        return EksNetworkArgs(
            vpc_id=out("vpcId"),
            node_subnet_ids=[out("nodeSubnetIds").apply(lambda v, i=i: v[i]) for i in range(2)],
            pod_subnet_ids=[out("podSubnetIds").apply(lambda v, i=i: v[i]) for i in range(2)])
    if cloud == "azure":
        from zero_trust_clusters.components.azure.network import AksNetworkArgs

        return AksNetworkArgs(
            node_subnet_id=out("nodeSubnetId"), node_subnet_cidr=out("nodeSubnetCidr"),
            apiserver_subnet_id=out("apiServerSubnetId"),
            apiserver_subnet_cidr=out("apiServerSubnetCidr"), node_nsg_id=out("nodeNsgId"),
            apiserver_nsg_id=out("apiServerNsgId"))
    from zero_trust_clusters.components.gcp.network import GkeNetworkArgs

    return GkeNetworkArgs(
        network=out("network"), subnetwork=out("subnetwork"),
        pods_range_name=out("podsRangeName"), services_range_name=out("servicesRangeName"),
        control_plane_cidr=out("controlPlaneCidr"))


def _explicit_provider(cloud: str, name: str) -> pulumi.ProviderResource:
    if cloud == "aws":
        import pulumi_aws as aws

        return aws.Provider(name, region="eu-west-1")
    if cloud == "azure":
        import pulumi_azure_native as azure_native

        return azure_native.Provider(name, location="westeurope")
    import pulumi_gcp as gcp

    return gcp.Provider(name, project="acme-dev-gke", region="europe-west1")


def _dev() -> tuple[dict, EstateSpec]:
    config, _ = load_stack_config("dev")
    return config, load_spec(config)


def _run(cloud: str, *, exports: dict[str, Any] | None = None, provider: bool = False,
         preview: bool = False, network: Callable | None = None) -> Graph:
    config, spec = _dev()
    cluster = next(c for c in spec.clusters if c.cloud == cloud)

    def program() -> None:
        args = ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster))
        if exports is not None:
            ref = pulumi.StackReference(NETWORK_STACK)
            args = ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster),
                               network=(network or _network_args)(cloud, ref))
        opts = None
        if provider:
            opts = pulumi.ResourceOptions(provider=_explicit_provider(cloud, "platform"))
        clouds.get(cloud).load_component()(cluster.name, args, opts)

    return run_program(program, config=to_pulumi_config(config), preview=preview,
                       stack_outputs={NETWORK_STACK: exports} if exports is not None else None)


def _inputs(graph: Graph, type_: str) -> list[dict[str, Any]]:
    return [unwrap(r.inputs) for r in graph.of_type(type_)]


# ------------------------------------------------------------------ a network from another stack

@pytest.fixture(scope="module", params=list(clouds.BUILTIN))
def brought(request) -> tuple[str, Graph]:
    return request.param, _run(request.param, exports=EXPORTS[request.param])


def test_a_brought_network_creates_no_network_of_its_own(brought):
    cloud, graph = brought
    created = {
        "aws": ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway",
                "aws:ec2/internetGateway:InternetGateway", "aws:ec2/eip:Eip"),
        "azure": ("azure-native:network:VirtualNetwork", "azure-native:network:Subnet",
                  "azure-native:network:NetworkSecurityGroup", "azure-native:network:NatGateway",
                  "azure-native:network:PublicIPAddress"),
        "gcp": ("gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork",
                "gcp:compute/router:Router", "gcp:compute/routerNat:RouterNat"),
    }[cloud]
    assert [r.name for r in graph.resources if r.type in created] == []


def test_eks_takes_the_referenced_vpc_and_subnets(brought):
    cloud, graph = brought
    if cloud != "aws":
        pytest.skip("EKS")
    e = EXPORTS["aws"]
    (eks,) = _inputs(graph, "aws:eks/cluster:Cluster")
    assert eks["vpcConfig"]["subnetIds"] == e["nodeSubnetIds"]
    for group in _inputs(graph, "aws:eks/nodeGroup:NodeGroup"):
        assert group["subnetIds"] == e["nodeSubnetIds"]
    for sg in _inputs(graph, "aws:ec2/securityGroup:SecurityGroup"):
        assert sg["vpcId"] == e["vpcId"]
    (flow_log,) = _inputs(graph, "aws:ec2/flowLog:FlowLog")
    assert flow_log["vpcId"] == e["vpcId"]
    # The CNI's subnet roles, as tags on subnets the component does not own.
    tags = {(t["resourceId"], t["key"]): t["value"] for t in _inputs(graph, "aws:ec2/tag:Tag")}
    for subnet in e["nodeSubnetIds"]:
        assert tags[(subnet, "kubernetes.io/role/cni")] == "0"
    for subnet in e["podSubnetIds"]:
        assert tags[(subnet, "kubernetes.io/role/cni")] == "1"
        assert tags[(subnet, "cni.networking.k8s.aws/cluster/dev-aws")] == "shared"


def test_aks_takes_the_referenced_subnets_and_adds_its_rules_to_their_nsgs(brought):
    cloud, graph = brought
    if cloud != "azure":
        pytest.skip("AKS")
    e = EXPORTS["azure"]
    (aks,) = _inputs(graph, "azure-native:containerservice:ManagedCluster")
    assert aks["apiServerAccessProfile"]["subnetId"] == e["apiServerSubnetId"]
    assert aks["apiServerAccessProfile"]["enableVnetIntegration"] is True
    assert aks["agentPoolProfiles"][0]["vnetSubnetID"] == e["nodeSubnetId"]
    assert aks["networkProfile"]["outboundType"] == "userAssignedNATGateway"
    for pool in _inputs(graph, "azure-native:containerservice:AgentPool"):
        assert pool["vnetSubnetID"] == e["nodeSubnetId"]
    rules = _inputs(graph, "azure-native:network:SecurityRule")
    by_nsg: dict[str, dict[str, dict]] = {}
    for rule in rules:
        assert rule["resourceGroupName"] == "rg-hub"
        by_nsg.setdefault(rule["networkSecurityGroupName"], {})[rule["securityRuleName"]] = rule
    assert set(by_nsg) == {"nsg-aks-nodes", "nsg-aks-api"}
    api = by_nsg["nsg-aks-api"]["ztc-dev-azure-allow-nodes-to-apiserver"]
    assert api["sourceAddressPrefix"] == e["nodeSubnetCidr"]
    assert api["destinationAddressPrefix"] == e["apiServerSubnetCidr"]
    kubelet = by_nsg["nsg-aks-nodes"]["ztc-dev-azure-allow-apiserver-to-kubelet"]
    assert kubelet["sourceAddressPrefix"] == e["apiServerSubnetCidr"]
    assert by_nsg["nsg-aks-nodes"]["ztc-dev-azure-deny-all-inbound"]["access"] == "Deny"
    # The control-plane identity may join the brought subnets (Network Contributor on each).
    scopes = {a["scope"] for a in _inputs(graph, "azure-native:authorization:RoleAssignment")}
    assert {e["nodeSubnetId"], e["apiServerSubnetId"]} <= scopes


def test_gke_takes_the_referenced_network_and_named_ranges(brought):
    cloud, graph = brought
    if cloud != "gcp":
        pytest.skip("GKE")
    e = EXPORTS["gcp"]
    (gke,) = _inputs(graph, "gcp:container/cluster:Cluster")
    assert gke["network"] == e["network"]
    assert gke["subnetwork"] == e["subnetwork"]
    assert gke["ipAllocationPolicy"]["clusterSecondaryRangeName"] == e["podsRangeName"]
    assert gke["ipAllocationPolicy"]["servicesSecondaryRangeName"] == e["servicesRangeName"]
    assert gke["privateClusterConfig"]["masterIpv4CidrBlock"] == e["controlPlaneCidr"]
    firewalls = {f["name"]: f for f in _inputs(graph, "gcp:compute/firewall:Firewall")}
    assert set(firewalls) == {"dev-gcp-deny-all-ingress", "dev-gcp-allow-control-plane"}
    node_account = gke["nodeConfig"]["serviceAccount"]
    for rule in firewalls.values():
        assert rule["network"] == e["network"]
        assert rule["project"] == "acme-net-host"  # the (Shared VPC host) network's project
        # In a shared network the default-deny reaches the cluster's nodes only.
        assert rule["targetServiceAccounts"] == [node_account]
    assert firewalls["dev-gcp-allow-control-plane"]["sourceRanges"] == [e["controlPlaneCidr"]]


def test_the_outputs_name_the_brought_network(brought):
    cloud, graph = brought
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    outputs = unwrap(graph.component_outputs[component.urn])
    e = EXPORTS[cloud]
    expected = {
        "aws": (e.get("vpcId"), [*e.get("nodeSubnetIds", []), *e.get("podSubnetIds", [])]),
        "azure": (str(e.get("nodeSubnetId", "")).rsplit("/subnets/", 1)[0],
                  [e.get("nodeSubnetId"), e.get("apiServerSubnetId")]),
        "gcp": (e.get("network"), [e.get("subnetwork")]),
    }[cloud]
    assert (outputs["networkId"], outputs["subnetIds"]) == expected
    if cloud == "azure":
        assert outputs["securityGroups"] == [e["nodeNsgId"], e["apiServerNsgId"]]


def test_a_first_preview_with_unknown_network_values_registers_the_same_children(brought):
    """At a first preview the referenced values are known (the other stack is deployed), but
    the component's own outputs are not: the graph must not depend on them."""
    cloud, graph = brought
    preview = _run(cloud, exports=EXPORTS[cloud], preview=True)
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in graph.resources)


# ------------------------------------------------------------------ checks when values are known

BAD: dict[str, tuple[str, Any, str]] = {
    "aws": ("podSubnetIds", ["subnet-0aa0000000000001a", "subnet-0bb0000000000002b"],
            "EksNetworkArgs.podSubnetIds: subnet-0aa0000000000001a is also a node subnet"),
    "azure": ("apiServerSubnetId",
              f"{SUB}/Microsoft.Network/virtualNetworks/vnet-other/subnets/aks-api",
              "AksNetworkArgs.apiServerSubnetId: is in VNet vnet-other, the nodes in vnet-hub"),
    "gcp": ("subnetwork", "projects/acme-net-host/regions/us-east1/subnetworks/gke-nodes",
            "GkeNetworkArgs.subnetwork: is in us-east1, the cluster in europe-west1"),
}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_wrong_referenced_value_fails_when_known_naming_the_argument(cloud):
    key, value, message = BAD[cloud]
    with pytest.raises(ProgramError) as raised:
        _run(cloud, exports={**EXPORTS[cloud], key: value})
    assert message in str(raised.value)


def test_eks_refuses_a_single_subnet_when_built():
    def one_subnet(cloud: str, ref: pulumi.StackReference) -> ExistingNetwork:
        from zero_trust_clusters.components.aws.network import EksNetworkArgs

        return EksNetworkArgs(vpc_id=ref.get_output("vpcId"),
                              node_subnet_ids=[ref.get_output("vpcId")],
                              pod_subnet_ids=[ref.get_output("vpcId")] * 2)

    with pytest.raises(ProgramError) as raised:
        _run("aws", exports=EXPORTS["aws"], network=one_subnet)
    assert ("EksNetworkArgs.nodeSubnetIds: lists 1 subnet(s); EKS needs subnets in at least 2 "
            "availability zones") in str(raised.value)


def test_another_clouds_network_args_are_refused():
    def gke_args_for_eks(cloud: str, ref: pulumi.StackReference) -> ExistingNetwork:
        return _network_args("gcp", ref)

    with pytest.raises(ProgramError) as raised:
        _run("aws", exports=EXPORTS["gcp"], network=gke_args_for_eks)
    assert "ClusterArgs.network is a GkeNetworkArgs; an EksCluster takes EksNetworkArgs" in str(
        raised.value)


# ------------------------------------------------------------------ the stack's `<cloud>.network`

CONFIG_BLOCKS: dict[str, dict[str, Any]] = {
    "aws": {"vpcId": EXPORTS["aws"]["vpcId"], "nodeSubnetIds": EXPORTS["aws"]["nodeSubnetIds"],
            "podSubnetIds": EXPORTS["aws"]["podSubnetIds"]},
    "azure": dict(EXPORTS["azure"]),
    "gcp": dict(EXPORTS["gcp"]),
}


def _with_network(cloud: str, block: dict[str, Any]) -> dict:
    config, _ = load_stack_config("dev")
    clusters = [dict(c) for c in config["zero-trust-clusters:clusters"]]
    index = next(i for i, c in enumerate(clusters) if c["cloud"] == cloud)
    clusters[index][cloud] = {**clusters[index].get(cloud, {}), "network": block}
    return {**config, "zero-trust-clusters:clusters": clusters}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_network_block_in_the_stack_is_used(cloud):
    config = _with_network(cloud, CONFIG_BLOCKS[cloud])
    spec = load_spec(config)
    cluster = next(c for c in spec.clusters if c.cloud == cloud)

    def program() -> None:
        clouds.get(cloud).load_component()(
            cluster.name, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster)))

    graph = run_program(program, config=to_pulumi_config(config))
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    outputs = unwrap(graph.component_outputs[component.urn])
    assert outputs["subnetIds"][0] == {"aws": EXPORTS["aws"]["nodeSubnetIds"][0],
                                       "azure": EXPORTS["azure"]["nodeSubnetId"],
                                       "gcp": EXPORTS["gcp"]["subnetwork"]}[cloud]


BAD_BLOCKS: dict[str, tuple[dict[str, Any], str]] = {
    "aws": ({**CONFIG_BLOCKS["aws"], "nodeSubnetIds": ["subnet-0aa0000000000001a"]},
            "zero-trust-clusters:clusters[0].aws.network.nodeSubnetIds: lists 1 subnet(s)"),
    "azure": ({**CONFIG_BLOCKS["azure"], "apiServerSubnetCidr": "10.20.255.248/29"},
              ("zero-trust-clusters:clusters[1].azure.network.apiServerSubnetCidr: "
              "10.20.255.248/29 is smaller than the /28")),
    "gcp": ({**CONFIG_BLOCKS["gcp"], "controlPlaneCidr": "10.30.0.0/28"},
            ("zero-trust-clusters:clusters[2].gcp.network.controlPlaneCidr: 10.30.0.0/28 overlaps "
            "nodeCidr")),
}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_wrong_network_block_is_one_keyed_line_at_load(cloud):
    block, message = BAD_BLOCKS[cloud]
    with pytest.raises(SpecError) as raised:
        load_spec(_with_network(cloud, block))
    (problem,) = raised.value.problems
    assert problem.startswith(message), problem
    assert "\n" not in problem


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_an_unknown_network_key_is_refused_by_name(cloud):
    with pytest.raises(SpecError) as raised:
        load_spec(_with_network(cloud, {**CONFIG_BLOCKS[cloud], "vpcID": "x"}))
    assert any(p.startswith("zero-trust-clusters:clusters[") and f".{cloud}.network.vpcID: is "
               "not a known setting" in p for p in raised.value.problems), raised.value.problems


# ------------------------------------------------------------------ providers honoured

@pytest.fixture(scope="module", params=list(clouds.BUILTIN))
def with_provider(request) -> tuple[str, Graph]:
    return request.param, _run(request.param, provider=True)


def test_an_explicit_provider_is_used_by_every_child(with_provider):
    cloud, graph = with_provider
    entry = clouds.get(cloud)
    providers = [r for r in graph.resources if r.type.startswith("pulumi:providers:")]
    # The given one only: the component (and GKE's project guardrails) make none of their own.
    assert [p.name for p in providers] == ["platform"], cloud
    (given,) = providers
    ref = f"{given.urn}::{given.id}"
    # A dynamic resource has its own provider: the Azure immutability lock calls ARM itself, with
    # DefaultAzureCredential (zero_trust_clusters/components/azure/immutability_lock.py).
    dynamic = [r for r in graph.resources if r.type == "pulumi-python:dynamic:Resource"]
    assert all(unwrap(r.inputs).get("ztcKind", "").startswith(f"{entry.provider_package}:")
               for r in dynamic), cloud
    custom = [r for r in graph.resources if r.custom and r not in dynamic
              and not r.type.startswith("pulumi:providers:")]
    assert len(custom) > 20, cloud
    for child in custom:
        assert child.type.split(":")[0] == entry.provider_package, child.type
        assert child.provider == ref, (cloud, child.name)


# ------------------------------------------------------------------ the estate's outputs

def test_the_estate_exports_every_output_key_and_the_pki_intermediate_per_cluster():
    from zero_trust_clusters.engine.preview import capture_stack

    capture = capture_stack("dev")
    graph = capture.phases["cloud"]
    clusters = unwrap(graph.exports["clusters"])
    intermediates = {
        r.inputs.get("clusterName"): unwrap(r.outputs).get("certificatePem")
        for r in graph.resources if r.type == "pulumi-python:dynamic:Resource"
        and unwrap(r.outputs).get("certificatePem") and r.inputs.get("clusterName")}
    assert set(clusters) == {c.name for c in capture.spec.clusters}
    for name, outputs in clusters.items():
        assert set(OUTPUT_KEYS) <= set(outputs), (name, set(OUTPUT_KEYS) - set(outputs))
        assert outputs["trustDomainIntermediate"] == intermediates[name], name
        assert outputs["trustDomain"] == f"{name}.dev.zt.example.com"


def test_a_provider_inherited_from_a_parent_component_is_used_too():
    """Pulumi's other ways to give a provider: the `providers` map of a parent component."""
    config, spec = _dev()
    cluster = next(c for c in spec.clusters if c.cloud == "aws")

    def program() -> None:
        given = _explicit_provider("aws", "platform")
        platform = pulumi.ComponentResource("acme:platform:Clusters", "platform", None,
                                            pulumi.ResourceOptions(providers={"aws": given}))
        clouds.get("aws").load_component()(
            cluster.name, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster)),
            pulumi.ResourceOptions(parent=platform))

    graph = run_program(program, config=to_pulumi_config(config))
    (given,) = [r for r in graph.resources if r.type.startswith("pulumi:providers:")]
    custom = [r for r in graph.resources if r.custom and r is not given]
    assert len(custom) > 20
    assert {r.provider for r in custom} == {f"{given.urn}::{given.id}"}


def test_a_brought_network_keeps_every_cloud_phase_control(brought):
    """The control map of a cluster in a brought network holds what the created network's
    does: the posture's rules the component adds stand in for the network it did not make."""
    from tests.architecture.test_cluster_contract import CLOUD_PHASE_CONTROLS

    cloud, graph = brought
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    controls = unwrap(graph.component_outputs[component.urn])["controls"]
    assert CLOUD_PHASE_CONTROLS <= set(controls), (cloud, CLOUD_PHASE_CONTROLS - set(controls))
    names = {r.name for r in graph.resources}
    for control, implementers in controls.items():
        assert implementers and set(implementers) <= names, (cloud, control)
