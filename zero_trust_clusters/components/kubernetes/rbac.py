"""RBAC from the portable groups, bound to each cloud's identity for the group."""

from __future__ import annotations

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.kubernetes.names import meta
from zero_trust_clusters.components.spec import Cloud, PortableGroup, Posture, config_key


def group_subject(cloud: Cloud, role: str, group: PortableGroup) -> dict:
    """The RBAC subject the cloud's authenticator puts in the user's groups claim (each cloud's
    registry entry says which of the group's identities that is: EKS access entries map the IAM
    roles to `kubernetesGroup`, AKS the Entra ID object id, GKE the Google Group e-mail)."""
    entry = clouds.get(cloud)
    name = entry.group_identity(group)
    if name is None:
        raise ValueError(
            f"{config_key('posture', 'groups', role, entry.group_identity_key)}: required for a "
            f"{cloud} cluster; set the group's {cloud} identity"
        )
    return {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name}


def _role_ref(cluster_role: str) -> dict:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role}


def role_bindings(cloud: Cloud, posture: Posture) -> list[dict]:
    groups = posture.groups
    objects = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta(f"ztc-{role}", "ZT-IAM-ONLY"),
            "roleRef": _role_ref(cluster_role),
            "subjects": [group_subject(cloud, role, group)],
        }
        for role, group, cluster_role in (
            ("admins", groups.admins, "cluster-admin"),
            ("auditors", groups.auditors, "view"),
        )
    ]
    developer = group_subject(cloud, "developers", groups.developers)
    objects += [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta("ztc-developers", "ZT-IAM-ONLY", namespace=ns.name),
            "roleRef": _role_ref("edit"),  # a ClusterRole bound by a RoleBinding: this namespace only
            "subjects": [developer],
        }
        for ns in posture.workload_namespaces
    ]
    return objects
