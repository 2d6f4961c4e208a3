"""Node identities' effective permissions, over the pack's real gRPC (ZT-NODE-IDENTITY): no
Owner/Contributor on a subscription or wider on Azure (the kubelet's identity included), no
basic roles on a GCP project, no Compute Engine default account on GKE nodes, whatever the
spelling (issue 14, "judge meaning"). AWS node roles: test_documents_grpc.py."""

from __future__ import annotations

import json

from policy_testkit.verdicts import judge

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
MEMBER = "gcp:projects/iAMMember:IAMMember"
BINDING = "gcp:projects/iAMBinding:IAMBinding"
POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
POOL = "gcp:container/nodePool:NodePool"
C = "ZT-NODE-IDENTITY"

SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"  # Managed Identity Operator
KUBELET = "11111111-2222-3333-4444-555555555555"


def _assign(role: str, scope: str) -> dict:
    return {"principalId": KUBELET, "principalType": "ServicePrincipal", "scope": scope,
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"}


def _mine(found: dict) -> dict[str, list[str]]:
    return {name: [m for p, m in v if p == C] for name, v in found.items()}


def test_no_owner_or_contributor_on_a_subscription_or_wider(pack):
    rg = f"{SUB}/resourceGroups/rg-dev-azure"
    mine = _mine(judge(pack, [
        (ASSIGNMENT, "operator-on-subscription", _assign(OPERATOR, SUB)),
        (ASSIGNMENT, "contributor-on-group", _assign(CONTRIBUTOR, rg)),
        (ASSIGNMENT, "owner-on-subscription", _assign(OWNER, SUB)),
        (ASSIGNMENT, "contributor-trailing-slash", _assign(CONTRIBUTOR, SUB + "/")),
        (ASSIGNMENT, "owner-capital-guid", _assign(OWNER.upper(), SUB.upper())),
        (ASSIGNMENT, "owner-management-group", _assign(
            OWNER, "/providers/Microsoft.Management/managementGroups/platform")),
        (ASSIGNMENT, "owner-tenant-root", _assign(OWNER, "/")),
    ]))
    assert mine["operator-on-subscription"] == [] and mine["contributor-on-group"] == []
    for name in ("owner-on-subscription", "contributor-trailing-slash", "owner-capital-guid",
                 "owner-management-group", "owner-tenant-root"):
        assert any("is assigned at scope" in m for m in mine[name]), name


def test_no_basic_roles_on_the_project_in_any_resource_shape(pack):
    sa = "serviceAccount:nodes@p.iam.gserviceaccount.com"
    mine = _mine(judge(pack, [
        (MEMBER, "node-role", {"project": "p", "member": sa,
                               "role": "roles/container.defaultNodeServiceAccount"}),
        (MEMBER, "editor", {"project": "p", "member": sa, "role": "roles/editor"}),
        (MEMBER, "owner-capital", {"project": "p", "member": sa, "role": "roles/Owner"}),
        (BINDING, "binding-owner", {"project": "p", "members": [sa], "role": "roles/owner"}),
        (POLICY, "policy-editor", {"project": "p", "policyData": json.dumps({"bindings": [
            {"role": "roles/artifactregistry.reader", "members": [sa]},
            {"role": "roles/editor", "members": [sa]}]})}),
        (POLICY, "policy-not-json", {"project": "p", "policyData": "bindings: []"}),
    ]))
    assert mine["node-role"] == []
    for name in ("editor", "owner-capital", "binding-owner", "policy-editor"):
        assert any("on the whole project" in m for m in mine[name]), name
    assert any("policyData" in m for m in mine["policy-not-json"])


def test_gke_nodes_never_run_as_the_compute_default_account(pack):
    def pool(account):
        return {"nodeConfig": {"serviceAccount": account,
                               "workloadMetadataConfig": {"mode": "GKE_METADATA"}}}

    mine = _mine(judge(pack, [
        (POOL, "dedicated", pool("nodes@p.iam.gserviceaccount.com")),
        (POOL, "default-capital", pool("DEFAULT")),
        (POOL, "compute-default-mixed-case",
         pool(" 123456789-Compute@Developer.GServiceAccount.com")),
    ]))
    assert mine["dedicated"] == []
    for name in ("default-capital", "compute-default-mixed-case"):
        assert any("nodeConfig.serviceAccount is" in m for m in mine[name]), name


# --- the AWS node role's attachments (a stack rule: attachments name roles by reference) -----

NODE_ROLE_POLICY = "ZT-NODE-IDENTITY-node-role-policies"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]})


def _node_role_findings(pack, extra=()) -> list[str]:
    from policy_testkit.grpc_helpers import run
    from policy_testkit.handwritten import build, urn

    estate = build()
    role = estate.named("hand-aws-node-role")
    role.inputs = {"name": "ztc-hand-aws-node", "assumeRolePolicy": EC2_TRUST}
    for name, inputs, by_dependency in extra:
        estate.add(POLICY_ATTACHMENT if "roles" in inputs else ATTACHMENT, name, inputs,
                   deps=[urn("aws:iam/role:Role", "hand-aws-node-role")] if by_dependency else [])
    return [d.message for d in run(pack, estate.resources).mandatory
            if d.policy_name == NODE_ROLE_POLICY]


def test_node_role_attachments_are_exactly_the_worker_policies(pack):
    # The hand-written node role: AmazonEKSWorkerNodePolicy only.
    assert _node_role_findings(pack) == []
    found = _node_role_findings(pack, [
        ("hand-aws-node-s3", {"role": "r", "policyArn":
                              "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}, True),
        # Linked by the role's name only, in another partition, a customer policy.
        ("hand-aws-node-own", {"role": "ztc-hand-aws-node", "policyArn":
                               "arn:aws-cn:iam::111122223333:policy/nodes-extra"}, False),
    ])
    assert len(found) == 2, found
    assert any("AmazonS3ReadOnlyAccess" in m and "(cluster hand-aws)" in m for m in found)
    assert any("nodes-extra" in m for m in found)


def test_a_policy_attachment_listing_the_node_role_is_judged_too(pack):
    found = _node_role_findings(pack, [
        ("hand-aws-node-ec2", {"name": "x", "roles": ["ztc-hand-aws-node", "other"],
                               "policyArn": "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"},
         False),
    ])
    assert len(found) == 1 and "AmazonEC2ReadOnlyAccess" in found[0], found
