"""Image provenance through OPA Gatekeeper and Ratify (issue 14 part 2, "any program").

Ratify verifies image signatures for Gatekeeper through external data: a ConstraintTemplate
whose Rego calls `external_data({"provider": "ratify-provider", "keys": images})` and turns a
failed verification into a violation (Ratify's library/default/template.yaml,
https://github.com/ratify-project/ratify/tree/main/library/default), a constraint of that
template's kind (group constraints.gatekeeper.sh) that denies, the external data Provider
(externaldata.gatekeeper.sh/v1beta1 from Gatekeeper 3.11, v1alpha1 before; the Ratify chart
names it `ratify-provider` and points it at `https://<ratify>.<namespace>:6001/ratify/
gatekeeper/v1/verify`, charts/ratify/templates/provider.yaml), and a Ratify Verifier
(config.ratify.deislabs.io/v1beta1) of type notation or cosign: `spec.type`, or the deprecated
`spec.name` where no type is set (api/v1beta1/verifier_types.go). A Helm release of the Ratify
chart stands for the Provider and the verifiers it creates (`_chart_verifiers`).

Judged by effect, as the other admission engines are:
- `spec.enforcementAction` absent means deny (the constraint framework's default,
  open-policy-agent/frameworks constraint/pkg/client/regolib); dryrun and warn admit the pod;
  `scoped` denies where `scopedEnforcementActions` denies at `validation.gatekeeper.sh`;
- `spec.match` (https://open-policy-agent.github.io/gatekeeper/website/docs/howto#the-match-
  field): `kinds` must reach Pods (apiGroups "" or "*", kinds Pod or "*"; absent: every kind),
  `scope` Cluster reaches no Pod, `labelSelector` and `name` narrow it to some pods only,
  `namespaces` / `excludedNamespaces` (names, or a glob with `*` at the front or the end) and
  `namespaceSelector` decide which namespaces are checked;
- a Gatekeeper `Config` (config.gatekeeper.sh/v1alpha1) excluding namespaces from the `webhook`
  (or `*`) processes, and a namespace labelled `admission.gatekeeper.sh/ignore`, are not checked
  (https://open-policy-agent.github.io/gatekeeper/website/docs/exempt-namespaces).
Every workload namespace must be checked by at least one enforcing constraint, and
Gatekeeper's webhook must fail closed (`_webhook_problems`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import types as t
from ..findings import Finding, fail, shown, unverifiable
from ..rules.kubernetes import SelectorError, k8s_name, selects
from ..values import MISSING, as_bool, as_list, contains_unknown, is_unknown, lookup
from .graph import Node, releases_of

_C = "ZT-IMAGE-PROVENANCE"
RATIFY_VERIFY_PATH = "/ratify/gatekeeper/v1/verify"
RATIFY_CHART, RATIFY_PROVIDER = "ratify", "ratify-provider"
GATEKEEPER_CHART = "gatekeeper"
SIGNATURE_VERIFIERS = ("notation", "cosign")
IGNORE_LABEL = "admission.gatekeeper.sh/ignore"
ENFORCING, SCOPED = "deny", "scoped"
WEBHOOK_POINT = "validation.gatekeeper.sh"
# The call's argument object, bounded so that no input makes the scan slow.
_EXTERNAL_DATA = re.compile(r"external_data\s*\(\s*\{(.{0,2000}?)\}\s*\)", re.DOTALL)
_PROVIDER = re.compile(r"\"provider\"\s*:\s*\"([^\"]+)\"")
_COMMENT = re.compile(r"#[^\n]*")


def external_data_providers(template: Node) -> list[str]:
    """The external data providers a ConstraintTemplate's Rego calls (comments left out)."""
    names: list[str] = []
    for target in as_list(lookup(template.props, "spec.targets")):
        rego = target.get("rego") if isinstance(target, dict) else None
        if not isinstance(rego, str):
            continue
        for call in _EXTERNAL_DATA.findall(_COMMENT.sub("", rego)):
            names += [n for n in _PROVIDER.findall(call) if n not in names]
    return names


def is_image_template(n: Node) -> bool:
    """A ConstraintTemplate that asks an external data provider about the images (unknown:
    counted, judged by `judge`)."""
    return n.type in t.GATEKEEPER_TEMPLATE_TYPES and (
        contains_unknown(lookup(n.props, "spec.targets")) or bool(external_data_providers(n)))


def _glob(pattern: object, name: str) -> bool:
    if not isinstance(pattern, str) or not pattern:
        return False
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return name.endswith(pattern[1:])
    return name == pattern


def _reaches_pods(kinds: object) -> bool:
    if kinds is MISSING:
        return True
    return any(isinstance(k, dict)
               and any(g in ("", "*") for g in as_list(k.get("apiGroups")))
               and any(x in ("Pod", "*") for x in as_list(k.get("kinds")))
               for k in as_list(kinds))


def _scoped_denies(scoped: object) -> bool:
    """`enforcementAction: scoped`: denies at admission when an entry of
    `scopedEnforcementActions` has action deny at the enforcement point of Gatekeeper's
    validating webhook (https://open-policy-agent.github.io/gatekeeper/website/docs/
    enforcement-points; a wildcard point is not read: fails closed)."""
    return any(isinstance(x, dict) and x.get("action") == ENFORCING and any(
        isinstance(p, dict) and p.get("name") == WEBHOOK_POINT
        for p in as_list(x.get("enforcementPoints"))) for x in as_list(scoped))


def _constraint_problems(con: Node) -> list[str]:
    """What makes a constraint check no pod at all (an empty list: it enforces)."""
    name = f"constraint {con.type.rsplit(':', 1)[-1]}/{k8s_name(con)}"
    action = lookup(con.props, "spec.enforcementAction")
    action = ENFORCING if action is MISSING else action
    out = []
    if action == SCOPED and _scoped_denies(lookup(con.props, "spec.scopedEnforcementActions")):
        action = ENFORCING
    if action != ENFORCING:
        out.append(f"{name} spec.enforcementAction is {shown(action)}, not deny: a pod whose "
                   "image is not verified is admitted (dryrun and warn only report)")
    match = lookup(con.props, "spec.match")
    match = match if isinstance(match, dict) else {}
    if not _reaches_pods(match.get("kinds", MISSING)):
        out.append(f"{name} spec.match.kinds does not reach Pods (apiGroups \"\", kinds Pod)")
    if match.get("scope") == "Cluster":
        out.append(f"{name} spec.match.scope is Cluster: Pods are namespaced, none is checked")
    if match.get("labelSelector"):
        out.append(f"{name} spec.match.labelSelector checks only the pods carrying its labels")
    if match.get("name"):
        out.append(f"{name} spec.match.name checks only objects named {shown(match['name'])}")
    return out


def _left_out(con: Node, namespace: str, labels: Mapping[str, Any]) -> str:
    """Why a constraint does not check `namespace` ("" if it does)."""
    name = f"constraint {con.type.rsplit(':', 1)[-1]}/{k8s_name(con)}"
    match = lookup(con.props, "spec.match")
    match = match if isinstance(match, dict) else {}
    listed = match.get("namespaces")
    if listed is not None and not any(_glob(p, namespace) for p in as_list(listed)):
        return f"{name} spec.match.namespaces does not list it"
    if any(_glob(p, namespace) for p in as_list(match.get("excludedNamespaces"))):
        return f"{name} spec.match.excludedNamespaces excludes it"
    if not selects(match.get("namespaceSelector", MISSING), labels):
        return f"{name} spec.match.namespaceSelector does not select it"
    return ""


def _config_exempt(owned: list[Node], namespace: str) -> str:
    for cfg in (n for n in owned if n.type == t.GATEKEEPER_CONFIG):
        for entry in as_list(lookup(cfg.props, "spec.match")):
            if not isinstance(entry, dict):
                continue
            processes = as_list(entry.get("processes"))
            if any(p in ("*", "webhook") for p in processes) and any(
                    _glob(p, namespace) for p in as_list(entry.get("excludedNamespaces"))):
                return f"Gatekeeper Config {k8s_name(cfg)} exempts it from the webhook"
    return ""


def _chart_verifiers(owned: list[Node]) -> tuple[bool, list[str], str]:
    """What Ratify Helm releases create (charts/ratify, v1.3.1): always the Provider
    `ratify-provider` (templates/provider.yaml), and the Verifiers `notation` and `cosign`
    unless `notation.enabled` / `cosign.enabled` is false (both default true, values.yaml;
    templates/verifier.yaml). (any release, verifier types, what is unknown)."""
    releases = releases_of(owned, RATIFY_CHART)
    kinds, unknown = [], ""
    for rel in releases:
        values = lookup(rel.props, "values")
        if contains_unknown(values):
            unknown = f"Helm release {rel.name} values"
            continue
        kinds += [k for k in SIGNATURE_VERIFIERS
                  if as_bool(lookup(values, f"{k}.enabled")) is not False]
    return bool(releases), kinds, unknown


def _ratify_problems(owned: list[Node], providers: list[str]) -> tuple[list[str], str]:
    """(problems, what is unknown) of the providers a template calls and Ratify's verifiers."""
    by_name = {k8s_name(n): n for n in owned if n.type in t.GATEKEEPER_PROVIDER_TYPES}
    charted, kinds, unknown = _chart_verifiers(owned)
    problems = []
    ratify = []
    for name in providers:
        provider = by_name.get(name)
        if provider is None and charted and name == RATIFY_PROVIDER:
            ratify.append(name)
            continue
        if provider is None:
            problems.append(f"no external data Provider {name!r} in the stack: the template's "
                            "external_data call reaches no image verifier")
            continue
        url = lookup(provider.props, "spec.url")
        if is_unknown(url):
            unknown = f"Provider {name} spec.url"
        elif isinstance(url, str) and url.split("?", 1)[0].rstrip("/").endswith(
                RATIFY_VERIFY_PATH):
            ratify.append(name)
    if providers and not problems and not unknown and not ratify:
        problems.append(f"the external data Provider(s) {', '.join(providers)} are not Ratify's "
                        f"(spec.url ending {RATIFY_VERIFY_PATH}): no signature is verified")
    verifiers = [n for n in owned if n.type == t.RATIFY_VERIFIER]
    for v in verifiers:
        kind = lookup(v.props, "spec.type")
        kind = lookup(v.props, "spec.name") if kind is MISSING or kind == "" else kind
        if is_unknown(kind):
            unknown = unknown or f"Verifier {k8s_name(v)} spec.type"
        kinds.append(kind)
    if ratify and not unknown and not any(k in SIGNATURE_VERIFIERS for k in kinds):
        problems.append("no Ratify Verifier of type notation or cosign: Ratify admits images "
                        "without checking a signature")
    return problems, unknown


def _webhook_problems(owned: list[Node], where: dict) -> list[Finding]:
    """Gatekeeper's own webhook fails closed: the chart's `validatingWebhookFailurePolicy`
    defaults to Ignore (a pod is admitted unverified whenever Gatekeeper or Ratify does not
    answer in time) and `disableValidatingWebhook` turns admission off (charts/gatekeeper/
    values.yaml, https://github.com/open-policy-agent/gatekeeper/tree/master/charts/gatekeeper)."""
    releases = releases_of(owned, GATEKEEPER_CHART)
    if not releases:
        return [unverifiable(_C, "Gatekeeper's webhook failure policy",
                             why="its Helm release is not in this stack", **where)]
    out = []
    for rel in releases:
        values = lookup(rel.props, "values")
        if contains_unknown(values):
            out.append(unverifiable(_C, f"Helm release {rel.name} values", **where))
            continue
        policy = lookup(values, "validatingWebhookFailurePolicy")
        if policy != "Fail":
            out.append(fail(_C, f"Gatekeeper release {rel.name} validatingWebhookFailurePolicy "
                            f"is {shown('Ignore (the default)' if policy is MISSING else policy)}"
                            ", not Fail: a pod is admitted unverified whenever the webhook or "
                            "Ratify does not answer", **where))
        if as_bool(lookup(values, "disableValidatingWebhook")) is True:
            out.append(fail(_C, f"Gatekeeper release {rel.name} disableValidatingWebhook is "
                            "true: no constraint is enforced at admission", **where))
    return out


def judge(owned: list[Node], namespaces: list[Node], labels_of, where: dict) -> list[Finding]:
    """A cluster's Gatekeeper + Ratify image verification, by effect; `namespaces`: its
    workload namespaces, `labels_of(ns)`: their labels as the API server holds them."""
    templates = [n for n in owned if is_image_template(n)]
    if not templates:
        return []
    out: list[Finding] = _webhook_problems(owned, where)
    enforcing: list[Node] = []
    reasons: list[str] = []
    for tpl in templates:
        name = f"ConstraintTemplate {k8s_name(tpl)}"
        kind = lookup(tpl.props, "spec.crd.spec.names.kind")
        if contains_unknown(lookup(tpl.props, "spec")):
            out.append(unverifiable(_C, f"{name} spec", **where))
            continue
        problems, unknown = _ratify_problems(owned, external_data_providers(tpl))
        out += [fail(_C, f"{name}: {p}", **where) for p in problems]
        if unknown:
            out.append(unverifiable(_C, f"{name}: {unknown}", **where))
        if problems or unknown:
            continue
        constraints = [n for n in owned if n.type.startswith(t.GATEKEEPER_CONSTRAINT_PREFIX)
                       and n.type.rsplit(":", 1)[-1] == kind]
        if not constraints:
            reasons.append(f"{name} has no constraint of kind {shown(kind)}, so it checks "
                           "nothing")
        for con in constraints:
            if contains_unknown(lookup(con.props, "spec")):
                out.append(unverifiable(_C, f"constraint {kind}/{k8s_name(con)} spec", **where))
                continue
            found = _constraint_problems(con)
            reasons += found
            if not found:
                enforcing.append(con)
    if not enforcing:
        if reasons:
            out.append(fail(_C, "no Gatekeeper constraint enforces Ratify's image verification: "
                            + "; ".join(reasons), **where))
        return out
    for ns in namespaces:
        ns_name, labels = k8s_name(ns), labels_of(ns)
        if contains_unknown(labels):
            out.append(unverifiable(_C, f"labels of namespace {ns_name!r}", **where))
            continue
        labels = labels if isinstance(labels, dict) else {}
        why = [_config_exempt(owned, ns_name)]
        if IGNORE_LABEL in labels:
            why.append(f"its label {IGNORE_LABEL} exempts it from Gatekeeper's webhook")
        try:
            left = [_left_out(con, ns_name, labels) for con in enforcing]
        except SelectorError as error:
            out.append(fail(_C, f"a Gatekeeper constraint's namespaceSelector: {error}", **where))
            continue
        why = [w for w in why if w]
        if why or all(left):
            out.append(fail(_C, f"workload namespace {ns_name!r} is not checked by Gatekeeper's "
                            "image verification: " + "; ".join(why or left), urn=ns.urn,
                            cluster=where.get("cluster")))
    return out
