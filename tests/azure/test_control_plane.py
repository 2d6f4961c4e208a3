"""The ManagedCluster: private API, Entra ID + Azure RBAC only, KMS, identities, upgrades."""

from __future__ import annotations

from pulumi_azure_native import containerservice as cs

from zero_trust_clusters.components.azure import catalog


def test_private_cluster_without_public_fqdn_or_run_command(dev):
    access = dev.inputs(dev.cluster)["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] is True
    assert access["enablePrivateClusterPublicFQDN"] is False
    assert access["disableRunCommand"] is True
    assert dev.inputs(dev.cluster)["publicNetworkAccess"] == cs.PublicNetworkAccess.DISABLED.value


def test_authorized_ranges_are_not_sent_to_a_private_cluster(dev):
    """AKS rejects authorized IP ranges on private clusters; the NSG enforces them instead."""
    assert dev.spec.posture.authorized_networks == ["100.64.10.0/24"]
    access = dev.inputs(dev.cluster)["apiServerAccessProfile"]
    assert "authorizedIPRanges" not in access


def test_api_server_vnet_integration_in_its_delegated_subnet(dev):
    access = dev.inputs(dev.cluster)["apiServerAccessProfile"]
    subnet = dev.named("dev-azure-apiserver")
    assert access["enableVnetIntegration"] is True
    assert access["subnetId"] == subnet.id
    delegations = dev.inputs(subnet)["delegations"]
    assert [d["serviceName"] for d in delegations] == ["Microsoft.ContainerService/managedClusters"]


def test_entra_id_and_azure_rbac_are_the_only_way_in(dev):
    inputs = dev.inputs(dev.cluster)
    aad = inputs["aadProfile"]
    assert aad["managed"] is True
    assert aad["enableAzureRBAC"] is True
    assert aad["tenantID"] == dev.cluster_spec.settings.tenant_id
    assert aad["adminGroupObjectIDs"] == [dev.spec.posture.groups.admins.azure_group_object_id]
    assert inputs["disableLocalAccounts"] is True
    assert inputs["enableRBAC"] is True
    assert "servicePrincipalProfile" not in inputs and "linuxProfile" not in inputs


def _group_grants(dev) -> dict[str, set[tuple[str, str]]]:
    """principal -> {(role GUID, scope)} of every assignment to a group."""
    sub = dev.cluster_spec.settings.subscription_id
    prefix = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/"
    out: dict[str, set[tuple[str, str]]] = {}
    for assignment in dev.of_type("azure-native:authorization:RoleAssignment"):
        inputs = dev.inputs(assignment)
        if inputs["principalType"] != "Group":
            continue
        assert inputs["roleDefinitionId"].startswith(prefix)
        out.setdefault(inputs["principalId"], set()).add(
            (inputs["roleDefinitionId"].removeprefix(prefix), inputs["scope"]))
    return out


def test_admins_and_auditors_hold_their_aks_rbac_role_at_cluster_scope(dev):
    groups, cluster = dev.spec.posture.groups, dev.cluster.id
    grants = _group_grants(dev)
    assert grants[groups.admins.azure_group_object_id] == {
        (catalog.AKS_RBAC_CLUSTER_ADMIN, cluster), (catalog.AKS_CLUSTER_USER, cluster)}
    assert grants[groups.auditors.azure_group_object_id] == {
        (catalog.AKS_RBAC_READER, cluster), (catalog.AKS_CLUSTER_USER, cluster)}
    assert catalog.AKS_RBAC_CLUSTER_ADMIN == "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
    assert catalog.AKS_RBAC_READER == "7f6c6a51-bcf8-42ba-9220-52d62157d7db"


def test_developers_write_only_in_the_workload_namespaces(dev):
    """Namespace-scoped role assignments: `<cluster id>/namespaces/<ns>` (like EKS and GKE)."""
    developers = dev.spec.posture.groups.developers.azure_group_object_id
    namespaces = [ns.name for ns in dev.spec.posture.workload_namespaces]
    assert namespaces
    assert _group_grants(dev)[developers] == {
        *((catalog.AKS_RBAC_WRITER, f"{dev.cluster.id}/namespaces/{ns}") for ns in namespaces),
        # Fetching the exec kubeconfig is an action on the cluster itself.
        (catalog.AKS_CLUSTER_USER, dev.cluster.id),
    }
    assert catalog.AKS_RBAC_WRITER == "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
    for ns in namespaces:
        # The scope is known before the cluster exists; the order is explicit.
        assert dev.cluster.urn in dev.named(f"dev-azure-developers-rbac-{ns}").dependencies


def test_role_assignment_names_are_stable_guids(dev):
    names = [dev.inputs(r)["roleAssignmentName"]
             for r in dev.of_type("azure-native:authorization:RoleAssignment")]
    assert len(names) == len(set(names))
    assert all(len(n) == 36 and n.count("-") == 4 for n in names)


def test_kms_with_private_key_vault_and_rotating_hsm_key(dev):
    kms = dev.inputs(dev.cluster)["securityProfile"]["azureKeyVaultKms"]
    key, vault = dev.named("dev-azure-kms-key"), dev.named("dev-azure-kv")
    assert kms["enabled"] is True
    assert kms["keyVaultNetworkAccess"] == cs.KeyVaultNetworkAccessTypes.PRIVATE.value
    assert kms["keyVaultResourceId"] == vault.id
    assert kms["keyId"] == key.outputs["keyUriWithVersion"]
    assert kms["keyId"].startswith(key.outputs["keyUri"] + "/")
    props = dev.inputs(key)["properties"]
    assert props["kty"] == "RSA-HSM" and props["keySize"] >= 3072
    actions = {a["action"]["type"]: a["trigger"] for a in props["rotationPolicy"]["lifetimeActions"]}
    assert actions["rotate"] == {"timeAfterCreate": "P90D"}
    vault_props = dev.inputs(vault)["properties"]
    assert vault_props["publicNetworkAccess"] == "Disabled"
    assert vault_props["networkAcls"]["defaultAction"] == "Deny"
    assert vault_props["enablePurgeProtection"] is True
    assert vault_props["enableRbacAuthorization"] is True
    assert vault_props["sku"]["name"] == "premium"


def test_control_plane_identity_can_use_the_kms_key_before_the_cluster_exists(dev):
    cp = dev.named("dev-azure-control-plane")
    grants = {dev.inputs(r)["roleDefinitionId"].rsplit("/", 1)[1]: r
              for r in dev.of_type("azure-native:authorization:RoleAssignment")
              if dev.inputs(r)["principalId"] == cp.outputs["principalId"]}
    assert catalog.KEY_VAULT_CRYPTO_USER in grants
    assert dev.inputs(grants[catalog.KEY_VAULT_CRYPTO_USER])["scope"] == dev.named("dev-azure-kv").id
    for grant in grants.values():
        assert grant.urn in dev.cluster.dependencies
    identity = dev.inputs(dev.cluster)["identity"]
    assert identity["type"] == cs.ResourceIdentityType.USER_ASSIGNED.value
    assert identity["userAssignedIdentities"] == [cp.id]


def test_cluster_identity_reads_the_disk_encryption_set_before_the_cluster_exists(dev):
    """BYOK disks: Reader on the DiskEncryptionSet for the cluster identity, and the set's own
    identity Key Vault Crypto Service Encryption User on the (RBAC) vault, both before AKS
    creates a node or a disk."""
    cp, des, vault = (dev.named("dev-azure-control-plane"), dev.named("dev-azure-des"),
                      dev.named("dev-azure-kv"))
    by_role_scope = {(dev.inputs(r)["principalId"],
                      dev.inputs(r)["roleDefinitionId"].rsplit("/", 1)[1],
                      dev.inputs(r)["scope"]): r
                     for r in dev.of_type("azure-native:authorization:RoleAssignment")}
    reader = by_role_scope[(cp.outputs["principalId"], catalog.READER, des.id)]
    des_user = by_role_scope[(des.outputs["identity"]["principalId"],
                              catalog.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, vault.id)]
    assert catalog.READER == "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    assert dev.inputs(reader)["principalType"] == "ServicePrincipal"
    assert dev.inputs(vault)["properties"]["enableRbacAuthorization"] is True
    for grant in (reader, des_user):
        assert grant.urn in dev.cluster.dependencies
    # Nothing broader: no Contributor on the set or its resource group.
    cp_grants = {k[1] for k in by_role_scope if k[0] == cp.outputs["principalId"]}
    assert "b24988ac-6180-42a0-ab88-20f7382dd24c" not in cp_grants
    # The pools are created after the cluster, so after the grants too.
    for pool in dev.of_type("azure-native:containerservice:AgentPool"):
        assert dev.cluster.urn in pool.dependencies or any(
            other.urn in pool.dependencies
            for other in dev.of_type("azure-native:containerservice:AgentPool"))


def test_workload_identity_and_oidc_issuer(dev):
    inputs = dev.inputs(dev.cluster)
    assert inputs["securityProfile"]["workloadIdentity"]["enabled"] is True
    assert inputs["oidcIssuerProfile"]["enabled"] is True
    issuer = dev.cluster.outputs["oidcIssuerProfile"]["issuerURL"]
    assert issuer.startswith("https://westeurope.oic.prod-aks.azure.com/")
    assert dev.outputs["oidcIssuer"] == issuer


def test_image_cleaner_and_defender(dev):
    security = dev.inputs(dev.cluster)["securityProfile"]
    assert security["imageCleaner"]["enabled"] is True
    assert 24 <= security["imageCleaner"]["intervalHours"] <= 2160
    assert security["defender"]["securityMonitoring"]["enabled"] is True
    assert security["defender"]["logAnalyticsWorkspaceResourceId"] == dev.named("dev-azure-logs").id


def test_upgrade_channels_and_pinned_version(dev):
    inputs = dev.inputs(dev.cluster)
    assert inputs["kubernetesVersion"] == dev.spec.posture.kubernetes_version
    profile = inputs["autoUpgradeProfile"]
    assert profile["upgradeChannel"] == cs.UpgradeChannel.PATCH.value
    assert profile["nodeOSUpgradeChannel"] == cs.NodeOSUpgradeChannel.NODE_IMAGE.value


def test_user_assigned_kubelet_identity_with_no_azure_role(dev):
    kubelet = dev.named("dev-azure-kubelet")
    profile = dev.inputs(dev.cluster)["identityProfile"]["kubeletidentity"]
    assert profile == {
        "resourceId": kubelet.id,
        "clientId": kubelet.outputs["clientId"],
        "objectId": kubelet.outputs["principalId"],
    }
    principals = {dev.inputs(r)["principalId"]
                  for r in dev.of_type("azure-native:authorization:RoleAssignment")}
    assert kubelet.outputs["principalId"] not in principals


def test_cilium_overlay_with_nat_gateway_egress(dev):
    net = dev.inputs(dev.cluster)["networkProfile"]
    assert net["networkPlugin"] == cs.NetworkPlugin.AZURE.value
    assert net["networkPluginMode"] == cs.NetworkPluginMode.OVERLAY.value
    assert net["networkDataplane"] == cs.NetworkDataplane.CILIUM.value
    assert net["networkPolicy"] == cs.NetworkPolicy.CILIUM.value
    assert net["outboundType"] == cs.OutboundType.USER_ASSIGNED_NAT_GATEWAY.value
    assert net["podCidr"] == dev.cluster_spec.pod_cidr
    assert net["serviceCidr"] == dev.cluster_spec.service_cidr
    assert net["dnsServiceIP"] == "10.21.0.10"


def test_node_resource_group_is_read_only_and_azure_policy_is_on(dev):
    inputs = dev.inputs(dev.cluster)
    assert inputs["nodeResourceGroupProfile"]["restrictionLevel"] == (
        cs.RestrictionLevel.READ_ONLY.value
    )
    assert inputs["addonProfiles"]["azurepolicy"]["enabled"] is True
