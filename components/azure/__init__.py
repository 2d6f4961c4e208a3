"""The hardened AKS cluster (pulumi-azure-native v3)."""

from components.azure.component import AksCluster
from components.azure.sizes import kata_capable, spec_problems

# Same name shape as the other clouds' checks (`eks_problems`): run it before registering.
aks_problems = spec_problems

__all__ = ["AksCluster", "aks_problems", "kata_capable", "spec_problems"]
