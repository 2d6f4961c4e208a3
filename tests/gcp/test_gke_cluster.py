"""Every GKE control, asserted on the inputs the dev-gcp cluster registers (camelCase wire keys)."""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from zero_trust_clusters.components.catalog import CONTROL_IDS, ControlId
from zero_trust_clusters.components.gcp.cloud import SANDBOX_PLACEMENT
from zero_trust_clusters.components.kubernetes.charts import (
    POLICY_CONTROLLER_IMAGE,
    chart_releases,
    image_references,
)
from zero_trust_clusters.components.spec import PRIVATE_SOURCE_RANGES
from zero_trust_clusters.engine.mocks import is_secret, unwrap

if TYPE_CHECKING:
    from tests.gcp.conftest import GkeRun

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
FIREWALL = "gcp:compute/firewall:Firewall"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
WORLD = ipaddress.ip_network("0.0.0.0/0")


def cluster_inputs(run: GkeRun) -> dict:
    return run.inputs(run.one(CLUSTER))


def pools(run: GkeRun) -> dict[str, dict]:
    return {run.inputs(p)["name"]: run.inputs(p) for p in run.graph.of_type(NODE_POOL)}


def key_id(run: GkeRun, name: str) -> str:
    return next(r.id for r in run.graph.of_type(CRYPTO_KEY) if run.inputs(r)["name"] == name)


def node_sa_email(run: GkeRun) -> str:
    return run.one("gcp:serviceaccount/account:Account").outputs["email"]


# --- control plane -----------------------------------------------------------------------


def test_private_nodes_and_private_endpoint(dev: GkeRun) -> None:
    private = cluster_inputs(dev)["privateClusterConfig"]
    assert private["enablePrivateNodes"] is True
    assert private["enablePrivateEndpoint"] is True
    # A deployer network in another region must reach the private endpoint.
    assert private["masterGlobalAccessConfig"] == {"enabled": True}
    # The control plane /28 sits in the cluster's own node range but outside the node subnet.
    control_plane = ipaddress.ip_network(private["masterIpv4CidrBlock"])
    subnet = dev.inputs(dev.one("gcp:compute/subnetwork:Subnetwork"))
    assert control_plane.prefixlen == 28
    assert control_plane.subnet_of(ipaddress.ip_network(dev.cluster_spec.node_cidr))
    assert not control_plane.overlaps(ipaddress.ip_network(subnet["ipCidrRange"]))


def test_master_authorized_networks_are_exactly_the_api_sources(dev: GkeRun) -> None:
    posture = dev.spec.posture
    man = cluster_inputs(dev)["masterAuthorizedNetworksConfig"]
    # Deployer (the cluster phase's runners) first, then people's networks.
    assert man["cidrBlocks"] == [
        {"cidrBlock": "10.255.0.0/24", "displayName": "deployer-0"},
        {"cidrBlock": "100.64.10.0/24", "displayName": "authorized-1"},
    ]
    assert [b["cidrBlock"] for b in man["cidrBlocks"]] == posture.api_source_networks()
    # With the private endpoint on, GKE admits only private ranges (the spec's set).
    for block in man["cidrBlocks"]:
        net = ipaddress.ip_network(block["cidrBlock"])
        assert any(net.subnet_of(ipaddress.ip_network(r)) for r in PRIVATE_SOURCE_RANGES)
    assert man["gcpPublicCidrsAccessEnabled"] is False
    assert man["privateEndpointEnforcementEnabled"] is True


def test_security_posture_uses_a_supported_vulnerability_mode(dev: GkeRun) -> None:
    # VULNERABILITY_BASIC is retired (and ENTERPRISE's tier was removed): DISABLED is left.
    assert cluster_inputs(dev)["securityPostureConfig"] == {
        "mode": "BASIC",
        "vulnerabilityMode": "VULNERABILITY_DISABLED",
    }


def test_dataplane_v2_enforces_network_policy(dev: GkeRun) -> None:
    inputs = cluster_inputs(dev)
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert "networkPolicy" not in inputs  # Calico and Dataplane V2 are mutually exclusive


def test_workload_identity_pool(dev: GkeRun) -> None:
    assert cluster_inputs(dev)["workloadIdentityConfig"] == {
        "workloadPool": "acme-zt-dev.svc.id.goog"
    }
    assert unwrap(dev.outputs["workloadPool"]) == "acme-zt-dev.svc.id.goog"


def test_iam_only_access(dev: GkeRun) -> None:
    inputs = cluster_inputs(dev)
    assert inputs["masterAuth"]["clientCertificateConfig"] == {"issueClientCertificate": False}
    assert inputs["enableLegacyAbac"] is False
    assert inputs["authenticatorGroupsConfig"] == {
        "securityGroup": "gke-security-groups@example.com"
    }
    assert inputs["anonymousAuthenticationConfig"] == {"mode": "LIMITED"}
    assert inputs["rbacBindingConfig"] == {
        "enableInsecureBindingSystemAuthenticated": False,
        "enableInsecureBindingSystemUnauthenticated": False,
    }


def test_secrets_encrypted_with_rotating_kms_key(dev: GkeRun) -> None:
    encryption = cluster_inputs(dev)["databaseEncryption"]
    secrets_key = key_id(dev, "dev-gcp-secrets")
    assert encryption == {"state": "ENCRYPTED", "keyName": secrets_key}
    assert secrets_key.startswith("projects/acme-zt-dev/locations/europe-west1/keyRings/")
    for key in dev.graph.of_type(CRYPTO_KEY):
        inputs = dev.inputs(key)
        if inputs["purpose"] == "ENCRYPT_DECRYPT":
            assert inputs["rotationPeriod"] == "7776000s", inputs["name"]
    # The GKE service agent may use this key (and only this one), before the cluster exists.
    grant = dev.graph.named("dev-gcp-secrets-gke-agent")
    assert dev.inputs(grant)["cryptoKeyId"] == secrets_key
    assert dev.inputs(grant)["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")
    assert grant.urn in dev.one(CLUSTER).dependencies


def test_release_channel_and_version(dev: GkeRun) -> None:
    inputs = cluster_inputs(dev)
    assert inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert inputs["minMasterVersion"] == dev.spec.posture.kubernetes_version


def test_default_pool_removed_and_cluster_protected(dev: GkeRun) -> None:
    inputs = cluster_inputs(dev)
    assert inputs["removeDefaultNodePool"] is True
    assert inputs["initialNodeCount"] == 1
    assert inputs["deletionProtection"] is True
    assert sorted(pools(dev)) == ["general", "sandbox", "system"]


def test_intranode_visibility_shielded_nodes_and_labels(dev: GkeRun) -> None:
    inputs = cluster_inputs(dev)
    assert inputs["enableIntranodeVisibility"] is True
    assert inputs["enableShieldedNodes"] is True
    labels = inputs["resourceLabels"]
    assert labels["env"] == "dev"
    assert labels["managed-by"] == "ztc"
    assert labels["ztc-cluster"] == "dev-gcp"
    assert labels["ztc-trust-domain"] == "dev-gcp_dev_zt_example_com"


# --- nodes ---------------------------------------------------------------------------------


def node_configs(run: GkeRun) -> dict[str, dict]:
    """Every node config: the three pools and the cluster's transient default pool."""
    configs = {name: pool["nodeConfig"] for name, pool in pools(run).items()}
    configs["default-pool"] = cluster_inputs(run)["nodeConfig"]
    return configs


def test_every_node_is_shielded_cos_gke_metadata_with_dedicated_sa_and_cmek(dev: GkeRun) -> None:
    email = node_sa_email(dev)
    assert email == "dev-gcp-nodes@acme-zt-dev.iam.gserviceaccount.com"
    disks_key = key_id(dev, "dev-gcp-disks")
    for name, config in node_configs(dev).items():
        assert config["shieldedInstanceConfig"] == {
            "enableSecureBoot": True,
            "enableIntegrityMonitoring": True,
        }, name
        assert config["imageType"] == "COS_CONTAINERD", name
        assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}, name
        assert config["serviceAccount"] == email, name
        assert not config["serviceAccount"].endswith("-compute@developer.gserviceaccount.com")
        assert config["bootDiskKmsKey"] == disks_key, name
        assert config["metadata"] == {"disable-legacy-endpoints": "true"}, name


def test_pools_auto_upgrade_repair_private_and_sized_from_spec(dev: GkeRun) -> None:
    spec_pools = dev.cluster_spec.node_pools
    for name, pool in pools(dev).items():
        spec = getattr(spec_pools, name)
        assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}, name
        assert pool["networkConfig"]["enablePrivateNodes"] is True, name
        assert pool["autoscaling"]["totalMinNodeCount"] == spec.min_size, name
        assert pool["autoscaling"]["totalMaxNodeCount"] == spec.max_size, name
        assert pool["nodeConfig"]["machineType"] == spec.machine_type, name
        assert pool["upgradeSettings"]["maxUnavailable"] == 0, name
        assert pool["location"] == "europe-west1"


def test_node_service_account_is_least_privilege(dev: GkeRun) -> None:
    grants = dev.graph.of_type("gcp:projects/iAMMember:IAMMember")
    member = f"serviceAccount:{node_sa_email(dev)}"
    assert sorted(dev.inputs(g)["role"] for g in grants if dev.inputs(g)["member"] == member) == [
        "roles/artifactregistry.reader",
        "roles/container.defaultNodeServiceAccount",
    ]


def test_boot_disk_key_usable_by_compute_agent(dev: GkeRun) -> None:
    grant = dev.inputs(dev.graph.named("dev-gcp-disks-compute-agent"))
    assert grant["cryptoKeyId"] == key_id(dev, "dev-gcp-disks")
    assert grant["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["member"].endswith("@compute-system.iam.gserviceaccount.com")


def test_sandbox_pool_runs_gvisor(dev: GkeRun) -> None:
    by_name = pools(dev)
    assert by_name["sandbox"]["nodeConfig"]["sandboxConfig"] == {"type": "GVISOR"}
    assert "sandboxType" not in by_name["sandbox"]["nodeConfig"]["sandboxConfig"]
    assert "sandboxConfig" not in by_name["system"]["nodeConfig"]
    assert "sandboxConfig" not in by_name["general"]["nodeConfig"]


def test_sandbox_placement_matches_gke_sandbox_nodes(dev: GkeRun) -> None:
    assert SANDBOX_PLACEMENT.handler == "gvisor"
    assert SANDBOX_PLACEMENT.node_selector == {"sandbox.gke.io/runtime": "gvisor"}
    (toleration,) = SANDBOX_PLACEMENT.tolerations
    assert (toleration.key, toleration.value, toleration.effect) == (
        "sandbox.gke.io/runtime",
        "gvisor",
        "NoSchedule",
    )
    assert unwrap(dev.outputs["sandboxHandler"]) == "gvisor"


# --- network -------------------------------------------------------------------------------


def test_firewall_denies_ingress_by_default_and_allows_only_control_plane(dev: GkeRun) -> None:
    rules = {dev.inputs(r)["name"]: dev.inputs(r) for r in dev.graph.of_type(FIREWALL)}
    control_plane = cluster_inputs(dev)["privateClusterConfig"]["masterIpv4CidrBlock"]
    deny = rules.pop("dev-gcp-deny-all-ingress")
    assert deny["direction"] == "INGRESS"
    assert deny["denies"] == [{"protocol": "all"}]
    assert "allows" not in deny
    (allow,) = rules.values()
    assert allow["direction"] == "INGRESS"
    assert allow["sourceRanges"] == [control_plane]
    # GKE's own 443/10250 plus the webhook ports the baseline's charts declare: cert-manager
    # on 10250 (already open), policy-controller on 8443, istiod on 15017 (the mesh is on).
    assert dev.spec.posture.mesh is True
    assert allow["allows"] == [{"protocol": "tcp", "ports": ["443", "8443", "10250", "15017"]}]
    assert allow["targetServiceAccounts"] == [node_sa_email(dev)]
    assert allow["priority"] < deny["priority"]
    for rule in dev.graph.of_type(FIREWALL):
        inputs = dev.inputs(rule)
        assert inputs["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}
        if "allows" in inputs:  # nothing is ever allowed from the whole Internet
            assert all(ipaddress.ip_network(s) != WORLD for s in inputs["sourceRanges"])


def test_vpc_native_subnet_with_flow_logs_and_private_google_access(dev: GkeRun) -> None:
    subnet = dev.inputs(dev.one("gcp:compute/subnetwork:Subnetwork"))
    assert subnet["privateIpGoogleAccess"] is True
    assert subnet["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet["secondaryIpRanges"]} == {
        "pods": dev.cluster_spec.pod_cidr,
        "services": dev.cluster_spec.service_cidr,
    }
    policy = cluster_inputs(dev)["ipAllocationPolicy"]
    assert policy["clusterSecondaryRangeName"] == "pods"
    assert policy["servicesSecondaryRangeName"] == "services"
    assert cluster_inputs(dev)["networkingMode"] == "VPC_NATIVE"
    assert dev.inputs(dev.one("gcp:compute/network:Network"))["autoCreateSubnetworks"] is False


def test_cloud_nat_for_egress_with_logging(dev: GkeRun) -> None:
    nat = dev.inputs(dev.one("gcp:compute/routerNat:RouterNat"))
    subnet = dev.one("gcp:compute/subnetwork:Subnetwork")
    assert nat["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat["subnetworks"] == [{"name": subnet.id, "sourceIpRangesToNats": ["ALL_IP_RANGES"]}]
    assert nat["logConfig"] == {"enable": True, "filter": "ALL"}
    assert nat["router"] == dev.inputs(dev.one("gcp:compute/router:Router"))["name"]


# --- image provenance ----------------------------------------------------------------------


def test_binary_authorization_enforces_project_policy_with_attestor(dev: GkeRun) -> None:
    binauthz = cluster_inputs(dev)["binaryAuthorization"]
    assert binauthz == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}  # not `enabled`
    attestor = dev.one("gcp:binaryauthorization/attestor:Attestor")
    policy = dev.inputs(dev.one("gcp:binaryauthorization/policy:Policy"))
    assert policy["defaultAdmissionRule"] == {
        "evaluationMode": "REQUIRE_ATTESTATION",
        "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
        "requireAttestationsBies": [attestor.id],
    }
    assert attestor.id == "projects/acme-zt-dev/attestors/ztc-image-provenance"
    # The only bypass: the baseline's own images, each by its exact pinned reference.
    patterns = [p["namePattern"] for p in policy["admissionWhitelistPatterns"]]
    assert patterns == list(image_references(chart_releases("gcp", dev.spec.posture, "td")))
    assert all("*" not in p for p in patterns)
    assert POLICY_CONTROLLER_IMAGE.reference in patterns  # by its chart-published digest
    assert "quay.io/jetstack/cert-manager-webhook:v1.19.1" in patterns
    assert policy["globalPolicyEvaluationMode"] == "ENABLE"
    assert policy["project"] == "acme-zt-dev"


def test_attestor_key_is_the_kms_signing_key(dev: GkeRun) -> None:
    attestor = dev.inputs(dev.one("gcp:binaryauthorization/attestor:Attestor"))
    note = dev.one("gcp:containeranalysis/note:Note")
    signer = next(
        r for r in dev.graph.of_type(CRYPTO_KEY) if dev.inputs(r)["purpose"] == "ASYMMETRIC_SIGN"
    )
    assert dev.inputs(signer)["versionTemplate"] == {
        "algorithm": "EC_SIGN_P256_SHA256",
        "protectionLevel": "HSM",
    }
    authority = attestor["attestationAuthorityNote"]
    assert authority["noteReference"] == note.id
    (public_key,) = authority["publicKeys"]
    assert public_key["id"] == f"//cloudkms.googleapis.com/v1/{signer.id}/cryptoKeyVersions/1"
    pkix = public_key["pkixPublicKey"]
    assert pkix["signatureAlgorithm"] == "EC_SIGN_P256_SHA256"
    key = serialization.load_pem_public_key(pkix["publicKeyPem"].encode())
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    # The attestor names the Sigstore identities CI verifies before it signs.
    for identity in dev.spec.posture.image_provenance.signing_identities:
        assert identity.subject in attestor["description"]


# --- audit ---------------------------------------------------------------------------------


def test_audit_logs_routed_to_locked_bucket(dev: GkeRun) -> None:
    bucket = dev.one("gcp:storage/bucket:Bucket")
    bucket_in = dev.inputs(bucket)
    assert bucket_in["retentionPolicy"] == {
        "isLocked": True,
        "retentionPeriod": str(dev.spec.posture.audit_retention_days * 86400),
    }
    assert bucket_in["encryption"] == {"defaultKmsKeyName": key_id(dev, "dev-gcp-audit")}
    assert bucket_in["publicAccessPrevention"] == "enforced"
    assert bucket_in["uniformBucketLevelAccess"] is True
    assert bucket_in["forceDestroy"] is False
    sink = dev.one("gcp:logging/projectSink:ProjectSink")
    sink_in = dev.inputs(sink)
    assert sink_in["destination"] == f"storage.googleapis.com/{bucket_in['name']}"
    assert sink_in["uniqueWriterIdentity"] is True
    for term in ('resource.type="k8s_cluster"', 'cluster_name="dev-gcp"', "cloudaudit"):
        assert term in sink_in["filter"]
    writer = dev.inputs(dev.one("gcp:storage/bucketIAMMember:BucketIAMMember"))
    assert writer == {
        "bucket": bucket_in["name"],
        "role": "roles/storage.objectCreator",
        "member": sink.outputs["writerIdentity"],
    }


def test_kubernetes_data_access_audit_logs_enabled(dev: GkeRun) -> None:
    config = dev.inputs(dev.one("gcp:projects/iAMAuditConfig:IAMAuditConfig"))
    assert config["service"] == "container.googleapis.com"
    assert sorted(c["logType"] for c in config["auditLogConfigs"]) == [
        "ADMIN_READ",
        "DATA_READ",
        "DATA_WRITE",
    ]


# --- providers, parents, outputs -----------------------------------------------------------


def test_every_child_goes_through_an_explicit_provider(dev: GkeRun) -> None:
    providers = {r.urn: dev.inputs(r) for r in dev.graph.of_type("pulumi:providers:gcp")}
    cluster_provider = next(urn for urn, p in providers.items() if p.get("region"))
    assert providers[cluster_provider]["project"] == "acme-zt-dev"
    assert providers[cluster_provider]["region"] == "europe-west1"
    gcp_resources = [r for r in dev.graph.resources if r.type.startswith("gcp:")]
    assert len(gcp_resources) > 30
    for resource in gcp_resources:
        provider_urn = resource.provider.rsplit("::", 1)[0]
        assert provider_urn in providers, resource.name
    by_urn = {r.urn: r for r in dev.graph.resources}
    for resource in gcp_resources:
        ancestor = by_urn[resource.parent]
        while ancestor.type not in ("ztc:gcp:GkeCluster", "ztc:gcp:ProjectGuardrails"):
            ancestor = by_urn[ancestor.parent]
        if ancestor.type == "ztc:gcp:GkeCluster":
            assert resource.provider.startswith(cluster_provider), resource.name


def test_kubeconfig_is_secret_and_uses_the_exec_plugin(dev: GkeRun) -> None:
    assert is_secret(dev.outputs["kubeconfig"])
    config = json.loads(unwrap(dev.outputs["kubeconfig"]))
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}  # no token, password or client certificate
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert user["user"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["server"] == unwrap(dev.outputs["endpoint"]) == "https://10.30.128.2"
    ca = cluster["cluster"]["certificate-authority-data"]
    assert ca == dev.one(CLUSTER).outputs["masterAuth"]["clusterCaCertificate"]
    certificate = x509.load_pem_x509_certificate(base64.b64decode(ca))
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_oidc_issuer_is_the_cluster_issuer(dev: GkeRun) -> None:
    assert unwrap(dev.outputs["oidcIssuer"]) == (
        "https://container.googleapis.com/v1/projects/acme-zt-dev/locations/europe-west1/"
        "clusters/dev-gcp"
    )


@pytest.mark.parametrize(
    "control",
    sorted(
        set(CONTROL_IDS)
        - {"ZT-POD-SECURITY", "ZT-MTLS-SHARED-ROOT", "ZT-CHANGE-LEDGER"}
    ),
)
def test_every_cloud_control_is_recorded(dev: GkeRun, control: ControlId) -> None:
    controls = unwrap(dev.outputs["controls"])
    names = {r.name for r in dev.graph.resources}
    assert controls.get(control), f"{control} has no implementing resource"
    assert set(controls[control]) <= names
