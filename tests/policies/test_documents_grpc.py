"""AWS JSON policy documents are read the way AWS reads them, over the pack's real gRPC: a
document as JSON text or as an object, Statement as one object or a list, Action/Principal/
Resource as a string or a list, NotAction/NotPrincipal, wildcard principals and actions in any
case, and admin-equivalent managed policies in any partition (issue 14, "judge meaning")."""

from __future__ import annotations

import json

import pytest
from policy_testkit.rule_cases import UNKNOWN
from policy_testkit.verdicts import judge

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACCOUNT_ROOT = "arn:aws:iam::111122223333:root"


def _stmt(effect="Allow", **elements) -> dict:
    return {"Effect": effect, **elements}


def _doc(*statements, as_text=True, single=False):
    doc = {"Version": "2012-10-17",
           "Statement": statements[0] if single else list(statements)}
    return json.dumps(doc) if as_text else doc


def _trust(principal, **extra) -> dict:
    return _stmt(Action="sts:AssumeRole", Principal=principal, **extra)


def _messages(found: dict, name: str, control: str) -> list[str]:
    return [m for policy, m in found[name] if policy == control]


# --- trust policies: who may assume the role ----------------------------------------------

TRUST_CASES = {
    # name: (assumeRolePolicy, violates)
    "ec2-service": (_doc(_trust({"Service": "ec2.amazonaws.com"})), False),
    "account-root": (_doc(_trust({"AWS": ACCOUNT_ROOT})), False),
    "star-text-list": (_doc(_trust("*")), True),
    "aws-star-object-single": (_doc(_trust({"AWS": "*"}), as_text=False, single=True), True),
    "star-inside-list": (_doc(_trust({"AWS": [ACCOUNT_ROOT, "*"]})), True),
    "not-principal": (_doc(_stmt(Action="sts:AssumeRole",
                                 NotPrincipal={"AWS": ACCOUNT_ROOT})), True),
    # A wildcard principal pinned to one account by a fixed condition is not "anyone"...
    "star-pinned-account": (_doc(_trust("*", Condition={"StringEquals": {
        "aws:SourceAccount": "111122223333"}})), False),
    # ...but a wildcard value or an IfExists operator pins nothing.
    "star-like-any-account": (_doc(_trust("*", Condition={"StringLike": {
        "aws:SourceAccount": "*"}})), True),
    "star-if-exists": (_doc(_trust("*", Condition={"StringEqualsIfExists": {
        "aws:SourceAccount": "111122223333"}})), True),
    # Deny statements never grant.
    "deny-star": (_doc(_trust({"Service": "ec2.amazonaws.com"}),
                       _stmt("Deny", Action="sts:AssumeRole", Principal="*")), False),
}


@pytest.fixture(scope="module")
def trust(pack):
    return judge(pack, [(ROLE, name, {"assumeRolePolicy": doc})
                        for name, (doc, _) in TRUST_CASES.items()])


def test_trust_policy_wildcard_principals_in_every_shape(trust):
    found = {name: _messages(trust, name, "ZT-NODE-IDENTITY") for name in TRUST_CASES}
    assert {name: bool(m) for name, m in found.items()} == {
        name: violates for name, (_, violates) in TRUST_CASES.items()}
    assert all("assumeRolePolicy Statement" in m for ms in found.values() for m in ms)


def test_a_document_aws_would_refuse_fails_closed_naming_the_element(pack):
    found = judge(pack, [
        (ROLE, "lower-effect", {"assumeRolePolicy": _doc(
            {"Effect": "allow", "Action": "sts:AssumeRole", "Principal": "*"})}),
        (ROLE, "not-json", {"assumeRolePolicy": "{\"Statement\": ["}),
        (ROLE_POLICY, "number-action", {"role": "r", "policy": _doc(
            _stmt(Action=7, Resource="*"))}),
        (ROLE_POLICY, "no-document", {"role": "r"}),
    ])
    assert any("Statement[0].Effect is 'allow'" in m
               for m in _messages(found, "lower-effect", "ZT-NODE-IDENTITY"))
    assert any("assumeRolePolicy is not valid JSON" in m
               for m in _messages(found, "not-json", "ZT-NODE-IDENTITY"))
    assert any("Statement[0].Action" in m
               for m in _messages(found, "number-action", "ZT-NODE-IDENTITY"))
    assert _messages(found, "no-document", "ZT-NODE-IDENTITY")


# --- identity policies: what the role may do -------------------------------------------------

IDENTITY_CASES = {
    "describe-instances": (_doc(_stmt(Action="ec2:DescribeInstances", Resource="*")), False),
    "one-bucket-everything": (_doc(_stmt(Action="s3:*", Resource=[
        "arn:aws:s3:::b", "arn:aws:s3:::b/*"])), False),
    "star-on-star-text": (_doc(_stmt(Action="*", Resource="*")), True),
    "star-in-list-object": (_doc(_stmt(Action=["s3:GetObject", "*"], Resource=["*"]),
                                 as_text=False, single=True), True),
    "not-action": (_doc(_stmt(NotAction=["iam:*"], Resource="*")), True),
    "iam-any-case-one-role": (_doc(_stmt(Action="IAM:*",
                                         Resource="arn:aws:iam::111122223333:role/x")), True),
    "service-wide-on-everything": (_doc(_stmt(Action=["ec2:*"], Resource="*")), True),
    "not-resource": (_doc(_stmt(Action="ec2:*", NotResource="arn:aws:ec2:::x")), True),
    "deny-everything": (_doc(_stmt("Deny", Action="*", Resource="*")), False),
}


@pytest.fixture(scope="module")
def identity(pack):
    items = [(ROLE_POLICY, name, {"role": "r", "policy": doc})
             for name, (doc, _) in IDENTITY_CASES.items()]
    # The same documents inline in a role.
    items += [(ROLE, f"inline-{name}", {"assumeRolePolicy": _doc(_trust({
        "Service": "pods.eks.amazonaws.com"})), "inlinePolicies": [{"name": "p", "policy": doc}]})
        for name, (doc, _) in IDENTITY_CASES.items()]
    return judge(pack, items)


def test_identity_policy_wildcards_in_every_shape(identity):
    expected = {name: violates for name, (_, violates) in IDENTITY_CASES.items()}
    standalone = {name: _messages(identity, name, "ZT-NODE-IDENTITY") for name in expected}
    inline = {name: _messages(identity, f"inline-{name}", "ZT-NODE-IDENTITY")
              for name in expected}
    assert {name: bool(m) for name, m in standalone.items()} == expected
    assert {name: bool(m) for name, m in inline.items()} == expected
    assert all("inlinePolicies[0].policy" in m for ms in inline.values() for m in ms)


# --- managed policies ------------------------------------------------------------------------

WORKER = ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodeMinimalPolicy",
          "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"]
NODE_TRUST = _doc(_trust({"Service": "ec2.amazonaws.com"}))
POD_TRUST = _doc(_trust({"Service": "pods.eks.amazonaws.com"}))


def test_admin_equivalent_managed_policies_in_any_partition(pack):
    found = judge(pack, [
        (ATTACHMENT, "worker", {"role": "r", "policyArn": WORKER[0]}),
        (ATTACHMENT, "gov-admin", {"role": "r",
                                   "policyArn": "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}),
        (ATTACHMENT, "amplify", {"role": "r",
                                 "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess-Amplify"}),
        (ROLE, "role-admin", {"assumeRolePolicy": POD_TRUST, "managedPolicyArns": [
            "arn:aws-cn:iam::aws:policy/PowerUserAccess"]}),
        ("aws:iam/policyAttachment:PolicyAttachment", "many-roles-admin", {
            "name": "a", "roles": ["r1", "r2"],
            "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}),
    ])
    assert _messages(found, "worker", "ZT-NODE-IDENTITY") == []
    for name in ("gov-admin", "amplify", "role-admin", "many-roles-admin"):
        assert _messages(found, name, "ZT-NODE-IDENTITY"), name


def test_node_role_holds_exactly_the_worker_policies(pack):
    found = judge(pack, [
        (ROLE, "node-worker", {"assumeRolePolicy": NODE_TRUST, "managedPolicyArns": WORKER}),
        (ROLE, "node-extra", {"assumeRolePolicy": NODE_TRUST, "managedPolicyArns": [
            *WORKER, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}),
        # One policy, a string rather than a list.
        (ROLE, "node-cni-string", {"assumeRolePolicy": NODE_TRUST,
                                   "managedPolicyArns": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}),
        # A workload's role may hold what its workload needs.
        (ROLE, "pod-s3", {"assumeRolePolicy": POD_TRUST, "managedPolicyArns": [
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}),
    ])
    assert _messages(found, "node-worker", "ZT-NODE-IDENTITY") == []
    assert _messages(found, "pod-s3", "ZT-NODE-IDENTITY") == []
    assert any("AmazonS3ReadOnlyAccess" in m
               for m in _messages(found, "node-extra", "ZT-NODE-IDENTITY"))
    assert any("AmazonEKS_CNI_Policy" in m
               for m in _messages(found, "node-cni-string", "ZT-NODE-IDENTITY"))


# --- resource policies: KMS keys and buckets --------------------------------------------------

ADMIN = _stmt(Sid="AccountAdministers", Action="kms:*", Resource="*",
              Principal={"AWS": ACCOUNT_ROOT})


def test_key_policy_wildcard_principals(pack):
    found = judge(pack, [
        (KEY, "named", {"enableKeyRotation": True, "policy": _doc(ADMIN)}),
        (KEY, "default-policy", {"enableKeyRotation": True}),
        (KEY, "anyone", {"enableKeyRotation": True, "policy": _doc(ADMIN, _stmt(
            Action=["kms:Decrypt"], Resource="*", Principal={"AWS": ["*"]}))}),
        (KEY_POLICY, "anyone-object", {"keyId": "k", "policy": _doc(_stmt(
            Action="kms:*", Resource="*", Principal="*"), as_text=False, single=True)}),
    ])
    assert _messages(found, "named", "ZT-SECRETS-KMS") == []
    assert _messages(found, "default-policy", "ZT-SECRETS-KMS") == []
    assert any("policy Statement[1] allows AWS: *" in m
               for m in _messages(found, "anyone", "ZT-SECRETS-KMS"))
    assert _messages(found, "anyone-object", "ZT-SECRETS-KMS")


def test_bucket_policy_public_as_s3_defines_it(pack):
    get = {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": "*"}
    found = judge(pack, [
        (BUCKET_POLICY, "deny-insecure", {"bucket": "b", "policy": _doc(_stmt(
            "Deny", Action="s3:*", Resource="*", Principal="*",
            Condition={"Bool": {"aws:SecureTransport": "false"}}))}),
        (BUCKET_POLICY, "private-vpc-range", {"bucket": "b", "policy": _doc(_stmt(
            **get, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))}),
        (BUCKET_POLICY, "public", {"bucket": "b", "policy": _doc(_stmt(**get))}),
        # The whole Internet in two halves is no restriction (ztc_policy/addresses.py).
        (BUCKET_POLICY, "split-internet", {"bucket": "b", "policy": _doc(_stmt(
            **get, Condition={"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}))}),
    ])
    assert _messages(found, "deny-insecure", "ZT-AUDIT-IMMUTABLE") == []
    assert _messages(found, "private-vpc-range", "ZT-AUDIT-IMMUTABLE") == []
    assert _messages(found, "public", "ZT-AUDIT-IMMUTABLE")
    assert _messages(found, "split-internet", "ZT-AUDIT-IMMUTABLE")


def test_an_unknown_document_is_not_verified_never_passed(pack):
    found = judge(pack, [(ROLE_POLICY, "unknown", {"role": "r", "policy": UNKNOWN})])
    assert [(p, "[ZT-NODE-IDENTITY] policy could not be verified" in m)
            for p, m in found["unknown"]] == [("not-verifiable-at-preview", True)]
