"""The in-cluster baseline: namespaces (PSA), RuntimeClass, RBAC, image policy, the mesh."""

from __future__ import annotations

import re

from .. import types as t
from ..catalog import SANDBOX_RUNTIME_CLASS
from ..findings import expect, fail, unverifiable
from ..values import MISSING, UNKNOWN, as_list, contains_unknown, is_unknown, lookup
from .registry import rule

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
SANDBOX_HANDLERS = ("runsc", "gvisor", "kata", "kata-vm-isolation", "kata-qemu", "kata-clh",
                    "kata-fc", "kata-mshv-vm-isolation")
ANONYMOUS = ("system:anonymous", "system:unauthenticated")


def k8s_name(r) -> str:
    """metadata.name, or the resource name (what Pulumi auto-names from, minus the suffix)."""
    name = lookup(r.props, "metadata.name")
    return name if isinstance(name, str) and name and not is_unknown(name) else r.name


def is_workload_namespace(name: str, cfg) -> bool:
    return name not in set(cfg.get("systemNamespaces") or [])


@rule("ZT-POD-SECURITY", "kubernetes", t.K8S_NAMESPACE, summary="PSA restricted enforced")
def namespace_psa(r, cfg):
    name = lookup(r.props, "metadata.name")
    if name is UNKNOWN:
        return [unverifiable("ZT-POD-SECURITY", "metadata.name")]
    if not is_workload_namespace(k8s_name(r), cfg):
        return []
    labels = lookup(r.props, "metadata.labels")
    if labels is UNKNOWN:
        return [unverifiable("ZT-POD-SECURITY", "metadata.labels")]
    labels = labels if isinstance(labels, dict) else {}
    if is_unknown(labels.get(PSA_ENFORCE)):
        return [unverifiable("ZT-POD-SECURITY", f"label {PSA_ENFORCE}")]
    if labels.get(PSA_ENFORCE) != "restricted":
        return [fail("ZT-POD-SECURITY", f"workload namespace {k8s_name(r)!r} has {PSA_ENFORCE}="
                     f"{labels.get(PSA_ENFORCE)!r}; label it restricted (or list it in config "
                     "systemNamespaces)")]
    return []


@rule("ZT-SANDBOX", "kubernetes", t.K8S_RUNTIME_CLASS, summary="sandboxed RuntimeClass is a VM")
def runtime_class(r, cfg):
    if k8s_name(r) != SANDBOX_RUNTIME_CLASS:
        return []
    return expect(r.props, "handler", lambda v: isinstance(v, str) and v in SANDBOX_HANDLERS,
                  control="ZT-SANDBOX",
                  why=f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} uses handler {{value}}, which is "
                      "not a VM sandbox (gVisor or Kata)")


@rule("ZT-IAM-ONLY", "kubernetes", t.K8S_CLUSTER_ROLE_BINDING, t.K8S_ROLE_BINDING,
      summary="no bindings for anonymous users")
def no_anonymous_bindings(r, cfg):
    subjects = lookup(r.props, "subjects")
    if subjects is UNKNOWN:
        return [unverifiable("ZT-IAM-ONLY", "subjects")]
    out = []
    role = lookup(r.props, "roleRef.name")
    for s in as_list(subjects):
        if not isinstance(s, dict):
            continue
        who = s.get("name")
        if who in ANONYMOUS:
            out.append(fail("ZT-IAM-ONLY", f"binding grants {role} to {who}"))
        elif who == "system:authenticated" and role == "cluster-admin":
            out.append(fail("ZT-IAM-ONLY", "cluster-admin bound to every authenticated user"))
    return out


def is_default_deny(props) -> bool:
    """podSelector {} with both policy types and no allow rules."""
    selector = lookup(props, "spec.podSelector")
    if selector is not MISSING and (selector or {}).get("matchLabels") or (
            isinstance(selector, dict) and selector.get("matchExpressions")):
        return False
    types_ = as_list(lookup(props, "spec.policyTypes"))
    return ("Ingress" in types_ and "Egress" in types_
            and not as_list(lookup(props, "spec.ingress"))
            and not as_list(lookup(props, "spec.egress")))


SIGSTORE_POLICY_TYPES = (
    "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy",
    "kubernetes:policy.sigstore.dev/v1alpha1:ClusterImagePolicy",
)


@rule("ZT-IMAGE-PROVENANCE", "kubernetes", *SIGSTORE_POLICY_TYPES,
      summary="image policy pins registries and signers")
def image_policy(r, cfg):
    c = "ZT-IMAGE-PROVENANCE"
    images = lookup(r.props, "spec.images")
    authorities = lookup(r.props, "spec.authorities")
    if UNKNOWN in (images, authorities):
        return [unverifiable(c, "spec.images / spec.authorities")]
    out = []
    globs = [i.get("glob") for i in as_list(images) if isinstance(i, dict)]
    if not globs or any(g in ("*", "**", "*/**", "**/*") for g in globs):
        out.append(fail(c, f"ClusterImagePolicy images {globs or 'unset'} do not restrict "
                        "registries"))
    if not as_list(authorities):
        out.append(fail(c, "ClusterImagePolicy has no authorities: no signature is required"))
    # A static `pass` authority admits without any signature: only for exact pinned images
    # (the mesh's injected proxy), never for a registry or repository pattern.
    passes = any(isinstance(a, dict) and isinstance(a.get("static"), dict)
                 and a["static"].get("action") == "pass" for a in as_list(authorities))
    loose = [g for g in globs if not _exact_image(g)]
    if passes and loose:
        out.append(fail(c, f"ClusterImagePolicy admits {loose} without a signature (static "
                        "pass): a static authority may only name exact image references"))
    return out


def _exact_image(glob) -> bool:
    """One image by tag or digest; `@sha256:*` is allowed as the digest the image policy
    resolves a tag to at admission."""
    if not isinstance(glob, str):
        return False
    base = glob.removesuffix("@sha256:*")
    last = base.rsplit("/", 1)[-1]
    return "*" not in base and ("@sha256:" in base or ":" in last)


# --- the mesh (ZT-MTLS-SHARED-ROOT: identities from the shared root, enforced on traffic) -----
MESH = "ZT-MTLS-SHARED-ROOT"
MESH_ROOT_NAMESPACE = "istio-system"  # Istio's root namespace: its policies apply mesh-wide
# `<trust-domain>/ns/<namespace>/sa/<service account or *>`: the only principal shape the pack
# accepts in an ALLOW rule. A `*` anywhere else widens it across trust domains or namespaces.
PRINCIPAL = re.compile(r"^(?P<td>[a-z0-9._-]+)/ns/(?P<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?)"
                       r"/sa/(?P<sa>[a-z0-9]([-a-z0-9.]*[a-z0-9])?|\*)$")
# Source fields an ALLOW rule may not use: they ignore the trust domain (`namespaces`,
# `serviceAccounts` match `.*/ns/<ns>/.*`), trust IP addresses, or allow by exclusion.
BROAD_SOURCE_FIELDS = ("namespaces", "serviceAccounts", "ipBlocks", "remoteIpBlocks",
                       "notPrincipals", "notNamespaces", "notServiceAccounts", "notIpBlocks",
                       "notRemoteIpBlocks")


def mtls_modes(props) -> list[tuple[str, object]]:
    """(where, mode) of a PeerAuthentication: the workload-wide mode and each port's."""
    modes: list[tuple[str, object]] = [("spec.mtls.mode", lookup(props, "spec.mtls.mode"))]
    ports = lookup(props, "spec.portLevelMtls")
    if isinstance(ports, dict):
        for port, setting in ports.items():
            mode = setting.get("mode") if isinstance(setting, dict) else MISSING
            modes.append((f"spec.portLevelMtls.{port}.mode", mode))
    return modes


@rule(MESH, "kubernetes", *t.PEER_AUTHENTICATION_TYPES,
      summary="mTLS STRICT, no PERMISSIVE or DISABLE")
def peer_authentication(r, cfg):
    out = []
    for where, mode in mtls_modes(r.props):
        if is_unknown(mode):
            out.append(unverifiable(MESH, f"PeerAuthentication {k8s_name(r)} {where}"))
        elif mode in ("PERMISSIVE", "DISABLE"):
            out.append(fail(MESH, f"PeerAuthentication {_where(r)} sets {where} {mode}: "
                            "plaintext between workloads would be accepted; use STRICT"))
    return out


def _where(r) -> str:
    ns = lookup(r.props, "metadata.namespace")
    return f"{ns}/{k8s_name(r)}" if isinstance(ns, str) else k8s_name(r)


def allow_sources(props) -> list[dict] | None:
    """The `from[].source` blocks of an ALLOW AuthorizationPolicy's rules; None for a
    DENY/AUDIT/CUSTOM policy. A rule without `from` is an empty source (any caller)."""
    if lookup(props, "spec.action") not in (MISSING, "ALLOW"):
        return None
    spec = lookup(props, "spec")
    rules = spec.get("rules") if isinstance(spec, dict) else None
    sources: list[dict] = []
    for rule_ in rules if isinstance(rules, list) else []:
        froms = rule_.get("from") if isinstance(rule_, dict) else None
        if not froms:
            sources.append({})
            continue
        for item in froms:
            source = item.get("source") if isinstance(item, dict) else None
            sources.append(source if isinstance(source, dict) else {})
    return sources


# The mesh's gateways, by their `istio` pod label (the Istio gateway chart's selector label):
# the east-west gateway passes other clusters' mTLS through unopened, a sandbox gateway takes
# its sandboxed namespace's plaintext; neither has a caller principal to name
# (components/kubernetes/mesh.py).
GATEWAY_LABEL = "istio"
EAST_WEST_GATEWAY = "eastwestgateway"
SANDBOX_GATEWAY_PREFIX = "sandbox-"


def is_mesh_gateway(label: object) -> bool:
    return isinstance(label, str) and (label == EAST_WEST_GATEWAY or (
        label.startswith(SANDBOX_GATEWAY_PREFIX) and len(label) > len(SANDBOX_GATEWAY_PREFIX)))


def gateway_listener_allow(props) -> str | None:
    """The gateway a listener ALLOW opens, or None: in the root namespace, selecting exactly one
    mesh gateway, and every rule only `to: [{operation: {ports: [...]}}]` (no source, no
    other condition). Who reaches that port is the NetworkPolicies' business, checked by the
    stack rules."""
    spec = lookup(props, "spec")
    if lookup(props, "metadata.namespace") != MESH_ROOT_NAMESPACE or not isinstance(spec, dict):
        return None
    labels = lookup(props, "spec.selector.matchLabels")
    rules = spec.get("rules")
    if (not isinstance(labels, dict) or set(labels) != {GATEWAY_LABEL}
            or not is_mesh_gateway(labels[GATEWAY_LABEL]) or spec.get("action", "ALLOW") != "ALLOW"
            or not isinstance(rules, list) or not rules):
        return None
    for rule_ in rules:
        if not isinstance(rule_, dict) or set(rule_) != {"to"}:
            return None
        for to in as_list(rule_["to"]) or [None]:
            operation = to.get("operation") if isinstance(to, dict) and set(to) == {
                "operation"} else None
            if not isinstance(operation, dict) or set(operation) != {"ports"} or not all(
                    isinstance(p, str) and p.isdigit() for p in as_list(operation["ports"])
                    or [None]):
                return None
    return labels[GATEWAY_LABEL]


@rule(MESH, "kubernetes", *t.AUTHORIZATION_POLICY_TYPES,
      summary="ALLOW only named SPIFFE principals")
def authorization_policy(r, cfg):
    if contains_unknown(lookup(r.props, "spec")):
        return [unverifiable(MESH, f"AuthorizationPolicy {_where(r)} spec")]
    if gateway_listener_allow(r.props):
        return []
    sources = allow_sources(r.props)
    out = []
    for source in sources or []:
        broad = [f for f in BROAD_SOURCE_FIELDS if source.get(f)]
        principals = as_list(source.get("principals"))
        if broad:
            out.append(fail(MESH, f"AuthorizationPolicy {_where(r)} allows by {', '.join(broad)}"
                            ", which ignores the caller's trust domain or trusts addresses; "
                            "name callers by full principal (<trust-domain>/ns/<ns>/sa/<sa>)"))
        elif not principals:
            out.append(fail(MESH, f"AuthorizationPolicy {_where(r)} has an ALLOW rule without "
                            "source principals: it admits any caller, authenticated or not"))
        for p in principals:
            if not isinstance(p, str) or not PRINCIPAL.match(p):
                out.append(fail(MESH, f"AuthorizationPolicy {_where(r)} allows principal {p!r}, "
                                "broader than one namespace of one trust domain; use "
                                "<trust-domain>/ns/<namespace>/sa/<service account or *>"))
    return out
