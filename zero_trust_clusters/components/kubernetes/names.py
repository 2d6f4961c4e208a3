"""Names and labels shared by the rendered objects, the component and the tests."""

from __future__ import annotations

from zero_trust_clusters.components.catalog import ControlId, control_id

MANAGED_BY = {"app.kubernetes.io/managed-by": "ztc"}
# Each object names the controls it implements, so reports can read them off the manifest.
CONTROLS_ANNOTATION = "ztc.io/controls"
MASKED_ANNOTATION = "ztc.io/masked"

PSA_MODES = ("enforce", "audit", "warn")
POLICY_CONTROLLER_INCLUDE = "policy.sigstore.dev/include"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace

# The one object that names its cluster: which cluster, cloud and trust domain this is. The
# policy pack reads it to judge a cluster-phase stack (which holds no cloud cluster resource).
CLUSTER_IDENTITY_CONFIGMAP = "ztc-cluster"
CLUSTER_IDENTITY_NAMESPACE = "kube-system"
TRUST_BUNDLE_CONFIGMAP = "ztc-trust-bundle"
TRUST_BUNDLE_KEY = "ca.crt"
CA_ISSUER_SECRET = "ztc-ca-issuer"
CLUSTER_ISSUER = "ztc-ca"
IMAGE_POLICY = "ztc-trusted-images"

FULCIO_URL = "https://fulcio.sigstore.dev"
REKOR_URL = "https://rekor.sigstore.dev"

# The only fields allowed to differ between clouds for the same posture (see tests/kubernetes).
# Everything else in every object is byte-for-byte the same on EKS, AKS and GKE.
PER_CLOUD_FIELDS: dict[str, tuple[str, ...]] = {
    # The cloud's sandbox handler, its pool, and that handler's pod overhead (runtime.py).
    "RuntimeClass": ("handler", "scheduling", "overhead"),
    "ClusterRoleBinding": ("subjects",),  # the cloud's identity for a portable group
    "RoleBinding": ("subjects",),
}


def meta(
    name: str,
    *controls: ControlId,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict:
    """ObjectMeta with our managed-by label and the controls annotation (catalog IDs; an
    unknown one raises `UnknownControlError`)."""
    metadata: dict = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = {**MANAGED_BY, **(labels or {})}
    if controls:
        metadata["annotations"] = {CONTROLS_ANNOTATION: ",".join(control_id(c) for c in controls)}
    return metadata
