"""Bring your own keys and per-cluster access, as a platform team adopts the components: KMS
keys and the portable groups' cloud identities handed over as `pulumi.Output`s (from a
StackReference, or unknown at a first preview), checked when known with errors naming the
argument; the `<cloud>.keys` block of the stack config; what the policy pack says of a key it
cannot see."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import (
    ClusterAccessArgs,
    ClusterArgs,
    ExistingKeys,
    GroupAccessArgs,
)
from zero_trust_clusters.components.spec import SpecError, load_spec
from zero_trust_clusters.engine.analyzer import analyze_stacks
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.preview import POLICY_PACK_DIR
from zero_trust_clusters.engine.runner import (
    ORGANIZATION,
    PROJECT,
    Graph,
    ProgramError,
    run_program,
)
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

SECURITY_STACK = f"{ORGANIZATION}/platform-security/prod"
SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-sec/providers"
KV = f"{SUB}/Microsoft.KeyVault/vaults/kv-platform"

# What a security team's stack exports, per cloud (the values a StackReference hands over).
KEYS: dict[str, dict[str, str]] = {
    "aws": {
        "secretsKeyArn": "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "disksKeyArn": "arn:aws:kms:eu-west-1:444455556666:key/mrk-0123456789abcdef0123456789abcdef",
    },
    "azure": {
        "kmsKeyId": "https://kv-platform.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef",
        "keyVaultId": KV,
        "diskEncryptionSetId": f"{SUB}/Microsoft.Compute/diskEncryptionSets/des-platform",
    },
    "gcp": {
        "secretsKey": "projects/acme-sec/locations/europe-west1/keyRings/gke/cryptoKeys/secrets",
        "disksKey": "projects/acme-sec/locations/europe-west1/keyRings/gke/cryptoKeys/disks",
        "auditKey": "projects/acme-sec/locations/europe-west1/keyRings/gke/cryptoKeys/audit",
    },
}
# The key resources the component creates when it is given none.
OWN_KEY_TYPES = {
    "aws": ("aws:kms/key:Key",),
    "azure": ("azure-native:keyvault:Vault", "azure-native:keyvault:Key",
              "azure-native:compute:DiskEncryptionSet"),
    "gcp": ("gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey"),
}


def _keys_args(cloud: str, out) -> ExistingKeys:
    """The cloud's *KeysArgs, every value from `out(export name)`."""
    if cloud == "aws":
        from zero_trust_clusters.components.aws.kms import EksKeysArgs

        return EksKeysArgs(secrets_key_arn=out("secretsKeyArn"), disks_key_arn=out("disksKeyArn"))
    if cloud == "azure":
        from zero_trust_clusters.components.azure.keyvault import AksKeysArgs

        return AksKeysArgs(kms_key_id=out("kmsKeyId"), key_vault_id=out("keyVaultId"),
                           disk_encryption_set_id=out("diskEncryptionSetId"))
    from zero_trust_clusters.components.gcp.kms import GkeKeysArgs

    return GkeKeysArgs(secrets_key=out("secretsKey"), disks_key=out("disksKey"),
                       audit_key=out("auditKey"))


def _run(cloud: str, *, exports: dict[str, Any] | None = None, config: dict | None = None,
         access: Any = None, preview: bool = False, keys: Any = None) -> Graph:
    """One cluster of the dev stack; keys (and access) from a stack reference's `exports`."""
    if config is None:
        config, _ = load_stack_config("dev")
    spec = load_spec(config)
    cluster = next(c for c in spec.clusters if c.cloud == cloud)

    def program() -> None:
        ref = pulumi.StackReference(SECURITY_STACK) if exports is not None else None
        brought = None
        if keys is not None:
            brought = keys(cloud, ref)
        elif ref is not None and any(k in exports for k in KEYS[cloud]):
            brought = _keys_args(cloud, ref.get_output)
        args = ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster), keys=brought,
                           access=access(ref) if access else None)
        clouds.get(cloud).load_component()(cluster.name, args)

    return run_program(program, config=to_pulumi_config(config), preview=preview,
                       stack_outputs={SECURITY_STACK: exports} if exports is not None else None)


def _inputs(graph: Graph, type_: str) -> list[dict[str, Any]]:
    return [unwrap(r.inputs) for r in graph.of_type(type_)]


def _outputs(graph: Graph, cloud: str) -> dict[str, Any]:
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    return unwrap(graph.component_outputs[component.urn])


# ------------------------------------------------------------------ keys from another stack

@pytest.fixture(scope="module", params=list(clouds.BUILTIN))
def brought(request) -> tuple[str, Graph]:
    return request.param, _run(request.param, exports=KEYS[request.param])


def test_brought_keys_create_no_key_of_their_role(brought):
    cloud, graph = brought
    assert _own_keys(graph, cloud) == (["dev-aws-audit"] if cloud == "aws" else [])


def _own_keys(graph: Graph, cloud: str) -> list[str]:
    """The cluster's own key resources (GKE's project guardrails keep their attestor key, and
    EKS its audit-trail key: neither is a cluster key of the contract)."""
    return [r.name for r in graph.resources
            if r.type in OWN_KEY_TYPES[cloud] and r.name.startswith(f"dev-{cloud}")]


def test_eks_uses_the_brought_keys(brought):
    cloud, graph = brought
    if cloud != "aws":
        pytest.skip("EKS")
    (eks,) = _inputs(graph, "aws:eks/cluster:Cluster")
    assert eks["encryptionConfig"]["provider"]["keyArn"] == KEYS["aws"]["secretsKeyArn"]
    templates = _inputs(graph, "aws:ec2/launchTemplate:LaunchTemplate")
    assert templates
    for template in templates:
        for device in template["blockDeviceMappings"]:
            assert device["ebs"]["kmsKeyId"] == KEYS["aws"]["disksKeyArn"]
    assert not any(a["name"].startswith("alias/ztc/dev-aws/secrets")
                   for a in _inputs(graph, "aws:kms/alias:Alias"))


def test_aks_uses_the_brought_keys_and_grants_its_identity_on_them(brought):
    cloud, graph = brought
    if cloud != "azure":
        pytest.skip("AKS")
    e = KEYS["azure"]
    (aks,) = _inputs(graph, "azure-native:containerservice:ManagedCluster")
    kms = aks["securityProfile"]["azureKeyVaultKms"]
    assert (kms["keyId"], kms["keyVaultResourceId"]) == (e["kmsKeyId"], e["keyVaultId"])
    assert kms["keyVaultNetworkAccess"] == "Private"
    assert aks["diskEncryptionSetID"] == e["diskEncryptionSetId"]
    from zero_trust_clusters.components.azure import catalog

    grants = {(a["scope"], a["roleDefinitionId"].rsplit("/", 1)[-1])
              for a in _inputs(graph, "azure-native:authorization:RoleAssignment")}
    assert {(e["keyVaultId"], catalog.KEY_VAULT_CRYPTO_USER),
            (e["keyVaultId"], catalog.KEY_VAULT_CONTRIBUTOR),
            (e["diskEncryptionSetId"], catalog.READER)} <= grants


def test_gke_uses_the_brought_keys_and_binds_each_service_agent(brought):
    cloud, graph = brought
    if cloud != "gcp":
        pytest.skip("GKE")
    e = KEYS["gcp"]
    (gke,) = _inputs(graph, "gcp:container/cluster:Cluster")
    assert gke["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": e["secretsKey"]}
    pools = _inputs(graph, "gcp:container/nodePool:NodePool")
    assert pools and {p["nodeConfig"]["bootDiskKmsKey"] for p in pools} == {e["disksKey"]}
    buckets = [b for b in _inputs(graph, "gcp:storage/bucket:Bucket") if b.get("encryption")]
    assert {b["encryption"]["defaultKmsKeyName"] for b in buckets} == {e["auditKey"]}
    bindings = {(m["cryptoKeyId"], m["member"].split("@")[-1])
                for m in _inputs(graph, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}
    assert bindings == {(e["secretsKey"], "container-engine-robot.iam.gserviceaccount.com"),
                        (e["disksKey"], "compute-system.iam.gserviceaccount.com"),
                        (e["auditKey"], "gs-project-accounts.iam.gserviceaccount.com")}
    for member in _inputs(graph, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"):
        assert member["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def test_the_outputs_name_the_brought_keys(brought):
    cloud, graph = brought
    e = KEYS[cloud]
    expected = {
        "aws": {"secrets": e.get("secretsKeyArn"), "disks": e.get("disksKeyArn")},
        "azure": {"secrets": f"{KV}/keys/etcd", "disks": e.get("diskEncryptionSetId")},
        "gcp": {"secrets": e.get("secretsKey"), "disks": e.get("disksKey"),
                "audit": e.get("auditKey")},
    }[cloud]
    assert _outputs(graph, cloud)["kmsKeys"] == expected


def test_brought_keys_keep_every_cloud_phase_control(brought):
    from tests.architecture.test_cluster_contract import CLOUD_PHASE_CONTROLS

    cloud, graph = brought
    controls = _outputs(graph, cloud)["controls"]
    assert CLOUD_PHASE_CONTROLS <= set(controls), (cloud, CLOUD_PHASE_CONTROLS - set(controls))


# ------------------------------------------------------------------ checks when values are known

BAD_KEYS: dict[str, tuple[str, str, str]] = {
    "aws": ("secretsKeyArn", KEYS["aws"]["secretsKeyArn"].replace("eu-west-1", "us-east-1"),
            "EksKeysArgs.secretsKeyArn: is a key in us-east-1, the cluster in eu-west-1"),
    "azure": ("kmsKeyId", KEYS["azure"]["kmsKeyId"].rsplit("/", 1)[0],
              ("AksKeysArgs.kmsKeyId: 'https://kv-platform.vault.azure.net/keys/etcd' is not a "
              "Key Vault key identifier with its version")),
    "gcp": ("disksKey", KEYS["gcp"]["disksKey"].replace("europe-west1", "global"),
            "GkeKeysArgs.disksKey: is a key in global, the cluster in europe-west1"),
}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_wrong_brought_key_fails_when_known_naming_the_argument(cloud):
    key, value, message = BAD_KEYS[cloud]
    with pytest.raises(ProgramError) as raised:
        _run(cloud, exports={**KEYS[cloud], key: value})
    assert message in str(raised.value)


def test_a_key_vault_that_does_not_hold_the_key_is_refused():
    with pytest.raises(ProgramError) as raised:
        _run("azure", exports={**KEYS["azure"], "keyVaultId": KV.replace("kv-platform", "kv-other")})
    assert ("AksKeysArgs.keyVaultId: is vault kv-other, the key is in vault kv-platform"
            in str(raised.value))


def test_another_clouds_keys_args_are_refused():
    with pytest.raises(ProgramError) as raised:
        _run("aws", exports=KEYS["gcp"], keys=lambda _c, ref: _keys_args("gcp", ref.get_output))
    assert "ClusterArgs.keys is a GkeKeysArgs; an EksCluster takes EksKeysArgs" in str(
        raised.value)


# ------------------------------------------------------------------ unknown at a first preview

def _team_key(cloud: str, _ref) -> ExistingKeys:
    """Keys the team's own program declares: their ids are unknown at a first preview."""
    if cloud == "aws":
        import pulumi_aws as aws

        def key(name: str) -> pulumi.Output[str]:
            return aws.kms.Key(name, enable_key_rotation=True, rotation_period_in_days=90,
                               deletion_window_in_days=30, region="eu-west-1").arn

        from zero_trust_clusters.components.aws.kms import EksKeysArgs

        return EksKeysArgs(secrets_key_arn=key("team-secrets"), disks_key_arn=key("team-disks"))
    import pulumi_gcp as gcp

    ring = gcp.kms.KeyRing("team-ring", name="team", location="europe-west1",
                           project="acme-sec")

    def crypto(name: str) -> pulumi.Output[str]:
        return gcp.kms.CryptoKey(name, name=name, key_ring=ring.id,
                                 rotation_period="7776000s").id

    from zero_trust_clusters.components.gcp.kms import GkeKeysArgs

    return GkeKeysArgs(secrets_key=crypto("team-secrets"), disks_key=crypto("team-disks"),
                       audit_key=crypto("team-audit"))


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_unknown_keys_at_a_first_preview_register_the_same_children(cloud):
    """Unknown ids are not checked (they are when known) and change no child."""
    preview = _run(cloud, exports={}, keys=_team_key, preview=True)
    known = _run(cloud, exports={}, keys=_team_key)
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in known.resources)
    if cloud == "aws":
        (eks,) = preview.of_type("aws:eks/cluster:Cluster")
        (team,) = [r for r in preview.resources if r.name == "team-secrets"]
        # The brought Output carries its dependency: the cluster waits for the team's key.
        assert team.urn in eks.property_dependencies.get("encryptionConfig", [])


# ------------------------------------------------------------------ the stack's `<cloud>.keys`

def _with_keys(cloud: str, block: dict[str, Any]) -> dict:
    config, _ = load_stack_config("dev")
    clusters = [dict(c) for c in config["zero-trust-clusters:clusters"]]
    index = next(i for i, c in enumerate(clusters) if c["cloud"] == cloud)
    clusters[index][cloud] = {**clusters[index].get(cloud, {}), "keys": block}
    return {**config, "zero-trust-clusters:clusters": clusters}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_keys_block_in_the_stack_is_used(cloud):
    graph = _run(cloud, config=_with_keys(cloud, KEYS[cloud]))
    assert _own_keys(graph, cloud) == (["dev-aws-audit"] if cloud == "aws" else [])
    secrets = _outputs(graph, cloud)["kmsKeys"]["secrets"]
    assert secrets == {"aws": KEYS["aws"]["secretsKeyArn"], "azure": f"{KV}/keys/etcd",
                       "gcp": KEYS["gcp"]["secretsKey"]}[cloud]


BAD_BLOCKS: dict[str, tuple[dict[str, str], str]] = {
    "aws": ({**KEYS["aws"], "secretsKeyArn": "alias/platform"},
            ("zero-trust-clusters:clusters[0].aws.keys.secretsKeyArn: 'alias/platform' is not a "
            "KMS key ARN")),
    "azure": ({**KEYS["azure"], "diskEncryptionSetId": KV},
              "zero-trust-clusters:clusters[1].azure.keys.diskEncryptionSetId: "),
    "gcp": ({**KEYS["gcp"], "auditKey": KEYS["gcp"]["auditKey"].replace("europe-west1", "us")},
            ("zero-trust-clusters:clusters[2].gcp.keys.auditKey: is a key in us, the cluster in "
            "europe-west1")),
}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_wrong_keys_block_is_one_keyed_line_at_load(cloud):
    block, message = BAD_BLOCKS[cloud]
    with pytest.raises(SpecError) as raised:
        load_spec(_with_keys(cloud, block))
    (problem,) = raised.value.problems
    assert problem.startswith(message), problem
    assert "\n" not in problem


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_an_unknown_keys_setting_is_refused_by_name(cloud):
    with pytest.raises(SpecError) as raised:
        load_spec(_with_keys(cloud, {**KEYS[cloud], "keyArn": "x"}))
    assert any(f".{cloud}.keys.keyArn: is not a known setting" in p
               for p in raised.value.problems), raised.value.problems


# ------------------------------------------------------------------ what the pack says

def _key_diagnostics(graph: Graph) -> tuple[list[str], list[str]]:
    """(mandatory ZT-SECRETS-KMS messages, the key-in-stack advisories) for one graph."""
    result = analyze_stacks([("dev", graph.resources)], POLICY_PACK_DIR, project=PROJECT)
    mandatory = [d.message for d in result.diagnostics
                 if d.mandatory and "[ZT-SECRETS-KMS]" in d.message]
    advisory = [d.message for d in result.diagnostics
                if d.policy_name == "ZT-SECRETS-KMS-key-in-stack"]
    return mandatory, advisory


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_key_from_another_stack_is_not_verifiable_never_held(cloud):
    mandatory, advisory = _key_diagnostics(_run(cloud, exports=KEYS[cloud]))
    assert mandatory == []
    (message,) = advisory
    assert "is not in this stack" in message and "not verifiable" in message


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_a_key_declared_in_the_same_program_is_found_and_judged(cloud):
    mandatory, advisory = _key_diagnostics(_run(cloud, exports={}, keys=_team_key, preview=True))
    assert (mandatory, advisory) == ([], [])


def test_a_same_program_key_that_does_not_rotate_fails():
    def no_rotation(cloud: str, ref) -> ExistingKeys:
        import pulumi_aws as aws

        from zero_trust_clusters.components.aws.kms import EksKeysArgs

        key = aws.kms.Key("team-secrets", enable_key_rotation=False, region="eu-west-1")
        return EksKeysArgs(secrets_key_arn=key.arn, disks_key_arn=key.arn)

    mandatory, advisory = _key_diagnostics(_run("aws", exports={}, keys=no_rotation,
                                                preview=True))
    assert advisory == []
    assert any("enableKeyRotation is False" in m for m in mandatory), mandatory


# ------------------------------------------------------------------ the groups' identities

ROLE = "arn:aws:iam::444455556666:role/platform-admins"
GROUP_ID = "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"
ACCESS_EXPORTS = {"adminRoleArn": ROLE, "auditorRoleArn": ROLE.replace("admins", "auditors"),
                  "adminGroupId": GROUP_ID,
                  "securityGroup": "gke-security-groups@platform.example.com"}


def _access(ref: pulumi.StackReference) -> ClusterAccessArgs:
    out = ref.get_output
    return ClusterAccessArgs(
        admins=GroupAccessArgs(aws_role_arns=[out("adminRoleArn")],
                               azure_group_object_id=out("adminGroupId")),
        auditors=GroupAccessArgs(aws_role_arns=[out("auditorRoleArn")]),
        gcp_security_group=out("securityGroup"))


def test_eks_access_entries_take_the_referenced_roles():
    graph = _run("aws", exports=ACCESS_EXPORTS, access=_access)
    entries = {(e["principalArn"], tuple(e["kubernetesGroups"]))
               for e in _inputs(graph, "aws:eks/accessEntry:AccessEntry")}
    spec = load_spec(load_stack_config("dev")[0])
    groups = spec.posture.groups
    assert (ROLE, (groups.admins.kubernetes_group,)) in entries
    assert (ACCESS_EXPORTS["auditorRoleArn"], (groups.auditors.kubernetes_group,)) in entries
    # The posture's admin and auditor roles are replaced on this cluster (the deployer role of
    # aws.accountRoleArn keeps its own admin entry); developers keep the posture's roles.
    settings = spec.clusters[0].settings
    deployer = settings.account_role_arn if settings else None
    replaced = set(groups.admins.aws_role_arns + groups.auditors.aws_role_arns) - {deployer}
    assert not {arn for arn, _ in entries} & replaced
    assert {(arn, (groups.developers.kubernetes_group,))
            for arn in groups.developers.aws_role_arns} <= entries
    policies = {(a["principalArn"], a["policyArn"].rsplit("/", 1)[-1])
                for a in _inputs(graph, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    assert (ROLE, "AmazonEKSClusterAdminPolicy") in policies
    assert (ACCESS_EXPORTS["auditorRoleArn"], "AmazonEKSViewPolicy") in policies
    assert _outputs(graph, "aws")["groupSubjects"]["admins"] == groups.admins.kubernetes_group


def test_aks_admin_group_and_role_assignments_take_the_referenced_group():
    graph = _run("azure", exports=ACCESS_EXPORTS, access=_access)
    (aks,) = _inputs(graph, "azure-native:containerservice:ManagedCluster")
    assert aks["aadProfile"]["adminGroupObjectIDs"] == [GROUP_ID]
    group_grants = [a for a in _inputs(graph, "azure-native:authorization:RoleAssignment")
                    if a["principalType"] == "Group"]
    admins = [a for a in group_grants if "(admins)" in a["description"]]
    assert len(admins) == 2 and {a["principalId"] for a in admins} == {GROUP_ID}
    assert _outputs(graph, "azure")["groupSubjects"]["admins"] == GROUP_ID


def test_gke_authenticator_group_takes_the_referenced_security_group():
    graph = _run("gcp", exports=ACCESS_EXPORTS, access=_access)
    (gke,) = _inputs(graph, "gcp:container/cluster:Cluster")
    assert gke["authenticatorGroupsConfig"]["securityGroup"] == ACCESS_EXPORTS["securityGroup"]


@pytest.mark.parametrize(("cloud", "export", "value", "message"), [
    ("aws", "adminRoleArn", "arn:aws:iam::444455556666:user/alice",
     ("ClusterArgs.access.admins.aws_role_arns[0]: 'arn:aws:iam::444455556666:user/alice' is "
     "not an IAM role ARN")),
    ("azure", "adminGroupId", "platform-admins",
     ("ClusterArgs.access.admins.azure_group_object_id: 'platform-admins' is not an Entra ID "
     "group object id")),
    ("gcp", "securityGroup", "admins@platform.example.com",
     ("ClusterArgs.access.gcp_security_group: 'admins@platform.example.com' must be named "
     "gke-security-groups@<your-domain>")),
])
def test_a_wrong_referenced_identity_fails_when_known_naming_the_argument(cloud, export, value,
                                                                         message):
    with pytest.raises(ProgramError) as raised:
        _run(cloud, exports={**ACCESS_EXPORTS, export: value}, access=_access)
    assert message in str(raised.value)


def test_a_role_given_to_two_groups_is_refused_when_known():
    with pytest.raises(ProgramError) as raised:
        _run("aws", exports={**ACCESS_EXPORTS, "auditorRoleArn": ROLE}, access=_access)
    assert ("ClusterArgs.access.auditors.aws_role_arns[0]: "
            f"{ROLE} is also ClusterArgs.access.admins.aws_role_arns[0]") in str(raised.value)


def test_unknown_role_arns_at_a_first_preview_register_the_same_children():
    """Roles the team's program declares are unknown at a first preview: the access entries are
    named by group and position, so the preview registers what the deployment does."""
    def team_roles(_ref) -> ClusterAccessArgs:
        import pulumi_aws as aws

        role = aws.iam.Role("team-admins", assume_role_policy="{}", name="team-admins")
        return ClusterAccessArgs(admins=GroupAccessArgs(aws_role_arns=[role.arn]))

    preview = _run("aws", exports={}, access=team_roles, preview=True)
    known = _run("aws", exports={}, access=team_roles)
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in known.resources)
    (team,) = [r for r in known.resources if r.name == "team-admins"]
    (entry,) = [r for r in known.of_type("aws:eks/accessEntry:AccessEntry")
                if r.name == "dev-aws-admins-access-0"]
    assert unwrap(entry.inputs)["principalArn"] == unwrap(team.outputs)["arn"]


def test_a_plain_wrong_identity_is_refused_at_once_naming_the_argument():
    access = ClusterAccessArgs(developers=GroupAccessArgs(gcp_group_email="not-an-email"))
    with pytest.raises(ProgramError) as raised:
        _run("gcp", access=lambda _ref: access)
    assert ("ClusterArgs.access.developers.gcp_group_email: 'not-an-email' is not a Google "
            "Group e-mail address") in str(raised.value)


# ------------------------------------------------------------------ access-entry names
# EKS gives a principal one access entry (CreateAccessEntry: ResourceInUseException,
# https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html): an entry
# re-created under another name while the old one still holds the role fails, so names must
# follow the role, not its place in a list.

OTHER_ROLE = "arn:aws:iam::444455556666:role/break-glass"
ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"


def _admin_entries(graph: Graph) -> dict[str, Any]:
    """Admin access entry name -> principal ARN."""
    return {r.name: unwrap(r.inputs)["principalArn"] for r in graph.of_type(ENTRY)
            if r.name.startswith("dev-aws-admins-")}


def _admins(roles: Any, record: dict[str, bool] | None = None):
    """`access` for `_run`: these admin roles; `record` gets each access resource's
    delete_before_replace (through a stack transformation, as the engine would see it)."""
    def access(ref) -> ClusterAccessArgs:
        if record is not None:
            def seen(args: pulumi.ResourceTransformationArgs):
                if args.type_ in (ENTRY, ASSOCIATION):
                    record[f"{args.type_}::{args.name}"] = bool(args.opts.delete_before_replace)
            pulumi.runtime.register_stack_transformation(seen)
        return ClusterAccessArgs(admins=GroupAccessArgs(
            aws_role_arns=roles(ref.get_output) if callable(roles) else roles))
    return access


def test_labelled_roles_keep_their_entry_names_whatever_the_order():
    exports = {**ACCESS_EXPORTS, "otherRoleArn": OTHER_ROLE}
    forward = _run("aws", exports=exports, access=_admins(lambda out: {
        "platform": out("adminRoleArn"), "break-glass": out("otherRoleArn")}))
    backward = _run("aws", exports=exports, access=_admins(lambda out: {
        "break-glass": out("otherRoleArn"), "platform": out("adminRoleArn")}))
    expected = {"dev-aws-admins-platform": ROLE, "dev-aws-admins-break-glass": OTHER_ROLE}
    assert _admin_entries(forward) == _admin_entries(backward) == expected
    policies = {r.name for r in backward.of_type(ASSOCIATION)}
    assert set(expected) <= policies


def test_labelled_unknown_roles_register_the_same_children_at_a_first_preview():
    def team_roles(_out) -> dict[str, Any]:
        import pulumi_aws as aws

        role = aws.iam.Role("team-admins", assume_role_policy="{}", name="team-admins")
        return {"team": role.arn}

    preview = _run("aws", exports={}, access=_admins(team_roles), preview=True)
    known = _run("aws", exports={}, access=_admins(team_roles))
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in known.resources)
    (team,) = [r for r in known.resources if r.name == "team-admins"]
    assert _admin_entries(known) == {"dev-aws-admins-team": unwrap(team.outputs)["arn"]}


def test_a_plain_role_arn_keeps_its_entry_name_when_moved_from_the_posture():
    spec = load_spec(load_stack_config("dev")[0])
    (admin,) = spec.posture.groups.admins.aws_role_arns
    from_posture = _admin_entries(_run("aws"))
    moved = _admin_entries(_run("aws", access=_admins([admin])))
    by_label = _admin_entries(_run("aws", access=_admins({"dev-platform-admin": admin})))
    assert from_posture == moved == by_label == {"dev-aws-admins-dev-platform-admin": admin}


def test_only_positional_unknown_roles_are_deleted_before_replaced():
    record: dict[str, bool] = {}
    _run("aws", exports={**ACCESS_EXPORTS, "otherRoleArn": OTHER_ROLE},
         access=_admins(lambda out: [out("adminRoleArn"), out("otherRoleArn")], record))
    assert {k for k, first in record.items() if first} == {
        f"{t}::dev-aws-admins-access-{i}" for t in (ENTRY, ASSOCIATION) for i in (0, 1)}
    record.clear()
    _run("aws", exports={**ACCESS_EXPORTS, "otherRoleArn": OTHER_ROLE},
         access=_admins(lambda out: {"platform": out("adminRoleArn"), "other": OTHER_ROLE},
                        record))
    assert f"{ENTRY}::dev-aws-admins-platform" in record
    assert not any(record.values())


@pytest.mark.parametrize(("roles", "message"), [
    ({"Platform_Admins": ROLE},
     "ClusterArgs.access.admins.aws_role_arns[Platform_Admins]: 'Platform_Admins' is not a label"),
    ([ROLE, ROLE.replace("444455556666", "777788889999")],
     ("ClusterArgs.access.admins.aws_role_arns[1]: its access entry would be named "
      "'platform-admins', as ClusterArgs.access.admins.aws_role_arns[0]'s")),
])
def test_a_bad_or_shared_label_is_refused_naming_it(roles, message):
    with pytest.raises(ProgramError) as raised:
        _run("aws", access=_admins(roles))
    assert message in str(raised.value)


def test_a_label_taken_by_the_deployer_role_is_refused_naming_it():
    config, _ = load_stack_config("dev")
    config = {**config, "zero-trust-clusters:clusters": [
        {**c, "aws": {**c["aws"], "accountRoleArn": "arn:aws:iam::111122223333:role/deployer"}}
        if c["cloud"] == "aws" else c for c in config["zero-trust-clusters:clusters"]]}
    with pytest.raises(ProgramError) as raised:
        _run("aws", config=config, exports=ACCESS_EXPORTS,
             access=_admins(lambda out: {"deployer": out("adminRoleArn")}))
    assert ("ClusterArgs.access.admins.aws_role_arns[deployer]: its access entry would be "
            "named 'deployer', as zero-trust-clusters:clusters[name=dev-aws].aws.accountRoleArn's"
            ) in str(raised.value)


def test_a_labelled_role_given_to_two_groups_is_refused_when_known():
    def access(ref) -> ClusterAccessArgs:
        out = ref.get_output
        return ClusterAccessArgs(
            admins=GroupAccessArgs(aws_role_arns={"platform": out("adminRoleArn")}),
            auditors=GroupAccessArgs(aws_role_arns={"audit": out("adminRoleArn")}))

    with pytest.raises(ProgramError) as raised:
        _run("aws", exports=ACCESS_EXPORTS, access=access)
    assert ("ClusterArgs.access.auditors.aws_role_arns[audit]: "
            f"{ROLE} is also ClusterArgs.access.admins.aws_role_arns[platform]"
            ) in str(raised.value)
