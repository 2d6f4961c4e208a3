"""Evidence is judged by reference, through the pack's real gRPC (issue 14, part 3): a resource
of the right type counts for a control only when the cluster's own resources point at it (the
node role the node groups name, the key the cluster encrypts secrets with, the bucket the audit
stream writes to, ...). A stray resource of that type, attached to nothing, proves nothing.

Each case starts from the hand-written compliant estate (policy_testkit/handwritten.py), whose
references are the engine's property dependencies (as at a first preview, when the values are
unknown) or the values themselves (as once deployed)."""

from __future__ import annotations

import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import GCP_KEY, build

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel


def _evidence(result, control: str, cluster: str) -> list[str]:
    """posture-evidence's mandatory messages for `control` on `cluster`."""
    return [d.message for d in result.mandatory if d.policy_name == "posture-evidence"
            and f"[{control}] (cluster {cluster})" in d.message]


def test_the_hand_written_estate_proves_every_reference(pack):
    assert [d.message for d in run(pack, build().resources).mandatory
            if d.policy_name == "posture-evidence"] == []


def test_a_stray_broad_role_is_not_the_node_role(pack):
    e = build()
    # The node groups run an identity outside the stack; a role with administrator rights sits
    # in the stack, attached to nothing. Any IAM role used to count as the node role.
    for pool in ("hand-aws-general", "hand-aws-sandbox"):
        e.named(pool).inputs["nodeRoleArn"] = "arn:aws:iam::111122223333:role/elsewhere"
        del e.named(pool).property_dependencies["nodeRoleArn"]
    stray = e.add("aws:iam/role:Role", "hand-aws-stray", {
        "assumeRolePolicy": "{}", "arn": "arn:aws:iam::111122223333:role/stray"},
        deps=[e.named("hand-aws").urn])
    e.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "hand-aws-stray-admin", {
        "role": "stray", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        deps=[stray])
    (message,) = _evidence(run(pack, e.resources), "ZT-NODE-IDENTITY", "hand-aws")
    assert "no node IAM role (the node groups' nodeRoleArn)" in message


def test_the_node_role_is_found_by_its_arn_once_deployed(pack):
    e = build()
    # The engine sends a resource's state as its properties; once deployed it holds the ARN.
    e.named("hand-aws-node-role").inputs["arn"] = "arn:aws:iam::111122223333:role/nodes"
    for pool in ("hand-aws-general", "hand-aws-sandbox"):
        e.named(pool).inputs["nodeRoleArn"] = "arn:aws:iam::111122223333:role/nodes"
        del e.named(pool).property_dependencies["nodeRoleArn"]
    assert _evidence(run(pack, e.resources), "ZT-NODE-IDENTITY", "hand-aws") == []
    for pool in ("hand-aws-general", "hand-aws-sandbox"):  # unknown, and no dependency: unproven
        e.named(pool).inputs["nodeRoleArn"] = UNKNOWN
    assert _evidence(run(pack, e.resources), "ZT-NODE-IDENTITY", "hand-aws")


def _advisories(result, control: str, cluster: str) -> list[str]:
    """The advisory ("not verifiable") messages about `control`'s key on `cluster`."""
    return [d.message for d in result.diagnostics if not d.mandatory
            and d.policy_name == f"{control}-key-in-stack" and f"(cluster {cluster})"
            in d.message]


def test_a_key_the_cluster_does_not_use_is_not_the_secrets_key(pack):
    e = build()
    cluster = e.named("hand-aws")
    cluster.inputs["encryptionConfig"]["provider"]["keyArn"] = "arn:aws:kms:eu-west-1:1:key/x"
    del cluster.property_dependencies["encryptionConfig"]
    # hand-aws-key (rotating, in the stack) still exists, but the cluster names another key:
    # the stray key proves nothing. The named key is outside the stack (a brought key), so its
    # rotation cannot be judged: not verifiable (advisory), never a pass.
    result = run(pack, e.resources)
    assert _evidence(result, "ZT-SECRETS-KMS", "hand-aws") == []
    (message,) = _advisories(result, "ZT-SECRETS-KMS", "hand-aws")
    assert "KMS key (the cluster's encryptionConfig key) is not in this stack" in message


@pytest.mark.parametrize("cluster, path, value", [
    ("hand-azure", ("securityProfile", "azureKeyVaultKms", "keyId"),
     "https://kv-brought.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef"),
    ("hand-gcp", ("databaseEncryption", "keyName"),
     "projects/acme-sec/locations/europe-west1/keyRings/r/cryptoKeys/brought"),
])
def test_a_brought_key_outside_the_stack_is_not_verifiable_on_every_cloud(pack, cluster, path,
                                                                         value):
    e = build()
    node = e.named(cluster)
    inner = node.inputs
    for part in path[:-1]:
        inner = inner[part]
    inner[path[-1]] = value
    node.property_dependencies.pop(path[0], None)
    result = run(pack, e.resources)
    assert _evidence(result, "ZT-SECRETS-KMS", cluster) == []
    (message,) = _advisories(result, "ZT-SECRETS-KMS", cluster)
    assert "key (the cluster's" in message and "is not in this stack" in message


def test_the_key_in_the_stack_says_nothing(pack):
    """The compliant estate's keys are declared in the program: judged, no advisory."""
    result = run(pack, build().resources)
    assert [d for d in result.diagnostics if d.policy_name == "ZT-SECRETS-KMS-key-in-stack"] == []


def test_the_audit_bucket_is_the_one_the_delivery_stream_writes_to(pack):
    e = build()
    stream = e.named("hand-aws-audit-stream")
    stream.inputs["extendedS3Configuration"]["bucketArn"] = "arn:aws:s3:::unlocked"
    stream.property_dependencies = {}
    # The locked audit bucket (and the ledger's) are still in the stack, but nothing writes the
    # audit logs to them: any locked bucket used to count.
    (message,) = _evidence(run(pack, e.resources), "ZT-AUDIT-IMMUTABLE", "hand-aws")
    assert "no Object Lock bucket the cluster's audit delivery stream writes to" in message


def test_the_lock_must_be_the_audit_buckets(pack):
    e = build()
    lock = e.named("hand-aws-audit-lock")
    lock.inputs["bucket"] = "some-other-bucket"
    lock.property_dependencies = {}
    (message,) = _evidence(run(pack, e.resources), "ZT-AUDIT-IMMUTABLE", "hand-aws")
    assert "no Object Lock configuration of that bucket" in message


@pytest.mark.parametrize(("path", "label"), [
    ("securityProfile.azureKeyVaultKms.keyId",
     ("ZT-SECRETS-KMS", "no Key Vault key (the cluster's azureKeyVaultKms keyId)")),
    ("identityProfile.kubeletidentity.resourceId",
     ("ZT-NODE-IDENTITY", "no kubelet identity (the cluster's identityProfile.kubeletidentity)")),
])
def test_aks_names_its_kms_key_and_kubelet_identity(pack, path, label):
    e = build()
    props = e.named("hand-azure").inputs
    *parents, leaf = path.split(".")
    for key in parents:
        props = props[key]
    props[leaf] = "/subscriptions/s/elsewhere"  # a key or identity outside the stack
    control, text = label
    result = run(pack, e.resources)
    if control == "ZT-SECRETS-KMS":
        # A key outside the stack (brought): not verifiable (advisory), never held.
        assert _evidence(result, control, "hand-azure") == []
        (message,) = _advisories(result, control, "hand-azure")
        assert f"{text.removeprefix('no ')} is not in this stack" in message
    else:
        (message,) = _evidence(result, control, "hand-azure")
        assert text in message


def test_gke_names_its_secrets_key_by_its_full_name(pack):
    e = build()
    e.named("hand-gcp").inputs["databaseEncryption"]["keyName"] = GCP_KEY.replace("/r/", "/q/")
    # Same key name "k", another key ring: not the key in the stack.
    # The one it names is outside the stack: not verifiable (advisory), never held.
    result = run(pack, e.resources)
    assert _evidence(result, "ZT-SECRETS-KMS", "hand-gcp") == []
    (message,) = _advisories(result, "ZT-SECRETS-KMS", "hand-gcp")
    assert "Cloud KMS key (the cluster's databaseEncryption keyName) is not in this stack" in message


def test_gke_key_ring_unknown_at_preview_is_followed_to_the_ring(pack):
    e = build()
    ring = e.add("gcp:kms/keyRing:KeyRing", "hand-gcp-ring", {
        "name": "r", "location": "global", "project": "p"})
    key = e.named("hand-gcp-key")
    key.inputs["keyRing"] = UNKNOWN
    key.property_dependencies = {"keyRing": [ring]}
    result = run(pack, e.resources)
    assert _evidence(result, "ZT-SECRETS-KMS", "hand-gcp") == []
    assert _advisories(result, "ZT-SECRETS-KMS", "hand-gcp") == []
    key.property_dependencies = {}
    # Its ring cannot be told: the key is not found, so the cell is not verifiable (advisory).
    assert _advisories(run(pack, e.resources), "ZT-SECRETS-KMS", "hand-gcp")


def test_gke_node_service_account_is_the_one_the_pools_run_as(pack):
    e = build()
    for pool in ("hand-gcp-general", "hand-gcp-sandbox"):
        e.named(pool).inputs["nodeConfig"]["serviceAccount"] = "other@p.iam.gserviceaccount.com"
    (message,) = _evidence(run(pack, e.resources), "ZT-NODE-IDENTITY", "hand-gcp")
    assert "no node service account (the node pools' nodeConfig.serviceAccount)" in message


def test_another_controls_admission_policy_is_not_image_provenance(pack):
    """EKS has no cloud-side provenance: its evidence is an admission policy about images. The
    mesh's membership policy (it reads runtimeClassName) is not one."""
    e = build()
    provider = e.named("hand-aws-images").provider
    e.resources = [r for r in e.resources
                   if r.name not in ("hand-aws-images", "hand-aws-mesh-proxy")]
    vap = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
    e.add(vap, "hand-aws-membership", {"metadata": {"name": "membership"}, "spec": {
        "validations": [{"expression": "object.spec.runtimeClassName != 'sandboxed'"}]}},
        provider=provider)
    (message,) = _evidence(run(pack, e.resources), "ZT-IMAGE-PROVENANCE", "hand-aws")
    assert "no admission policy for images" in message
    e.named("hand-aws-membership").inputs["spec"]["validations"] = [
        {"expression": "object.spec.containers.all(c, c.image.startsWith('ghcr.io/'))"}]
    assert _evidence(run(pack, e.resources), "ZT-IMAGE-PROVENANCE", "hand-aws") == []


def test_a_kyverno_image_verification_policy_is_image_provenance(pack):
    """Any program: a Kyverno policy that verifies images (not our Sigstore policy-controller)
    is equivalent evidence on EKS; a Kyverno policy without `verifyImages` is not."""
    e = build()
    provider = e.named("hand-aws-images").provider
    e.resources = [r for r in e.resources
                   if r.name not in ("hand-aws-images", "hand-aws-mesh-proxy")]
    e.add("kubernetes:kyverno.io/v1:ClusterPolicy", "hand-aws-kyverno", {
        "metadata": {"name": "labels"}, "spec": {"validationFailureAction": "Enforce",
                                                 "rules": [{"name": "labels"}]}},
        provider=provider)
    (message,) = _evidence(run(pack, e.resources), "ZT-IMAGE-PROVENANCE", "hand-aws")
    assert "no admission policy for images" in message
    e.named("hand-aws-kyverno").inputs["spec"]["rules"] = [{"name": "signed", "verifyImages": [{
        "imageReferences": ["ghcr.io/acme/*"], "attestors": [{"entries": [{"keyless": {
            "subject": "https://github.com/acme/*",
            "issuer": "https://token.actions.githubusercontent.com"}}]}]}]}]
    assert _evidence(run(pack, e.resources), "ZT-IMAGE-PROVENANCE", "hand-aws") == []
