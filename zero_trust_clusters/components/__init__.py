"""Zero-Trust Clusters: reusable Pulumi components for EKS, AKS and GKE with one posture."""
