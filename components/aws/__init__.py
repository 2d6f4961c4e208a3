"""The hardened EKS cluster component (pulumi-aws v7)."""

from components.aws.eks_cluster import EksCluster
from components.aws.validation import eks_problems, validate_eks_cluster

__all__ = ["EksCluster", "eks_problems", "validate_eks_cluster"]
