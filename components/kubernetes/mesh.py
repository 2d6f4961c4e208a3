"""The mesh (posture.mesh, on by default): Istio in sidecar mode with istio-cni, the shared PKI
plugged in, STRICT mTLS everywhere, and authorization by SPIFFE identity.

What is enforced, per cluster:
- Every workload namespace is injected and STRICT (mesh-wide `PeerAuthentication` in the root
  namespace, and one per namespace): a sidecar refuses plaintext on every inbound port.
- Deny by default: an `allow-nothing` AuthorizationPolicy mesh-wide and in every namespace, plus
  one ALLOW policy per declared edge (`workloadNamespaces[].ingressFromNamespaces`, the same
  graph as the NetworkPolicies), naming the callers by full SPIFFE principal in every cluster's
  trust domain of the estate (`<trust-domain>/ns/<source>/sa/*`). Never `source.namespaces`:
  it matches `.*/ns/<ns>/.*` whatever the trust domain (pilot/pkg/security/authz/model/
  generator.go, https://github.com/istio/istio/blob/1.30.3/).
- A caller from a trust domain the estate does not hold fails the handshake (sidecars accept
  only `TrustDomainsForValidation`, see charts.istio_releases) and matches no principal.
- istiod signs workload certificates with the cluster's intermediate (`cacerts`), whose name
  constraints confine it to the cluster's trust domain (URI subtree, enforced by Envoy) and
  admit istiod's own serving names (components/pki/authority.py).

Why sidecars and not ambient: ztunnel refuses URI name constraints (rustls-webpki >= 0.103.12,
which Istio 1.29.3+ ships; earlier it ignored them), accepts only its own trust domain
(istio/ztunnel src/tls/workload.rs), and its in-pod redirection is bypassed by gVisor
(https://github.com/istio/istio/issues/58573).

Sandboxed pods (RuntimeClass `sandboxed`) are outside the mesh on every cloud, see
`SANDBOX_MESH_GAP`.

Cross-cluster calls: trust and authorization are rendered here (every cluster accepts and
names every estate trust domain); routing to another cluster's service (a ServiceEntry +
ISTIO_MUTUAL DestinationRule in the caller's cluster, an east-west gateway in the callee's) is
per service and not rendered by the baseline (README, "Service-to-service mTLS").
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.catalog import SANDBOX_RUNTIME_CLASS
from components.kubernetes.charts import (
    ISTIO_CACERTS,
    ISTIO_NAMESPACE,
    ISTIOD_WEBHOOK_PORT,
    ISTIOD_XDS_PORT,
    MESH_PROXY_IMAGE,
)
from components.kubernetes.delivery import IssuerMaterial, istio_cacerts_data, secret_data
from components.kubernetes.names import meta
from components.spec import Posture, WorkloadNamespace

_C = "ZT-MTLS-SHARED-ROOT"
PEER_AUTHENTICATION = "default"
ALLOW_NOTHING = "allow-nothing"
MESH_PROXY_IMAGE_POLICY = "ztc-mesh-proxy"
INJECTION_LABEL = "istio-injection"

# Why RuntimeClass `sandboxed` pods cannot join the mesh, on any of our clouds, without
# weakening PSA `restricted`:
# - gVisor (EKS runsc, GKE Sandbox) runs its own network stack and writes link-layer frames
#   straight to the pod's device ("Data link layer packets are written directly to the virtual
#   device inside the network namespace", https://gvisor.dev/docs/user_guide/networking/), so
#   the redirect rules istio-cni writes in the pod network namespace never see the traffic (the
#   same bypass for Linkerd's CNI: https://github.com/linkerd/linkerd2/issues/15611; for
#   Istio ambient: https://github.com/istio/istio/issues/58573). The alternative, rules written
#   inside the sandbox by the istio-init container, needs NET_ADMIN and NET_RAW, which PSA
#   `restricted` refuses (https://istio.io/latest/docs/ops/deployment/application-requirements/)
#   and runsc strips NET_RAW unless started with --net-raw. GKE documented Istio as
#   incompatible with GKE Sandbox (quoted in https://github.com/google/gvisor/issues/170).
# - Kata (AKS Pod Sandboxing) runs the pod in a VM. Kata maintainers say sidecar meshes work
#   with an in-guest istio-init holding NET_ADMIN
#   (https://github.com/kata-containers/kata-containers/issues/13208); with istio-cni it is an
#   open question (https://github.com/istio/istio/issues/58913, closed unanswered) and, by
#   inference from Kata's tc-redirect network model, the guest's frames bypass the pod
#   namespace's netfilter chains. AKS documents no mesh support for Pod Sandboxing
#   (learn.microsoft.com/azure/aks/use-pod-sandboxing). UNCONFIRMED on a live AKS cluster.
# An injected sandboxed pod fails closed (its istio-validation init container cannot see its
# redirection and the pod never starts). A sandboxed pod that opts out of injection
# (`sidecar.istio.io/inject: "false"`) is outside the mesh: meshed servers refuse its plaintext
# (STRICT), and what reaches it is authorized by NetworkPolicy (labels and IPs) only. The pack
# says so for every cluster (advisory `ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh`).
SANDBOX_MESH_GAP = (
    f"pods of RuntimeClass {SANDBOX_RUNTIME_CLASS!r} cannot run the mesh sidecar (the sandbox's "
    "network stack bypasses istio-cni redirection, and in-sandbox redirection needs NET_ADMIN, "
    "which PSA restricted refuses)"
)


def principal(trust_domain: str, namespace: str, service_account: str = "*") -> str:
    """An Istio `source.principals` entry: the SPIFFE ID without `spiffe://` (istio/api
    security/v1beta1/authorization_policy.proto). `*` as the service account is a prefix match
    on the namespace of that trust domain, never on the trust domain itself."""
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def _authorization_policy(name: str, namespace: str, spec: dict) -> dict:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta(name, _C, namespace=namespace),
        "spec": spec,
    }


def _peer_authentication(namespace: str) -> dict:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": meta(PEER_AUTHENTICATION, _C, namespace=namespace),
        "spec": {"mtls": {"mode": "STRICT"}},
    }


def namespace_mesh_policies(
    ns: WorkloadNamespace, trust_domains: Sequence[str]
) -> list[dict]:
    """STRICT, deny by default, and one ALLOW per declared caller namespace, by principal."""
    objects = [
        _peer_authentication(ns.name),
        # ALLOW with no rules matches nothing: with no other ALLOW policy, every request is
        # denied (https://istio.io/latest/docs/reference/config/security/authorization-policy/).
        _authorization_policy(ALLOW_NOTHING, ns.name, {}),
    ]
    for source in ns.ingress_from_namespaces:
        objects.append(_authorization_policy(f"allow-from-{source}", ns.name, {
            "action": "ALLOW",
            "rules": [{"from": [{"source": {
                "principals": [principal(td, source) for td in trust_domains],
            }}]}],
        }))
    return objects


def _istio_system_network_policies() -> list[dict]:
    """istio-system admits only what the mesh needs: sidecars to istiod's mTLS xDS/CA port, and
    the API server to its webhook (the API server is no pod, so that port has no `from`).
    Plaintext xDS (15010) and monitoring (15014) are refused. istio-cni runs on the host
    network, which NetworkPolicy does not govern; istiod's egress (API server, JWKS) is open."""
    def policy(name: str, spec: dict) -> dict:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta(name, "ZT-NETPOL-DEFAULT-DENY", namespace=ISTIO_NAMESPACE),
            "spec": spec,
        }

    return [
        policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        policy("allow-istiod", {
            "podSelector": {"matchLabels": {"app": "istiod"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"namespaceSelector": {}}],
                 "ports": [{"protocol": "TCP", "port": ISTIOD_XDS_PORT}]},
                {"ports": [{"protocol": "TCP", "port": ISTIOD_WEBHOOK_PORT}]},
            ],
        }),
    ]


def mesh_proxy_image_policy() -> dict:
    """The injected sidecar is the one baseline image inside workload pods, where the image
    policy (no-match-policy deny) applies: admit exactly its pinned reference.

    Istio signs its release images with its own key (https://istio.io/latest/docs/ops/
    best-practices/image-signing-validation/), but that key and whether 1.30 signatures are in
    the transparency log could not be confirmed offline, so the image is admitted by exact
    reference instead (static authority), the same trust GKE Binary Authorization gives it.
    policy-controller resolves a tag to `<name>:<tag>@sha256:...` before validating and then
    matches the glob against that string (pkg/apis/glob/glob.go, pkg/webhook/validator.go at
    v0.13.1): both forms are listed, `*` never crosses a `/`."""
    reference = MESH_PROXY_IMAGE.reference
    return {
        "apiVersion": "policy.sigstore.dev/v1beta1",
        "kind": "ClusterImagePolicy",
        "metadata": meta(MESH_PROXY_IMAGE_POLICY, "ZT-IMAGE-PROVENANCE", _C),
        "spec": {
            "images": [{"glob": reference}, {"glob": f"{reference}@sha256:*"}],
            "authorities": [{"name": "pinned-mesh-proxy", "static": {"action": "pass"}}],
        },
    }


def mesh_objects(
    posture: Posture,
    issuer: IssuerMaterial,
    trust_bundle_pem: pulumi.Input[str],
    trust_domains: Sequence[str],
) -> list[dict]:
    """Every mesh object of one cluster. `trust_domains`: every cluster's trust domain in the
    estate (sorted, the same list on every cluster)."""
    objects: list[dict] = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta(ISTIO_CACERTS, _C, namespace=ISTIO_NAMESPACE),
            "type": "Opaque",
            "data": secret_data(istio_cacerts_data, issuer, trust_bundle_pem),
        },
        {
            # istio-cni runs system-node-critical; GKE admits that priority outside kube-system
            # only under such a quota (harmless elsewhere, so every cloud gets the same object).
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta("istio-critical-pods", namespace=ISTIO_NAMESPACE),
            "spec": {
                "hard": {"pods": "1000"},
                "scopeSelector": {"matchExpressions": [{
                    "operator": "In", "scopeName": "PriorityClass",
                    "values": ["system-node-critical"],
                }]},
            },
        },
        # In the root namespace a policy applies to the whole mesh: STRICT and deny by default
        # for every injected workload, including namespaces created after this baseline.
        _peer_authentication(ISTIO_NAMESPACE),
        _authorization_policy(ALLOW_NOTHING, ISTIO_NAMESPACE, {}),
        *_istio_system_network_policies(),
        mesh_proxy_image_policy(),
    ]
    for ns in posture.workload_namespaces:
        objects += namespace_mesh_policies(ns, trust_domains)
    return objects
