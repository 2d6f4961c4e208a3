"""Project-wide guardrails, shared by every GKE cluster of one GCP project in a stack.

Some GCP settings are project singletons: the Binary Authorization policy, the IAM audit config
of a service, API enablement. Declaring them in each cluster would make two clusters of one
project overwrite each other, and deleting one cluster would reset them for the other. So the
first `GkeCluster` of a project in a program creates one `ztc:gcp:ProjectGuardrails` (named
after the project, so its URN never depends on cluster order) and later clusters reuse it.
"""

from __future__ import annotations

import weakref

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.gcp.binauthz import Attestation, build_attestation
from zero_trust_clusters.components.spec import ImageProvenance

TYPE_TOKEN = "ztc:gcp:ProjectGuardrails"

REQUIRED_SERVICES = (
    "binaryauthorization.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "containeranalysis.googleapis.com",
    "logging.googleapis.com",
    "storage.googleapis.com",
)
# Kubernetes API reads and writes are Data Access logs: off unless enabled per service.
AUDITED_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


class ProjectGuardrails(pulumi.ComponentResource):
    provider: gcp.Provider
    attestation: Attestation
    audit_config: gcp.projects.IAMAuditConfig
    services: tuple[gcp.projects.Service, ...]

    def __init__(
        self, project: str, provenance: ImageProvenance, admitted_images: tuple[str, ...],
        provider: gcp.Provider | None = None,
    ):
        name = f"{project}-guardrails"
        super().__init__(TYPE_TOKEN, name, None, None)
        self.project = project
        # The caller's provider when it gave one (a cluster's explicit provider), else our own.
        self.provider = provider or gcp.Provider(
            f"{project}-project", project=project, opts=pulumi.ResourceOptions(parent=self)
        )
        opts = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.services = tuple(
            gcp.projects.Service(
                f"{project}-{service.split('.')[0]}",
                project=project,
                service=service,
                # Other workloads of the project may use the API too: never turn it off.
                disable_on_destroy=False,
                opts=opts,
            )
            for service in REQUIRED_SERVICES
        )
        after_services = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=list(self.services))
        )
        self.audit_config = gcp.projects.IAMAuditConfig(
            f"{project}-gke-data-access",
            project=project,
            service="container.googleapis.com",
            audit_log_configs=[
                gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=t) for t in AUDITED_LOG_TYPES
            ],
            opts=after_services,
        )
        self.attestation = build_attestation(
            project,
            project,
            provenance,
            admitted_images,
            after_services,
            pulumi.InvokeOptions(parent=self, provider=self.provider),
        )
        self.register_outputs(
            {
                "project": project,
                "attestor": self.attestation.attestor.id,
                "policy": self.attestation.policy.id,
            }
        )


# One guardrails component per (program run, project): keyed on the run's root Stack resource.
_registry: weakref.WeakKeyDictionary[object, dict[str, ProjectGuardrails]] = (
    weakref.WeakKeyDictionary()
)


def guardrails_for(
    project: str, provenance: ImageProvenance, admitted_images: tuple[str, ...],
    provider: gcp.Provider | None = None,
) -> ProjectGuardrails:
    """The project's guardrails; `admitted_images` are the baseline's own image references
    (the same for every cluster of a stack: they come from the posture, not the cluster).
    `provider`: the first cluster's explicit provider, used for the guardrails too."""
    root = pulumi.runtime.get_root_resource()
    if root is None:  # no stack (a bare set_mocks test): nothing to share with
        return ProjectGuardrails(project, provenance, admitted_images, provider)
    per_run = _registry.setdefault(root, {})
    if project not in per_run:
        per_run[project] = ProjectGuardrails(project, provenance, admitted_images, provider)
    return per_run[project]
