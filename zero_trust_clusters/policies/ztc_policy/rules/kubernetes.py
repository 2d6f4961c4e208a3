"""The in-cluster baseline: namespaces (PSA), RuntimeClass, RBAC, image policy, the mesh."""

from __future__ import annotations

import re

from .. import types as t
from ..catalog import SANDBOX_RUNTIME_CLASS
from ..findings import expect, fail, shown, unverifiable
from ..values import MISSING, UNKNOWN, as_list, contains_unknown, is_unknown, lookup
from .registry import rule

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
SANDBOX_HANDLERS = ("runsc", "gvisor", "kata", "kata-vm-isolation", "kata-qemu", "kata-clh",
                    "kata-fc", "kata-mshv-vm-isolation")


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


# Subjects every caller is in: the anonymous user, and the groups of every unauthenticated or
# every authenticated caller (https://kubernetes.io/docs/reference/access-authn-authz/rbac/
# #referring-to-subjects, "system:authenticated", "system:unauthenticated"). A binding to any of
# them, whatever the role, grants that role to everyone who can reach the API server (on GKE
# system:authenticated is any Google account: https://cloud.google.com/kubernetes-engine/docs/
# how-to/hardening-your-cluster#restrict-insecure-bindings). The API server compares names
# exactly; a spelling that differs only in case or spaces is refused too (fail closed).
EVERYONE = ("system:anonymous", "system:unauthenticated", "system:authenticated")


def everyone_subject(subject: object) -> str | None:
    """Why a binding subject stands for everyone, or None."""
    if not isinstance(subject, dict):
        return f"subject {shown(subject)} is not an object"
    name = subject.get("name")
    if not isinstance(name, str):
        return f"subject name {shown(name)} is not a string"
    if name in EVERYONE:
        return f"{subject.get('kind') or 'subject'} {name}"
    folded = name.strip().casefold()
    if folded in EVERYONE:
        return f"{subject.get('kind') or 'subject'} {name!r} (spelt like {folded})"
    return None


@rule("ZT-IAM-ONLY", "kubernetes", t.K8S_CLUSTER_ROLE_BINDING, t.K8S_ROLE_BINDING,
      summary="no bindings for anonymous users")
def no_anonymous_bindings(r, cfg):
    subjects = lookup(r.props, "subjects")
    if contains_unknown(subjects):
        return [unverifiable("ZT-IAM-ONLY", "subjects")]
    role = lookup(r.props, "roleRef.name")
    out = []
    for s in as_list(subjects):
        why = everyone_subject(s)
        if why:
            out.append(fail("ZT-IAM-ONLY", f"binding {k8s_name(r)} grants {shown(role)} to {why}:"
                            " everyone who reaches the API server; bind named groups only"))
    return out


# --- label selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
# #resources-that-support-set-based-requirements): matchLabels AND every matchExpression. ----
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class SelectorError(ValueError):
    """A selector the API server would refuse (it names the field)."""


def selects(selector: object, labels: object) -> bool:
    """Whether a LabelSelector matches an object with `labels`. An absent or empty selector
    matches everything; a malformed one raises SelectorError (the API server refuses it)."""
    if selector is MISSING or selector is None:
        return True
    if not isinstance(selector, dict):
        raise SelectorError(f"selector {shown(selector)} is not an object")
    labels = labels if isinstance(labels, dict) else {}
    match = selector.get("matchLabels") or {}
    if not isinstance(match, dict):
        raise SelectorError(f"matchLabels {shown(match)} is not an object")
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in as_list(selector.get("matchExpressions")):
        if not isinstance(expr, dict) or expr.get("operator") not in SELECTOR_OPERATORS:
            raise SelectorError(f"matchExpressions entry {shown(expr)} has no operator of "
                                f"{', '.join(SELECTOR_OPERATORS)} (the API server is "
                                "case-sensitive)")
        key, op, values = expr.get("key"), expr["operator"], as_list(expr.get("values"))
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def selects_everything(selector: object) -> bool:
    """An empty selector ({} or absent): every pod / namespace / node."""
    if selector is MISSING or selector is None:
        return True
    return isinstance(selector, dict) and not selector.get("matchLabels") and not as_list(
        selector.get("matchExpressions"))


# --- NetworkPolicy by effect (https://kubernetes.io/docs/concepts/services-networking/
# network-policies/): policies are additive; a pod is isolated in a direction once any policy
# of that type selects it, and then admits the union of every selecting policy's rules. --------
DIRECTIONS = {"Ingress": ("ingress", "from"), "Egress": ("egress", "to")}


def policy_types(props) -> set[str]:
    """`spec.policyTypes`; when unset, Ingress always and Egress if the policy has egress
    rules (the API server's default). A value other than Ingress/Egress raises SelectorError:
    the API server refuses it (the values are case-sensitive)."""
    given = lookup(props, "spec.policyTypes")
    if given is MISSING:
        return {"Ingress"} | ({"Egress"} if lookup(props, "spec.egress") is not MISSING else set())
    types_ = as_list(given)
    odd = [x for x in types_ if x not in DIRECTIONS]
    if odd:
        raise SelectorError(f"spec.policyTypes has {shown(odd)}; the API server accepts only "
                            "Ingress and Egress")
    return set(types_)


def allow_all_rules(props, direction: str) -> list[int]:
    """Indexes of rules admitting every peer on every port: `- {}` (no peers, no ports), or a
    peer that names nothing (`from: [{}]`, which the API server refuses: read as any peer)."""
    key, peers = DIRECTIONS[direction]
    out = []
    for i, rule_ in enumerate(as_list(lookup(props, f"spec.{key}"))):
        if not isinstance(rule_, dict):
            out.append(i)
            continue
        listed = as_list(rule_.get(peers))
        if not as_list(rule_.get("ports")) and (
                not listed or any(not isinstance(x, dict) or not x for x in listed)):
            out.append(i)
    return out


def is_default_deny(props) -> bool:
    """One policy that isolates every pod in both directions and admits nothing."""
    try:
        types_ = policy_types(props)
    except SelectorError:
        return False
    return (selects_everything(lookup(props, "spec.podSelector")) and types_ == set(DIRECTIONS)
            and not as_list(lookup(props, "spec.ingress"))
            and not as_list(lookup(props, "spec.egress")))


def namespace_isolation(policies: list) -> list[str]:
    """What keeps a namespace's pods from being denied by default, judged over all its
    NetworkPolicies together: a direction no all-pods policy isolates, or an allow-all rule in
    a policy selecting every pod (it reopens that direction for every pod)."""
    problems: list[str] = []
    isolated: set[str] = set()
    for n in policies:
        where = f"NetworkPolicy {k8s_name(n)}"
        try:
            types_ = policy_types(n.props)
            everything = selects_everything(lookup(n.props, "spec.podSelector"))
            if not everything:
                selects(lookup(n.props, "spec.podSelector"), {})  # refuse malformed ones
        except SelectorError as error:
            problems.append(f"{where}: {error}")
            continue
        if not everything:
            continue  # narrower: isolates (and opens) only some pods
        isolated |= types_
        for direction in sorted(types_):
            for i in allow_all_rules(n.props, direction):
                problems.append(f"{where} {DIRECTIONS[direction][0]}[{i}] admits every peer on "
                                f"every port for every pod: {direction.lower()} is not denied "
                                "by default")
    for direction in DIRECTIONS:
        if direction not in isolated:
            problems.append(f"no NetworkPolicy selecting every pod (podSelector {{}}) isolates "
                            f"{direction.lower()}")
    return problems


SIGSTORE_POLICY_TYPES = (
    "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy",
    "kubernetes:policy.sigstore.dev/v1alpha1:ClusterImagePolicy",
)


# ClusterImagePolicy fields: the vendored CRD (zero_trust_clusters/engine/schema/data/crds/policy-controller)
# and https://docs.sigstore.dev/policy-controller/overview/ ("mode: enforce (default) | warn";
# a `static` authority "does not validate signatures" but applies `action: pass | fail`).
IMAGE_POLICY_MODES = ("enforce", "warn")
_ANY_REGEX = frozenset({".*", ".+", "^.*$", "^.+$", ".*$", "^.*", "(.*)", ""})


def broad_registry(glob: object) -> bool:
    """A glob whose registry part is a wildcard (`*`, `**`, `*.io/**`, `*/**`): it names no
    registry, so it does not confine images to trusted ones."""
    if not isinstance(glob, str) or not glob.strip():
        return True
    registry = glob.split("/", 1)[0] if "/" in glob else glob
    return any(ch in registry for ch in "*?[")


@rule("ZT-IMAGE-PROVENANCE", "kubernetes", *SIGSTORE_POLICY_TYPES,
      summary="image policy pins registries and signers")
def image_policy(r, cfg):
    c = "ZT-IMAGE-PROVENANCE"
    if contains_unknown(lookup(r.props, "spec")):
        return [unverifiable(c, "spec.images / spec.authorities / spec.mode")]
    images, authorities = lookup(r.props, "spec.images"), lookup(r.props, "spec.authorities")
    name = f"ClusterImagePolicy {k8s_name(r)}"
    out = []
    mode = lookup(r.props, "spec.mode")
    if mode is not MISSING and mode != "enforce":
        out.append(fail(c, f"{name} spec.mode is {shown(mode)}: "
                        + ("unsigned images are admitted with a warning" if mode == "warn" else
                           f"the policy-controller accepts only {', '.join(IMAGE_POLICY_MODES)}")
                        + "; use enforce"))
    globs = [i.get("glob") if isinstance(i, dict) else i for i in as_list(images)]
    broad = [g for g in globs if broad_registry(g)]
    if not globs or broad:
        out.append(fail(c, f"{name} images {shown(broad or 'unset')} do not restrict "
                        "registries: name each trusted registry (e.g. ghcr.io/acme/**)"))
    if not as_list(authorities):
        out.append(fail(c, f"{name} has no authorities: no signature is required"))
    for i, a in enumerate(as_list(authorities)):
        out.extend(_authority_problems(name, i, a, globs))
    return out


def _authority_problems(name: str, i: int, a: object, globs: list) -> list:
    c, where = "ZT-IMAGE-PROVENANCE", f"{name} authorities[{i}]"
    if not isinstance(a, dict):
        return [fail(c, f"{where} is {shown(a)}, not an object")]
    static = a.get("static")
    if static is not None:
        action = static.get("action") if isinstance(static, dict) else static
        if action == "fail":
            return []
        if action != "pass":
            return [fail(c, f"{where}.static.action is {shown(action)}; only pass and fail "
                            "exist")]
        # A static `pass` admits without any signature: only for exact pinned images (the
        # mesh's injected proxy), never for a registry or repository pattern.
        loose = [g for g in globs if not _exact_image(g)]
        return [fail(c, f"{name} admits {loose} without a signature (static pass): a static "
                        "authority may only name exact image references")] if loose else []
    keyless = a.get("keyless")
    if isinstance(keyless, dict):
        identities = as_list(keyless.get("identities"))
        if not identities:
            return [fail(c, f"{where}.keyless has no identities: any certificate the CA issued "
                            "(anyone's) would do")]
        for j, ident in enumerate(identities):
            ident = ident if isinstance(ident, dict) else {}
            for field, exact in (("issuer", "issuer"), ("subject", "subject")):
                value, regex = ident.get(exact), ident.get(f"{field}RegExp")
                if not (isinstance(value, str) and value) and (
                        not isinstance(regex, str) or regex.strip() in _ANY_REGEX):
                    return [fail(c, f"{where}.keyless.identities[{j}] accepts any {field} "
                                    f"({field}={shown(value)}, {field}RegExp={shown(regex)})")]
    return []


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
# (zero_trust_clusters/components/kubernetes/mesh.py).
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


# --- other admission engines, by what they enforce -------------------------------------------
# ValidatingAdmissionPolicyBinding.validationActions: Deny, Warn, Audit (case-sensitive; only
# Deny refuses a request), and the policy's failurePolicy Fail (default) or Ignore
# (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
VAP_ACTIONS = ("Deny", "Warn", "Audit")


@rule("ZT-IMAGE-PROVENANCE", "kubernetes", t.K8S_VAP_BINDING,
      summary="admission policy binding denies")
def vap_binding(r, cfg):
    c = "ZT-IMAGE-PROVENANCE"
    actions = lookup(r.props, "spec.validationActions")
    if contains_unknown(actions):
        return [unverifiable(c, "spec.validationActions")]
    odd = [a for a in as_list(actions) if a not in VAP_ACTIONS]
    if odd or "Deny" not in as_list(actions):
        return [fail(c, f"ValidatingAdmissionPolicyBinding {k8s_name(r)} validationActions "
                        f"{shown(actions)} never refuse a request; include Deny "
                        f"(accepted values: {', '.join(VAP_ACTIONS)})")]
    return []


@rule("ZT-IMAGE-PROVENANCE", "kubernetes", t.K8S_VAP, summary="admission policy fails closed")
def vap_failure_policy(r, cfg):
    return expect(r.props, "spec.failurePolicy", lambda v: v == "Fail", default="Fail",
                  control="ZT-IMAGE-PROVENANCE",
                  why=f"ValidatingAdmissionPolicy {k8s_name(r)} failurePolicy is {{value}}: "
                      "a request the policy cannot evaluate is admitted; use Fail")


# Kyverno: a rule's failureAction (rules[].verifyImages[].failureAction or
# rules[].validate.failureAction, Kyverno 1.13+) overrides spec.validationFailureAction, whose
# default is Audit; Kyverno accepts Audit/Enforce in either case
# (https://kyverno.io/docs/policy-types/cluster-policy/validate/#failure-action).
@rule("ZT-IMAGE-PROVENANCE", "kubernetes", *t.KYVERNO_POLICY_TYPES,
      summary="Kyverno image verification enforces")
def kyverno_policy(r, cfg):
    c = "ZT-IMAGE-PROVENANCE"
    spec = lookup(r.props, "spec")
    if contains_unknown(spec):
        return [unverifiable(c, "spec")]
    default = lookup(r.props, "spec.validationFailureAction")
    out = []
    for i, rule_ in enumerate(as_list(lookup(r.props, "spec.rules"))):
        if not isinstance(rule_, dict):
            continue
        checks = [("verifyImages", v) for v in as_list(rule_.get("verifyImages"))]
        if isinstance(rule_.get("validate"), dict):
            checks.append(("validate", rule_["validate"]))
        for kind, block in checks:
            action = block.get("failureAction") if isinstance(block, dict) else None
            action = default if action in (None, MISSING) else action
            action = "Audit" if action is MISSING else action
            if not isinstance(action, str) or action.casefold() != "enforce":
                out.append(fail(c, f"Kyverno policy {k8s_name(r)} rules[{i}].{kind} fails with "
                                f"{shown(action)}: a violating image is admitted; use Enforce"))
    return out
