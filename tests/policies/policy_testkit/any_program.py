"""The hand-written estate (handwritten.py) hardened with tools our components do not use.

Instead of this project's PKI (pki-root / pki-intermediate dynamic resources) and the Sigstore
policy-controller, every cluster here has:
- the mesh's CA from cert-manager: istio-csr signs with the CA Issuer istio-system/istio-ca,
  whose Secret holds a per-cluster pulumi-tls LocallySignedCert (isCaCertificate) signed by
  one pulumi-tls SelfSignedCert root shared by the three clusters;
- image signatures verified by OPA Gatekeeper with Ratify: Ratify's ConstraintTemplate (its
  Rego asks the external data provider `ratify-provider`), a constraint that denies Pods in
  every namespace but the system ones, the Provider and a notation Verifier (written as
  objects, not through the Ratify chart, which would create the last two).
References are the engine's property dependencies, as at a first preview (PEMs unknown).
"""

from __future__ import annotations

from policy_testkit.handwritten import Estate
from policy_testkit.handwritten import build as build_handwritten

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel
CLUSTERS = ("hand-aws", "hand-azure", "hand-gcp")
SECRET = "kubernetes:core/v1:Secret"
ISSUER = "kubernetes:cert-manager.io/v1:Issuer"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
RELEASE = "kubernetes:helm.sh/v3:Release"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
TEMPLATE = "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate"
CONSTRAINT = "kubernetes:constraints.gatekeeper.sh/v1beta1:RatifyVerification"
PROVIDER = "kubernetes:externaldata.gatekeeper.sh/v1beta1:Provider"
VERIFIER = "kubernetes:config.ratify.deislabs.io/v1beta1:Verifier"

# Ratify's library/default/template.yaml Rego, shortened to its external data call.
RATIFY_REGO = """package ratifyverification

# Get data from Ratify
remote_data := response {
  images := [img | img = input.review.object.spec.containers[_].image]
  response := external_data({"provider": "ratify-provider", "keys": images})
}

violation[{"msg": msg}] {
  err := remote_data.system_error
  err != ""
  msg := sprintf("System error calling external data provider: %s", [err])
}

violation[{"msg": msg}] {
  subject_validation := remote_data.responses[_]
  subject_validation[1].isSuccess == false
  msg := sprintf("Failed to verify the artifact: %s", [subject_validation[0]])
}
"""


def provider_ref(e: Estate, cluster: str) -> str:
    return f"{e.named(f'{cluster}-k8s').urn}::{cluster}-k8s-id"


def tls_root(e: Estate, name: str = "mesh-root") -> tuple[str, str]:
    """A pulumi-tls root: (certificate URN, key URN)."""
    key = e.add(PRIVATE_KEY, f"{name}-key", {"algorithm": "ECDSA", "ecdsaCurve": "P256"})
    cert = e.add(SELF_SIGNED, name, {
        "privateKeyPem": UNKNOWN, "isCaCertificate": True, "validityPeriodHours": 87600,
        "allowedUses": ["cert_signing", "crl_signing"],
        "subject": {"commonName": "hand mesh root", "organization": "hand"}},
        deps=[key], prop_deps={"privateKeyPem": [key]})
    return cert, key


def intermediate(e: Estate, cluster: str, root: tuple[str, str]) -> str:
    """The cluster's intermediate, signed by `root`, in the Secret its CA Issuer reads."""
    root_cert, root_key = root
    key = e.add(PRIVATE_KEY, f"{cluster}-mesh-ca-key", {"algorithm": "ECDSA",
                                                        "ecdsaCurve": "P256"})
    csr = e.add(CERT_REQUEST, f"{cluster}-mesh-ca-csr", {
        "privateKeyPem": UNKNOWN, "subject": {"commonName": f"{cluster} mesh CA"},
        "uris": [f"spiffe://{cluster}.hand.example.com"]},
        deps=[key], prop_deps={"privateKeyPem": [key]})
    cert = e.add(LOCALLY_SIGNED, f"{cluster}-mesh-ca", {
        "certRequestPem": UNKNOWN, "caCertPem": UNKNOWN, "caPrivateKeyPem": UNKNOWN,
        "isCaCertificate": True, "validityPeriodHours": 8760,
        "allowedUses": ["cert_signing", "crl_signing", "digital_signature"]},
        deps=[csr, root_cert, root_key], prop_deps={
            "certRequestPem": [csr], "caCertPem": [root_cert], "caPrivateKeyPem": [root_key]})
    e.add(SECRET, f"{cluster}-istio-ca-secret", {
        "metadata": {"name": "istio-ca", "namespace": "istio-system"},
        "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": UNKNOWN, "tls.key": UNKNOWN, "ca.crt": UNKNOWN}},
        provider=provider_ref(e, cluster), deps=[cert, key, root_cert],
        prop_deps={"stringData": [cert, key, root_cert]})
    return cert


def cert_manager(e: Estate, cluster: str) -> None:
    ref = provider_ref(e, cluster)
    e.add(RELEASE, f"{cluster}-cert-manager", {
        "chart": "cert-manager", "namespace": "cert-manager",
        "values": {"crds": {"enabled": True}}}, provider=ref)
    e.add(ISSUER, f"{cluster}-istio-ca", {
        "metadata": {"name": "istio-ca", "namespace": "istio-system"},
        "spec": {"ca": {"secretName": "istio-ca"}}}, provider=ref)
    e.add(RELEASE, f"{cluster}-istio-csr", {
        "chart": "jetstack/cert-manager-istio-csr", "namespace": "cert-manager",
        "values": {"app": {"certmanager": {"namespace": "istio-system", "issuer": {
            "name": "istio-ca", "kind": "Issuer", "group": "cert-manager.io"}},
            "tls": {"trustDomain": f"{cluster}.hand.example.com"}}}}, provider=ref)


def gatekeeper_ratify(e: Estate, cluster: str) -> None:
    ref = provider_ref(e, cluster)
    e.add(RELEASE, f"{cluster}-gatekeeper", {
        "chart": "gatekeeper/gatekeeper", "namespace": "gatekeeper-system",
        "values": {"validatingWebhookFailurePolicy": "Fail"}}, provider=ref)
    e.add(TEMPLATE, f"{cluster}-ratify-template", {
        "metadata": {"name": "ratifyverification"},
        "spec": {"crd": {"spec": {"names": {"kind": "RatifyVerification"}}},
                 "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": RATIFY_REGO}]}},
        provider=ref)
    e.add(CONSTRAINT, f"{cluster}-ratify-constraint", {
        "metadata": {"name": "ratify-constraint"},
        "spec": {"enforcementAction": "deny", "match": {
            "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
            "excludedNamespaces": ["kube-*", "gatekeeper-system", "istio-system",
                                   "cert-manager"]}}}, provider=ref)
    e.add(PROVIDER, f"{cluster}-ratify-provider", {
        "metadata": {"name": "ratify-provider"},
        "spec": {"url": "https://ratify.gatekeeper-system:6001/ratify/gatekeeper/v1/verify",
                 "timeout": 7, "caBundle": "LS0tLS1CRUdJTi..."}}, provider=ref)
    e.add(VERIFIER, f"{cluster}-verifier-notation", {
        "metadata": {"name": "verifier-notation"},
        "spec": {"name": "notation", "artifactTypes": "application/vnd.cncf.notary.signature",
                 "parameters": {"verificationCertStores": {"certs": ["notation-certs"]}}}},
        provider=ref)


# The handwritten estate's objects this variant replaces.
_OUR_PKI = {"root-ca", *(f"{c}-intermediate" for c in CLUSTERS)}
_SIGSTORE = {f"{c}-{x}" for c in CLUSTERS for x in ("policy-controller", "images", "mesh-proxy")}


def build() -> Estate:
    e = build_handwritten()
    e.resources = [r for r in e.resources if r.name not in _OUR_PKI | _SIGSTORE]
    root = tls_root(e)
    for cluster in CLUSTERS:
        intermediate(e, cluster, root)
        cert_manager(e, cluster)
        gatekeeper_ratify(e, cluster)
    return e
