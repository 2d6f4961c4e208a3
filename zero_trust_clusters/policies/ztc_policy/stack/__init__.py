"""Stack rules: ownership of resources by clusters, evidence, parity and cross-cluster checks."""
