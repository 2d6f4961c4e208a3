"""The hardened AKS cluster (pulumi-azure-native v3)."""

from components.azure.component import AksCluster
from components.azure.sizes import kata_capable, spec_problems

__all__ = ["AksCluster", "kata_capable", "spec_problems"]
