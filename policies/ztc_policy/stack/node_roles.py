"""A node role's attached managed policies, across resources: a RolePolicyAttachment names its
role only by name (or through its dependency on the role), so which attachments give a node
role its permissions is a question about the stack, not one resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import types as t
from ..findings import Finding, fail, unverifiable
from ..rules.aws import node_trust, policy_name
from ..values import is_unknown, lookup
from .posture import Posture


def node_role_policies(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every managed policy attached to a role EC2 instances assume (its trust policy allows
    ec2.amazonaws.com) is one of the worker policies (config nodeRolePolicies;
    https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html)."""
    c = "ZT-NODE-IDENTITY"
    own = p.ownership
    allowed = {n.casefold() for n in cfg.get("nodeRolePolicies") or []}
    roles = [n for n in own.nodes if n.type == t.IAM_ROLE and node_trust(n.props)]
    if not roles:
        return []
    by_name = {lookup(r.props, "name"): r for r in roles}
    by_urn = {r.urn: r for r in roles}
    out = []
    for a in own.nodes:
        if a.type != t.IAM_ROLE_POLICY_ATTACHMENT:
            continue
        role = next((by_urn[u] for u in a.prop_deps.get("role", []) if u in by_urn), None)
        named = lookup(a.props, "role")
        if role is None and isinstance(named, str):
            role = by_name.get(named)
        if role is None:  # no property dependency recorded: the one node role it depends on
            linked = [by_urn[u] for u in a.deps if u in by_urn]
            role = linked[0] if len(linked) == 1 else None
        if role is None:
            continue
        owner = own.owner.get(role.urn)
        cluster = own.display.get(owner) if owner else None
        arn = lookup(a.props, "policyArn")
        if is_unknown(arn):
            out.append(unverifiable(c, f"policyArn of an attachment to node role {role.name}",
                                    urn=a.urn, cluster=cluster))
        elif policy_name(arn) not in allowed:
            out.append(fail(c, f"node role {role.name} (trusted by ec2.amazonaws.com) gets "
                            f"{arn!r:.120}; a node role holds only "
                            f"{', '.join(sorted(cfg.get('nodeRolePolicies') or []))} "
                            "(config nodeRolePolicies); give other permissions to a workload "
                            "role through Pod Identity", urn=a.urn, cluster=cluster))
    return out
