"""The Zero-Trust Clusters component provider, for `pulumi package add <repo>/provider`.

The Pulumi CLI runs this directory with the Python runtime (PulumiPlugin.yaml) in a virtualenv
built from requirements.txt, which installs this repository; the facades are in
zero_trust_clusters/components/provider (README.md, "Other Pulumi languages").
"""

from zero_trust_clusters.components.provider.host import serve

if __name__ == "__main__":
    serve()
