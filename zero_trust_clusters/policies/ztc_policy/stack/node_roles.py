"""A node role's attached managed policies, across resources: an attachment names its role
only by name (or through its dependency on the role), so which attachments give a node role
its permissions is a question about the stack, not one resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import types as t
from ..findings import Finding, fail, unverifiable
from ..rules.aws import node_trust, policy_name
from ..values import as_list, is_unknown, lookup
from .graph import Node
from .posture import Posture

C = "ZT-NODE-IDENTITY"
# The property of each attachment type that names the role(s) it attaches to.
_ROLE_KEY = {t.IAM_ROLE_POLICY_ATTACHMENT: "role", t.IAM_POLICY_ATTACHMENT: "roles"}


def node_role_policies(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every managed policy attached to a role EC2 instances assume (its trust policy allows
    ec2.amazonaws.com) is one of the worker policies (config nodeRolePolicies;
    https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html)."""
    own = p.ownership
    roles = [n for n in own.nodes if n.type == t.IAM_ROLE and node_trust(n.props)]
    if not roles:
        return []
    by_urn = {r.urn: r for r in roles}
    by_name = {name: r for r in roles if isinstance(name := lookup(r.props, "name"), str)}
    allowed = {n.casefold() for n in cfg.get("nodeRolePolicies") or []}
    out = []
    for a in own.nodes:
        for role in _attached_node_roles(a, by_urn, by_name):
            owner = own.owner.get(role.urn)
            cluster = own.display.get(owner) if owner else None
            arn = lookup(a.props, "policyArn")
            if is_unknown(arn):
                out.append(unverifiable(C, f"policyArn of an attachment to node role "
                                        f"{role.name}", urn=a.urn, cluster=cluster))
            elif policy_name(arn) not in allowed:
                out.append(fail(C, f"node role {role.name} (trusted by ec2.amazonaws.com) gets "
                                f"{arn!r:.120}; a node role holds only "
                                f"{', '.join(sorted(cfg.get('nodeRolePolicies') or []))} "
                                "(config nodeRolePolicies); give other permissions to a "
                                "workload role through Pod Identity", urn=a.urn,
                                cluster=cluster))
    return out


def _attached_node_roles(a: Node, by_urn: dict[str, Node], by_name: dict[str, Node]) -> list[Node]:
    """The node roles an attachment gives its policy to: by property dependency, else by
    name, else its one node-role dependency."""
    key = _ROLE_KEY.get(a.type)
    if key is None:
        return []
    found = [by_urn[u] for u in a.prop_deps.get(key, []) if u in by_urn]
    for name in as_list(lookup(a.props, key)):
        if isinstance(name, str) and name in by_name and by_name[name] not in found:
            found.append(by_name[name])
    if not found:
        linked = [by_urn[u] for u in a.deps if u in by_urn]
        found = linked if len(linked) == 1 else []
    return found
