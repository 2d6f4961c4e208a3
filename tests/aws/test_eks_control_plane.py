"""The EKS control plane, property by property (wire inputs, camelCase keys)."""

from __future__ import annotations

CLUSTER = "aws:eks/cluster:Cluster"
KEY = "aws:kms/key:Key"


def test_endpoint_is_private_only_whatever_the_posture_admits(dev, dev_spec):
    """Admitted networks reach the API privately (cluster SG, test_eks_network); the public
    endpoint stays off even when the posture lists people's networks."""
    assert dev_spec.posture.authorized_networks == ["100.64.10.0/24"]
    vpc = dev.one(CLUSTER)["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_control_plane_in_private_subnets_with_its_security_group(dev):
    vpc = dev.one(CLUSTER)["vpcConfig"]
    private = {r.id for r in dev.graph.of_type("aws:ec2/subnet:Subnet")
               if "-private-" in r.name}
    assert set(vpc["subnetIds"]) == private and len(private) == 3
    cluster_sg = next(r.id for r in dev.graph.of_type("aws:ec2/securityGroup:SecurityGroup")
                      if r.name == "dev-aws-cluster-sg")
    assert vpc["securityGroupIds"] == [cluster_sg]


def test_secrets_envelope_encrypted_with_a_dedicated_rotating_key(dev):
    encryption = dev.one(CLUSTER)["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    secrets_key = dev.resource(KEY, "dev-aws-secrets")
    assert encryption["provider"]["keyArn"] == secrets_key.outputs["arn"]
    inputs = dev.inputs(KEY, "dev-aws-secrets")
    assert inputs["enableKeyRotation"] is True
    assert inputs["deletionWindowInDays"] == 30
    # Scoped policy: the account root administers, only the cluster role uses the key.
    statements = {s["Sid"]: s for s in dev.policy(inputs["policy"])["Statement"]}
    assert set(statements) == {"AccountAdministers", "ClusterRoleUses", "ClusterRoleGrants"}
    assert statements["ClusterRoleUses"]["Principal"] == {
        "AWS": "arn:aws:iam::111122223333:role/ztc-dev-aws-cluster"}
    assert "kms:*" not in statements["ClusterRoleUses"]["Action"]
    assert statements["ClusterRoleGrants"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_every_customer_key_rotates(dev):
    keys = dev.of_type(KEY)
    assert len(keys) == 3  # secrets, disks, audit
    assert all(k["enableKeyRotation"] is True for k in keys)


def test_all_five_log_types_into_a_precreated_encrypted_log_group(dev, dev_graph):
    cluster = dev.one(CLUSTER)
    assert sorted(cluster["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"])
    group = dev.one("aws:cloudwatch/logGroup:LogGroup",
                    lambda g: g["name"] == "/aws/eks/dev-aws/cluster")
    assert group["retentionInDays"] == 90  # auditRetentionDays 90 is a valid CloudWatch value
    assert group["deletionProtectionEnabled"] is True
    audit_key = dev.resource(KEY, "dev-aws-audit")
    assert group["kmsKeyId"] == audit_key.outputs["arn"]
    # EKS must find the group, not create an unencrypted one: the cluster depends on it.
    eks = next(r for r in dev_graph.of_type(CLUSTER))
    group_urn = next(r.urn for r in dev_graph.of_type("aws:cloudwatch/logGroup:LogGroup")
                     if r.name == "dev-aws-control-plane-logs")
    assert group_urn in eks.dependencies


def test_iam_only_access_without_creator_admin(dev):
    access = dev.one(CLUSTER)["accessConfig"]
    assert access == {"authenticationMode": "API",
                      "bootstrapClusterCreatorAdminPermissions": False}


def test_access_entries_map_every_role_to_its_portable_group(dev, dev_spec):
    entries = {e["principalArn"]: e for e in dev.of_type("aws:eks/accessEntry:AccessEntry")}
    expected = {arn: group.kubernetes_group for _, group in dev_spec.posture.groups.items()
                for arn in group.aws_role_arns}
    assert set(entries) == set(expected) and len(expected) == 3
    for arn, k8s_group in expected.items():
        assert entries[arn]["kubernetesGroups"] == [k8s_group]
        assert entries[arn]["type"] == "STANDARD"
        assert entries[arn]["clusterName"] == "dev-aws"


def test_access_policies_admin_cluster_admin_auditor_view_developer_none(dev):
    associations = {a["principalArn"]: a for a in
                    dev.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    prefix = "arn:aws:eks::aws:cluster-access-policy/"
    admin = associations["arn:aws:iam::111122223333:role/dev-platform-admin"]
    assert admin["policyArn"] == prefix + "AmazonEKSClusterAdminPolicy"
    assert admin["accessScope"] == {"type": "cluster"}
    auditor = associations["arn:aws:iam::111122223333:role/dev-auditor"]
    assert auditor["policyArn"] == prefix + "AmazonEKSViewPolicy"
    assert "arn:aws:iam::111122223333:role/dev-developer" not in associations


def test_version_network_and_lifecycle(dev, dev_spec):
    cluster = dev.one(CLUSTER)
    assert cluster["version"] == dev_spec.posture.kubernetes_version == "1.35"
    assert cluster["kubernetesNetworkConfig"] == {"ipFamily": "ipv4",
                                                  "serviceIpv4Cidr": "10.11.0.0/16"}
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["deletionProtection"] is True
    assert cluster["region"] == "eu-west-1"


def test_cluster_role_has_only_the_eks_cluster_policy(dev):
    role = dev.inputs("aws:iam/role:Role", "dev-aws-cluster")
    trust = dev.policy(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "eks.amazonaws.com"}
    attached = [a["policyArn"] for a in dev.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a["role"] == "ztc-dev-aws-cluster"]
    assert attached == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
