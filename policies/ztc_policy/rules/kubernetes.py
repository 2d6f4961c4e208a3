"""The in-cluster baseline: namespaces (PSA), RuntimeClass, RBAC."""

from __future__ import annotations

from .. import types as t
from ..catalog import SANDBOX_RUNTIME_CLASS
from ..findings import expect, fail, unverifiable
from ..values import MISSING, UNKNOWN, as_list, is_unknown, lookup
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
    return out
