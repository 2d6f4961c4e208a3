"""Workload identity, network-policy enforcement, and the WORM audit path."""

from __future__ import annotations

import json

ADDON = "aws:eks/addon:Addon"


def test_pod_identity_agent_and_irsa_oidc_provider(dev, dev_graph):
    assert dev.inputs(ADDON, "dev-aws-eks-pod-identity-agent")["addonName"] == "eks-pod-identity-agent"
    oidc = dev.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = dev_graph.exports["oidcIssuer"]
    assert oidc["url"] == issuer
    assert issuer.startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]


def test_vpc_cni_credentials_come_from_pod_identity_not_the_node(dev):
    cni = dev.inputs(ADDON, "dev-aws-vpc-cni")
    role = dev.resource("aws:iam/role:Role", "dev-aws-vpc-cni")
    assert cni["podIdentityAssociations"] == [{"roleArn": role.outputs["arn"],
                                              "serviceAccount": "aws-node"}]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_node_groups_wait_for_networking_and_coredns_waits_for_nodes(dev, dev_graph):
    urns = {r.name: r.urn for r in dev_graph.of_type(ADDON)}
    for pool in ("system", "general", "sandbox"):
        group = dev.resource("aws:eks/nodeGroup:NodeGroup", f"dev-aws-{pool}")
        assert {urns["dev-aws-vpc-cni"], urns["dev-aws-eks-pod-identity-agent"]} <= set(
            group.dependencies)
    coredns = dev.resource(ADDON, "dev-aws-coredns")
    groups = {r.urn for r in dev_graph.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert groups <= set(coredns.dependencies)


def test_audit_bucket_object_lock_compliance_with_the_spec_retention(dev, dev_spec):
    bucket = dev.one("aws:s3/bucket:Bucket")
    assert bucket["objectLockEnabled"] is True
    assert bucket["bucket"] == "ztc-dev-aws-audit-111122223333-eu-west-1"
    lock = dev.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"] == {"defaultRetention": {
        "mode": "COMPLIANCE", "days": dev_spec.posture.audit_retention_days}}
    assert lock["bucket"] == bucket["bucket"]
    versioning = dev.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    block = dev.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))
    sse = dev.one("aws:s3/bucketServerSideEncryptionConfiguration:"
                  "BucketServerSideEncryptionConfiguration")["rules"][0]
    audit_key = dev.resource("aws:kms/key:Key", "dev-aws-audit").outputs["arn"]
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms",
                                                         "kmsMasterKeyId": audit_key}
    policy = json.loads(dev.one("aws:s3/bucketPolicy:BucketPolicy")["policy"])
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}}


def test_control_plane_logs_flow_through_firehose_into_the_locked_bucket(dev):
    stream = dev.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    bucket = dev.resource("aws:s3/bucket:Bucket", "dev-aws-audit")
    audit_key = dev.resource("aws:kms/key:Key", "dev-aws-audit").outputs["arn"]
    assert stream["destination"] == "extended_s3"
    s3 = stream["extendedS3Configuration"]
    assert s3["bucketArn"] == bucket.outputs["arn"]
    assert s3["prefix"].startswith("eks/dev-aws/control-plane/")
    assert s3["kmsKeyArn"] == audit_key
    assert stream["serverSideEncryption"] == {"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK",
                                              "keyArn": audit_key}
    subscription = dev.one("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    stream_arn = dev.resource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
                              "dev-aws-audit").outputs["arn"]
    assert subscription["logGroup"] == "/aws/eks/dev-aws/cluster"
    assert subscription["destinationArn"] == stream_arn
    assert subscription["filterPattern"] == ""
    feed = next(p for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")
                if p["role"] == "ztc-dev-aws-audit-subscription")
    statement = json.loads(feed["policy"])["Statement"][0]
    assert statement["Resource"] == stream_arn
    assert statement["Action"] == ["firehose:PutRecord", "firehose:PutRecordBatch"]
