"""Google Cloud in the cloud registry (components/clouds.py): GKE. Imports no provider SDK."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from components.clouds import CloudEntry
from components.cluster import SandboxPlacement, Toleration
from components.spec import (
    GCP_PROJECT,
    ClusterSpec,
    EstateSpec,
    SpecModel,
    config_key,
    match_pattern,
)


class GcpSettings(SpecModel):
    project: Annotated[
        str, AfterValidator(match_pattern(GCP_PROJECT, "a GCP project id (6-30 lowercase chars)"))
    ]


# GKE Sandbox registers the `gvisor` handler and labels/taints its pools itself
# (https://cloud.google.com/kubernetes-engine/docs/how-to/sandbox-pods).
SANDBOX_LABEL = "sandbox.gke.io/runtime"
SANDBOX_PLACEMENT = SandboxPlacement(
    handler="gvisor",
    node_selector={SANDBOX_LABEL: "gvisor"},
    tolerations=(Toleration(key=SANDBOX_LABEL, value="gvisor"),),
)



def _cluster_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    from components.gcp.validation import cluster_problems

    return cluster_problems(cluster, index)


def _published_lists(cluster: ClusterSpec, index: int | None) -> list[str]:
    from components.gcp.known import problems

    return problems(cluster, index)


def _groups_have_google_groups(spec: EstateSpec) -> list[str]:
    groups = spec.posture.groups
    problems = [
        f"{config_key('posture', 'groups', role, 'gcpGroupEmail')}: required because the stack "
        "has a gcp cluster; set the group's gcp identity"
        for role, group in groups.items()
        if group.gcp_group_email is None
    ]
    if groups.gcp_security_group is None:
        problems.append(f"{config_key('posture', 'groups', 'gcpSecurityGroup')}: required "
                        "because the stack has a gcp cluster; set it to "
                        "gke-security-groups@<your-domain>")
    return problems


ENTRY = CloudEntry(
    name="gcp",
    title="GKE",
    provider_package="gcp",
    component_type="ztc:gcp:GkeCluster",
    settings=GcpSettings,
    settings_required=True,
    sandbox=SANDBOX_PLACEMENT,
    # Google Groups for RBAC puts the group's e-mail in the user's groups.
    group_identity=lambda group: group.gcp_group_email,
    group_identity_key="gcpGroupEmail",
    component="components.gcp.component:GkeCluster",
    checks=(_cluster_checks, _published_lists),
    estate_checks=(_groups_have_google_groups,),
    fakes_module="scripts.engine.fakes.gcp",
    exec_plugin="gke-gcloud-auth-plugin",
)
