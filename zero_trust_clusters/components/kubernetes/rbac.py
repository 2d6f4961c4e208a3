"""RBAC from the portable groups, bound to each cloud's identity for the group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import PORTABLE_GROUPS
from zero_trust_clusters.components.kubernetes.names import meta
from zero_trust_clusters.components.spec import Cloud, PortableGroup, Posture, config_key


def posture_subject_name(cloud: Cloud, role: str, group: PortableGroup) -> str:
    """The posture's identity of `group` that the cloud's authenticator puts in the user's
    groups claim (each cloud's registry entry says which one: EKS access entries map the IAM
    roles to `kubernetesGroup`, AKS the Entra ID object id, GKE the Google Group e-mail)."""
    entry = clouds.get(cloud)
    name = entry.group_identity(group)
    if name is None:
        raise ValueError(
            f"{config_key('posture', 'groups', role, entry.group_identity_key)}: required for a "
            f"{cloud} cluster; set the group's {cloud} identity"
        )
    return name


def group_subject(cloud: Cloud, role: str, group: PortableGroup) -> dict:
    """The RBAC subject of `group` from the posture (`posture_subject_name`)."""
    return _subject(posture_subject_name(cloud, role, group))


def _subject(name: pulumi.Input[str]) -> dict:
    return {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name}


def bound_subject_names(cloud: Cloud, posture: Posture,
                        published: Mapping[str, Any] | None) -> dict[str, str]:
    """Per portable group, the RBAC subject name a cluster binds: the one its cluster
    component published (`groupSubjects`, the cluster's identity after `ClusterArgs.access`),
    else the posture's. A cloud phase deployed before clusters published `groupSubjects`
    (None) binds the posture's groups, as it did then; so does a group it published None for
    (the posture's missing identity is then a keyed error)."""
    names: dict[str, str] = {}
    for role in PORTABLE_GROUPS:
        value = (published or {}).get(role)
        if value is None:
            value = posture_subject_name(cloud, role, getattr(posture.groups, role))
        elif not isinstance(value, str) or not value:
            raise ValueError(f"{config_key('cloudStack')}: the cloud phase's groupSubjects."
                             f"{role} is {value!r}, not a group name; run the cloud phase "
                             "(`pulumi up`) again")
        names[role] = value
    return names


def _role_ref(cluster_role: str) -> dict:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role}


def role_bindings(cloud: Cloud, posture: Posture,
                  subjects: Mapping[str, pulumi.Input[str]] | None = None) -> list[dict]:
    """The portable groups' bindings. `subjects`: per group (admins, developers, auditors),
    the subject name to bind (an Output is fine: the cluster phase's, from the cloud phase's
    `groupSubjects`); a group it lacks binds the posture's identity (`group_subject`)."""
    groups = posture.groups

    def subject(role: str, group: PortableGroup) -> dict:
        given = (subjects or {}).get(role)
        return _subject(given) if given is not None else group_subject(cloud, role, group)

    objects = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta(f"ztc-{role}", "ZT-IAM-ONLY"),
            "roleRef": _role_ref(cluster_role),
            "subjects": [subject(role, group)],
        }
        for role, group, cluster_role in (
            ("admins", groups.admins, "cluster-admin"),
            ("auditors", groups.auditors, "view"),
        )
    ]
    developer = subject("developers", groups.developers)
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
