"""Role-assignment names cover principal, role and scope, and a new name deletes the old
assignment first: ARM refuses to move an assignment to another principal or scope under its
name (RoleAssignmentUpdateNotPermitted) and a second assignment of one role to one principal at
one scope (RoleAssignmentExists),
https://learn.microsoft.com/azure/role-based-access-control/troubleshooting."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import authorization

from tests.azure.support import run_aks
from zero_trust_clusters.components.azure import identity
from zero_trust_clusters.components.cluster import ClusterAccessArgs, GroupAccessArgs

GROUP_A = "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"
GROUP_B = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def _names(admins: str) -> dict[tuple[str, str], str]:
    """(resource name, principal) -> roleAssignmentName, with the admins' Entra group `admins`."""
    run = run_aks(access=ClusterAccessArgs(admins=GroupAccessArgs(azure_group_object_id=admins)))
    return {(r.name, run.inputs(r)["principalId"]): run.inputs(r)["roleAssignmentName"]
            for r in run.of_type(ASSIGNMENT)}


def test_changing_a_groups_principal_changes_its_assignment_names_only():
    with_a, with_b = _names(GROUP_A), _names(GROUP_B)
    admin_a = {name: guid for (name, principal), guid in with_a.items() if principal == GROUP_A}
    admin_b = {name: guid for (name, principal), guid in with_b.items() if principal == GROUP_B}
    assert admin_a and admin_a.keys() == admin_b.keys()
    assert all(admin_a[name] != admin_b[name] for name in admin_a)  # a new assignment each
    others_a = {k: v for k, v in with_a.items() if k[1] != GROUP_A}
    others_b = {k: v for k, v in with_b.items() if k[1] != GROUP_B}
    assert others_a == others_b  # every other assignment keeps its name: no churn


def test_role_assignments_are_deleted_before_they_are_replaced(monkeypatch):
    seen: list[tuple[str, Any]] = []

    class Recording(authorization.RoleAssignment):
        def __init__(self, name: str, args: Any, opts: pulumi.ResourceOptions | None = None):
            seen.append((name, opts))
            super().__init__(name, args, opts=opts)

    monkeypatch.setattr(identity.authorization, "RoleAssignment", Recording)
    run = run_aks()
    assert len(seen) == len(run.of_type(ASSIGNMENT)) > 0
    assert all(opts is not None and opts.delete_before_replace is True for _, opts in seen)
