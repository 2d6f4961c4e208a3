"""Google-managed service agents that must use our customer-managed keys.

Their e-mails derive from the project *number*, read through the `getProject` invoke so a
stack never hard-codes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp


@dataclass(frozen=True)
class ServiceAgents:
    project_number: pulumi.Output[str]
    # GKE service agent: encrypts Kubernetes Secrets with the database-encryption key.
    gke: pulumi.Output[str]
    # Compute Engine service agent: attaches CMEK-encrypted boot disks to nodes.
    compute: pulumi.Output[str]
    # Cloud Storage service agent: writes CMEK-encrypted objects (audit bucket).
    storage: pulumi.Output[str]


def service_agents(project: str, invoke_opts: pulumi.InvokeOptions) -> ServiceAgents:
    number = gcp.organizations.get_project_output(project_id=project, opts=invoke_opts).number
    storage = gcp.storage.get_project_service_account_output(project=project, opts=invoke_opts)
    return ServiceAgents(
        project_number=number,
        gke=number.apply(
            lambda n: f"serviceAccount:service-{n}@container-engine-robot.iam.gserviceaccount.com"
        ),
        compute=number.apply(
            lambda n: f"serviceAccount:service-{n}@compute-system.iam.gserviceaccount.com"
        ),
        storage=storage.member,
    )
