"""Hardened GKE: `GkeCluster` implements the zero-trust control catalog on Google Cloud."""

from components.gcp.gke import GkeCluster
from components.gcp.project import ProjectGuardrails
from components.gcp.validation import validate

__all__ = ["GkeCluster", "ProjectGuardrails", "validate"]
