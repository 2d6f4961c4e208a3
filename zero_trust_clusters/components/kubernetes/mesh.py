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
  admit istiod's own serving names (zero_trust_clusters/components/pki/authority.py).

Why sidecars and not ambient: ztunnel refuses URI name constraints (rustls-webpki >= 0.103.12,
which Istio 1.29.3+ ships; earlier it ignored them), accepts only its own trust domain
(istio/ztunnel src/tls/workload.rs), and its in-pod redirection is bypassed by gVisor
(https://github.com/istio/istio/issues/58573).

Sandboxed namespaces (`workloadNamespaces[].sandboxed`): pods of RuntimeClass `sandboxed`
cannot run the sidecar (`SANDBOX_MESH_GAP`), so they never join the mesh and never talk
plaintext to a meshed pod:
- their namespace is `istio-injection=disabled`, and an admission policy refuses any pod there
  that is not of RuntimeClass `sandboxed`; in meshed namespaces it refuses sandboxed pods
  (they could not start injected) and pods that opt out of injection (`MESH_MEMBERSHIP_VAP`);
- their only egress (NetworkPolicy) is DNS and their own sandbox gateway
  (charts.sandbox_gateway_release): a meshed Envoy with its own ServiceAccount, hence its own
  SPIFFE principal, on the same node (`internalTrafficPolicy: Local`), reachable only from
  that namespace; from there every hop is mTLS;
- a meshed namespace that declares a sandboxed caller names that gateway's principal, never
  the sandbox's (`<td>/ns/istio-system/sa/sandbox-<namespace>`), and its NetworkPolicy admits
  the gateway's pods, not the sandbox's;
- inbound: a sandboxed namespace accepts no in-cluster caller (spec validation), since a meshed
  caller would reach it in plaintext.

Cross-cluster calls (`workloadNamespaces[].ingressFromClusters` + `exportedServices`): the
callee names the callers' principals in the listed clusters' trust domains; each callee
cluster runs an east-west gateway (AUTO_PASSTHROUGH on 15443, internal load balancer admitting
only the peer clusters' ranges) that forwards the still-encrypted mTLS by SNI to the service;
each caller namespace gets, per remote cluster and exported service, a ServiceEntry
(MESH_INTERNAL, endpoint the peer's gateway) and a DestinationRule (ISTIO_MUTUAL, the SNI the
gateway routes on, `subjectAltNames` = the remote service's SPIFFE ID), visible only in that
namespace (`exportTo: ["."]`). The peer gateway's address is the DNS name
`eastwest.<peer trust domain>`, which the deployment must resolve to that internal load
balancer (README, deployment prerequisites).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from zero_trust_clusters.components.catalog import SANDBOX_RUNTIME_CLASS
from zero_trust_clusters.components.kubernetes.charts import (
    EAST_WEST_GATEWAY,
    EAST_WEST_PORT,
    GATEWAY_STATUS_PORT,
    ISTIO_CACERTS,
    ISTIO_NAMESPACE,
    ISTIOD_WEBHOOK_PORT,
    ISTIOD_XDS_PORT,
    MESH_PROXY_IMAGE,
    SANDBOX_GATEWAY_PORT,
    sandbox_gateway_name,
)
from zero_trust_clusters.components.kubernetes.delivery import (
    IssuerMaterial,
    istio_cacerts_data,
    secret_data,
)
from zero_trust_clusters.components.kubernetes.names import meta
from zero_trust_clusters.components.spec import ExportedService, Posture, WorkloadNamespace

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
#   open question (https://github.com/istio/istio/issues/58913, closed unanswered). Kata's
#   default network model on Cloud Hypervisor (AKS) is `tcfilter`: "a TC redirection filter
#   to redirect traffic from eth0's ingress to tap0_kata's egress" (kata-containers
#   docs/design/architecture/networking.md), so the guest's frames bypass the pod namespace's
#   netfilter chains where istio-cni writes its rules; Kata's `l3forwarding` model for Istio is
#   experimental and ambient-only (kata-containers docs/releases/4.1.0.md, istio/istio PR
#   60876). AKS documents no mesh support for Pod Sandboxing
#   (learn.microsoft.com/azure/aks/use-pod-sandboxing). Not tried on a live AKS cluster.
# An injected sandboxed pod fails closed (its istio-validation init container cannot see its
# redirection and the pod never starts; UNCONFIRMED on a live cluster). Hence sandboxed
# namespaces and the admission policies (module docstring): a sandboxed pod in a meshed
# namespace, or a pod opting out of injection there, is refused at admission; where those
# policies are missing the pack says so (advisory `ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh`).
SANDBOX_MESH_GAP = (
    f"pods of RuntimeClass {SANDBOX_RUNTIME_CLASS!r} cannot run the mesh sidecar (the sandbox's "
    "network stack bypasses istio-cni redirection, and in-sandbox redirection needs NET_ADMIN, "
    "which PSA restricted refuses)"
)


INJECTION_DISABLED = "disabled"
# Namespaces whose pods must all be sandboxed (and are outside the mesh).
SANDBOXED_LABEL = "ztc.io/sandboxed"
# Istio's opt-out of injection, as a pod label (and the older annotation the injector still
# reads): https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/
# #controlling-the-injection-policy
INJECT_OPT_OUT = "sidecar.istio.io/inject"
MESH_MEMBERSHIP_VAP = "ztc-mesh-membership"
SANDBOX_ONLY_VAP = "ztc-sandboxed-namespace"
EAST_WEST_SELECTOR = {"istio": EAST_WEST_GATEWAY.removeprefix("istio-")}
# The Kubernetes-local name of a service, as the remote east-west gateway knows it.
CLUSTER_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class MeshPeer:
    """Another cluster of the estate, as this cluster's mesh sees it."""

    name: str
    trust_domain: str
    # Its node and pod ranges: where its callers' connections come from.
    ranges: tuple[str, ...] = ()

    @property
    def east_west_address(self) -> str:
        """The DNS name of its east-west gateway's internal load balancer (a deployment
        prerequisite: README, "Cross-cluster calls")."""
        return f"eastwest.{self.trust_domain}"


def principal(trust_domain: str, namespace: str, service_account: str = "*") -> str:
    """An Istio `source.principals` entry: the SPIFFE ID without `spiffe://` (istio/api
    security/v1beta1/authorization_policy.proto). `*` as the service account is a prefix match
    on the namespace of that trust domain, never on the trust domain itself."""
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def caller_principals(posture: Posture, callee: WorkloadNamespace, source: str,
                      trust_domain: str, peers: Sequence[MeshPeer] = ()) -> list[str]:
    """Who may call `callee` for its declared caller namespace `source`: that namespace's
    workloads in this cluster and in every peer cluster `ingressFromClusters` lists; for a
    sandboxed source, its sandbox gateway in this cluster (its only way into the mesh)."""
    if _namespace(posture, source).sandboxed:
        return [principal(trust_domain, ISTIO_NAMESPACE, sandbox_gateway_name(source))]
    calling = set(callee.calling_clusters([p.name for p in peers]))
    domains = sorted({trust_domain, *(p.trust_domain for p in peers if p.name in calling)})
    return [principal(td, source) for td in domains]


def _namespace(posture: Posture, name: str) -> WorkloadNamespace:
    return next(ns for ns in posture.workload_namespaces if ns.name == name)


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
    ns: WorkloadNamespace, posture: Posture, trust_domain: str, peers: Sequence[MeshPeer] = ()
) -> list[dict]:
    """STRICT, deny by default, and one ALLOW per declared caller namespace, by principal.
    (Rendered in sandboxed namespaces too: no sidecar reads them there, but a pod that ever
    got one would be STRICT and deny-all.)"""
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
                "principals": caller_principals(posture, ns, source, trust_domain, peers),
            }}]}],
        }))
    return objects


def _gateway_listener_allow(name: str, selector: dict[str, str], port: int) -> dict:
    """A gateway's own listener: its callers have no mesh identity to name (sandboxed pods in
    plaintext; remote sidecars whose mTLS the east-west gateway passes through unopened, to be
    authorized by the destination's sidecar), so the root namespace's allow-nothing would shut
    it. Allow that one port of that one gateway; NetworkPolicy says who reaches it."""
    return _authorization_policy(name, ISTIO_NAMESPACE, {
        "selector": {"matchLabels": dict(selector)},
        "action": "ALLOW",
        "rules": [{"to": [{"operation": {"ports": [str(port)]}}]}],
    })


def _istio_policy(name: str, spec: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, "ZT-NETPOL-DEFAULT-DENY", namespace=ISTIO_NAMESPACE),
        "spec": spec,
    }


def sandbox_gateway_objects(posture: Posture, sandboxed: WorkloadNamespace) -> list[dict]:
    """The Istio side of one sandboxed namespace's gateway (its Helm release is in charts.py):
    the listener, who may reach it, and that its listener is open past allow-nothing."""
    name = sandbox_gateway_name(sandboxed.name)
    selector = {"istio": name}
    targets = [ns.name for ns in posture.workload_namespaces
               if sandboxed.name in ns.ingress_from_namespaces]
    objects = [
        _gateway_listener_allow(name, selector, SANDBOX_GATEWAY_PORT),
        _istio_policy(name, {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": sandboxed.name}}}],
                "ports": [{"protocol": "TCP", "port": SANDBOX_GATEWAY_PORT}],
            }],
        }),
    ]
    if targets:
        # One plaintext HTTP server; `hosts: <namespace>/*` binds only VirtualServices of the
        # namespaces that declare this sandbox as a caller (istio/api networking/v1alpha3/
        # gateway.proto Server.hosts, "namespace/dnsName"). Those VirtualServices (written by
        # the service's owners, gateways: [istio-system/<name>]) route to meshed services,
        # over mTLS as this gateway's identity.
        objects.append({
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": meta(name, _C, namespace=ISTIO_NAMESPACE),
            "spec": {
                "selector": selector,
                "servers": [{
                    "port": {"number": SANDBOX_GATEWAY_PORT, "name": "http",
                             "protocol": "HTTP"},
                    "hosts": [f"{t}/*" for t in targets],
                }],
            },
        })
    return objects


def exported_host(service: ExportedService, namespace: str) -> str:
    """The service's name inside its own cluster (what the east-west gateway routes by)."""
    return f"{service.name}.{namespace}.svc.{CLUSTER_DOMAIN}"


def remote_host(service: ExportedService, namespace: str, peer: MeshPeer) -> str:
    """The name callers use for the service on `peer`: distinct per cluster, so it never
    shadows this cluster's own service of the same name."""
    return f"{service.name}.{namespace}.svc.{peer.trust_domain}"


def sni(service: ExportedService, namespace: str) -> str:
    """The SNI an AUTO_PASSTHROUGH gateway routes on: `outbound_.<port>_.<subset>_.<host>`
    (istio/api networking/v1alpha3/gateway.proto ServerTLSSettings AUTO_PASSTHROUGH; the
    clusters pilot builds for it, pilot/pkg/model/gateway.go at 1.30.3)."""
    return f"outbound_.{service.port}_._.{exported_host(service, namespace)}"


def east_west_objects(posture: Posture, estate_ranges: Sequence[str]) -> list[dict]:
    """The callee side: the passthrough listener for exactly the exported services, open past
    allow-nothing on 15443 only, reachable from the estate's ranges (the peers', and this
    cluster's nodes, which a load balancer's traffic may be SNATed to)."""
    exported = [(ns.name, svc) for ns in posture.workload_namespaces if ns.ingress_from_clusters
                for svc in ns.exported_services]
    sources = sorted(estate_ranges)
    return [
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": meta(EAST_WEST_GATEWAY, _C, namespace=ISTIO_NAMESPACE),
            "spec": {
                "selector": EAST_WEST_SELECTOR,
                "servers": [{
                    "port": {"number": EAST_WEST_PORT, "name": "tls", "protocol": "TLS"},
                    # The gateway forwards by SNI without terminating TLS ("the destination
                    # ... encoded in the SNI value", istio/api gateway.proto AUTO_PASSTHROUGH).
                    "tls": {"mode": "AUTO_PASSTHROUGH"},
                    "hosts": sorted(exported_host(svc, ns) for ns, svc in exported),
                }],
            },
        },
        # istiod builds AUTO_PASSTHROUGH filter chains without authorization filters ("We do
        # not want any authz here", pilot/pkg/networking/core/gateway.go at 1.30.3), so neither
        # the root allow-nothing nor this ALLOW acts on 15443 today; the controls there are the
        # Gateway's hosts, the source ranges / NetworkPolicy and the destination sidecar's
        # AuthorizationPolicy. Kept so a later Istio that adds authz there does not cut traffic.
        _gateway_listener_allow(EAST_WEST_GATEWAY, EAST_WEST_SELECTOR, EAST_WEST_PORT),
        _istio_policy(EAST_WEST_GATEWAY, {
            "podSelector": {"matchLabels": EAST_WEST_SELECTOR},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"ipBlock": {"cidr": cidr}} for cidr in sources],
                 "ports": [{"protocol": "TCP", "port": EAST_WEST_PORT}]},
                # The load balancer's health probe of the gateway's readiness endpoint.
                {"ports": [{"protocol": "TCP", "port": GATEWAY_STATUS_PORT}]},
            ],
        }),
    ]


def cross_cluster_routes(posture: Posture, cluster_name: str,
                         peers: Sequence[MeshPeer]) -> list[dict]:
    """The caller side: in each namespace allowed to call an exported service from this
    cluster, one ServiceEntry + DestinationRule per peer cluster and service, seen only there."""
    objects: list[dict] = []
    for callee in posture.workload_namespaces:
        if cluster_name not in callee.calling_clusters([cluster_name]):
            continue
        callers = [s for s in callee.ingress_from_namespaces
                   if not _namespace(posture, s).sandboxed]
        for source in callers:
            for peer in peers:
                for svc in callee.exported_services:
                    objects += _route(source, callee.name, svc, peer)
    return objects


def _route(source: str, namespace: str, svc: ExportedService, peer: MeshPeer) -> list[dict]:
    name = f"{svc.name}-{namespace}-{peer.name}"
    host = remote_host(svc, namespace, peer)
    port_name = f"tcp-{svc.port}"
    return [
        {
            # https://istio.io/latest/docs/reference/config/networking/service-entry/
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": meta(name, _C, namespace=source),
            "spec": {
                "hosts": [host],
                "exportTo": ["."],
                # MESH_INTERNAL: the endpoint is in the mesh, so the sidecar speaks mTLS to it.
                "location": "MESH_INTERNAL",
                "ports": [{"number": svc.port, "name": port_name, "protocol": "TCP"}],
                "resolution": "DNS",
                "endpoints": [{"address": peer.east_west_address,
                               "ports": {port_name: EAST_WEST_PORT}}],
            },
        },
        {
            # https://istio.io/latest/docs/reference/config/networking/destination-rule/
            # (ClientTLSSettings): ISTIO_MUTUAL with `sni` and `subjectAltNames`, which pilot
            # honours in that mode (pilot/pkg/networking/core/cluster_tls.go at 1.30.3).
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": meta(name, _C, namespace=source),
            "spec": {
                "host": host,
                "exportTo": ["."],
                "trafficPolicy": {"tls": {
                    "mode": "ISTIO_MUTUAL",
                    "sni": sni(svc, namespace),
                    "subjectAltNames": [
                        f"spiffe://{principal(peer.trust_domain, namespace, svc.account())}"],
                }},
            },
        },
    ]


def _admission_policy(name: str, expressions: list[tuple[str, str]], selector: dict) -> list[dict]:
    """A ValidatingAdmissionPolicy on pods and its binding (Deny) to namespaces by label
    (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/)."""
    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": meta(name, _C, "ZT-SANDBOX"),
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [{
                    "apiGroups": [""], "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"], "resources": ["pods"],
                }]},
                "validations": [{"expression": e, "message": m} for e, m in expressions],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": meta(name, _C, "ZT-SANDBOX"),
            "spec": {
                "policyName": name,
                "validationActions": ["Deny"],
                "matchResources": {"namespaceSelector": {"matchLabels": selector}},
            },
        },
    ]


_SANDBOXED_POD = (f"has(object.spec.runtimeClassName) && "
                  f"object.spec.runtimeClassName == '{SANDBOX_RUNTIME_CLASS}'")


def _not_opted_out(field: str) -> str:
    value = f"object.metadata.{field}"
    return (f"!has({value}) || !('{INJECT_OPT_OUT}' in {value}) || "
            f"{value}['{INJECT_OPT_OUT}'] != 'false'")


def _opt_out_message(field: str) -> str:
    return (f"pods of a meshed namespace may not opt out of the mesh ({field} "
            f"{INJECT_OPT_OUT}=false); run them in a sandboxed namespace instead")


def membership_policies() -> list[dict]:
    """Who is in the mesh is decided by the namespace, not by the pod: in a meshed namespace no
    sandboxed pod (it could not start injected) and no opt-out of injection; in a sandboxed
    namespace nothing but sandboxed pods."""
    opt_out = [(_not_opted_out(field), _opt_out_message(field))
               for field in ("labels", "annotations")]
    sandboxed_pod = (
        f"pods of RuntimeClass {SANDBOX_RUNTIME_CLASS!r} cannot run the mesh sidecar; run them "
        "in a namespace declared sandboxed (workloadNamespaces[].sandboxed)")
    unsandboxed_pod = (
        "this namespace is sandboxed (outside the mesh): its pods must set runtimeClassName: "
        f"{SANDBOX_RUNTIME_CLASS}")
    return [
        *_admission_policy(MESH_MEMBERSHIP_VAP, [
            (f"!({_SANDBOXED_POD})", sandboxed_pod), *opt_out,
        ], {INJECTION_LABEL: "enabled"}),
        *_admission_policy(SANDBOX_ONLY_VAP, [(_SANDBOXED_POD, unsandboxed_pod)],
                           {SANDBOXED_LABEL: "true"}),
    ]


def _istio_system_network_policies() -> list[dict]:
    """istio-system admits only what the mesh needs: sidecars to istiod's mTLS xDS/CA port, and
    the API server to its webhook (the API server is no pod, so that port has no `from`).
    Plaintext xDS (15010) and monitoring (15014) are refused. istio-cni runs on the host
    network, which NetworkPolicy does not govern; istiod's egress (API server, JWKS) is open."""
    return [
        _istio_policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        _istio_policy("allow-istiod", {
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
    trust_domain: str,
    cluster_name: str = "",
    estate_ranges: Sequence[str] = (),
    peers: Sequence[MeshPeer] = (),
) -> list[dict]:
    """Every mesh object of one cluster (`trust_domain`, `cluster_name`); `estate_ranges`:
    every cluster's node and pod ranges; `peers`: the estate's other clusters."""
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
    objects += membership_policies()
    for ns in posture.workload_namespaces:
        objects += namespace_mesh_policies(ns, posture, trust_domain, peers)
        if ns.sandboxed:
            objects += sandbox_gateway_objects(posture, ns)
    if any(ns.ingress_from_clusters for ns in posture.workload_namespaces):
        objects += east_west_objects(posture, estate_ranges)
    objects += cross_cluster_routes(posture, cluster_name, peers)
    return objects
