"""Every agent pool's hardening, the system pool's taint and the Kata sandbox pool."""

from __future__ import annotations

import pytest
from pulumi_azure_native import containerservice as cs

SANDBOX_KEY = "sandbox.ztc.io/runtime"


def _pools(dev) -> dict[str, dict]:
    pools = {p["name"]: p for p in dev.inputs(dev.cluster)["agentPoolProfiles"]}
    for pool in dev.of_type("azure-native:containerservice:AgentPool"):
        inputs = dev.inputs(pool)
        assert inputs["resourceName"] == dev.cluster.outputs["name"]
        pools[inputs["agentPoolName"]] = inputs
    return pools


def test_three_pools_system_inline_and_two_separate(dev):
    assert sorted(_pools(dev)) == ["general", "sandbox", "system"]
    assert [p["name"] for p in dev.inputs(dev.cluster)["agentPoolProfiles"]] == ["system"]


@pytest.mark.parametrize("pool", ["system", "general", "sandbox"])
def test_every_pool_is_hardened(dev, pool):
    p = _pools(dev)[pool]
    node_subnet = dev.named("dev-azure-nodes")
    assert p["osSKU"] == cs.OSSKU.AZURE_LINUX.value
    assert p["osType"] == cs.OSType.LINUX.value
    assert p["securityProfile"]["sshAccess"] == cs.AgentPoolSSHAccess.DISABLED.value
    assert p["enableEncryptionAtHost"] is True
    assert p["enableNodePublicIP"] is False
    assert "nodePublicIPPrefixID" not in p
    assert p["osDiskType"] == cs.OSDiskType.MANAGED.value  # encrypted by the cluster's DES
    assert p["vnetSubnetID"] == node_subnet.id
    assert p["orchestratorVersion"] == dev.spec.posture.kubernetes_version
    spec_pool = getattr(dev.cluster_spec.node_pools, pool)
    assert (p["vmSize"], p["minCount"], p["maxCount"]) == (
        spec_pool.machine_type, spec_pool.min_size, spec_pool.max_size
    )


def test_os_disks_use_the_customer_key(dev):
    des = dev.named("dev-azure-des")
    assert dev.inputs(dev.cluster)["diskEncryptionSetID"] == des.id
    des_inputs = dev.inputs(des)
    assert des_inputs["activeKey"]["keyUrl"] == dev.named("dev-azure-disk-key").outputs["keyUri"]
    assert des_inputs["rotationToLatestKeyVersionEnabled"] is True
    assert des_inputs["encryptionType"] == "EncryptionAtRestWithPlatformAndCustomerKeys"


@pytest.mark.parametrize("pool", ["system", "general"])
def test_trusted_launch_on_runc_pools(dev, pool):
    profile = _pools(dev)[pool]["securityProfile"]
    assert profile["enableSecureBoot"] is True
    assert profile["enableVTPM"] is True
    assert _pools(dev)[pool]["workloadRuntime"] == cs.WorkloadRuntime.OCI_CONTAINER.value
    # FIPS cannot share a pool with Trusted Launch (AKS); Trusted Launch wins.
    assert _pools(dev)[pool]["enableFIPS"] is False


def test_system_pool_only_runs_critical_addons(dev):
    system = _pools(dev)["system"]
    assert system["mode"] == cs.AgentPoolMode.SYSTEM.value
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert _pools(dev)["general"]["mode"] == cs.AgentPoolMode.USER.value


def test_kata_pool_matches_the_sandbox_placement(dev):
    sandbox = _pools(dev)["sandbox"]
    assert sandbox["workloadRuntime"] == cs.WorkloadRuntime.KATA_VM_ISOLATION.value
    assert sandbox["osSKU"] == cs.OSSKU.AZURE_LINUX.value
    assert sandbox["mode"] == cs.AgentPoolMode.USER.value
    placement = dev.sandbox
    assert placement.handler == "kata"  # CRI handler of AKS's built-in kata-vm-isolation
    assert placement.node_selector == {SANDBOX_KEY: "kata"}
    assert sandbox["nodeLabels"][SANDBOX_KEY] == "kata"
    assert [(t.key, t.value, t.effect) for t in placement.tolerations] == [
        (SANDBOX_KEY, "kata", "NoSchedule")
    ]
    assert sandbox["nodeTaints"] == [f"{SANDBOX_KEY}=kata:NoSchedule"]
    assert dev.outputs["sandboxHandler"] == "kata"


def test_kata_pool_has_no_trusted_launch_because_aks_forbids_it(dev):
    """'Trusted launch can't be enabled in the same node pool as ... Pod Sandboxing'."""
    profile = _pools(dev)["sandbox"]["securityProfile"]
    assert "enableSecureBoot" not in profile and "enableVTPM" not in profile


def test_pool_operations_are_serialised(dev):
    general = dev.named("dev-azure-general")
    sandbox = dev.named("dev-azure-sandbox")
    assert dev.cluster.urn in general.dependencies
    assert general.urn in sandbox.dependencies
