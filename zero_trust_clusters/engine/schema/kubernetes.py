"""Kubernetes objects against the target cluster's OpenAPI schema, custom resources against
the CRD schema of the exact chart (or add-on) version that installs them.

Built-in kinds: the strict (closed) JSON schemas kubernetes-validate ships for each Kubernetes
minor version. Custom resources: the CRD YAML vendored under data/crds/<chart>/<version>/
(see data/SOURCES.md), its `openAPIV3Schema` closed the way the API server prunes unknown
fields, and `metadata` checked as the version's ObjectMeta.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version as dist_version
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

from zero_trust_clusters.components.cluster_phase import BASELINE_VERSIONS_OUTPUT
from zero_trust_clusters.engine.schema import helm
from zero_trust_clusters.engine.schema.findings import Finding, show
from zero_trust_clusters.engine.schema.plan import PlanResource, join, opaque

DATA = Path(__file__).parent / "data"
CRD_DIR = DATA / "crds"
SCHEMAS = files("kubernetes_validate").joinpath("kubernetes-json-schema")
DEFINITIONS = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = f"{DEFINITIONS}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_OBJECT_TYPE = re.compile(r"^kubernetes:(?P<group_version>[^:]+/v[^:/]*):(?P<kind>[A-Z]\w*)$")
_NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml/", "kubernetes:kustomize/")

# Which chart (or add-on) installs the CRD of each custom resource group we create.
CRD_OWNERS: dict[str, str] = {
    "cert-manager.io": "cert-manager",
    "policy.sigstore.dev": "policy-controller",
    "security.istio.io": "base",  # istio's `base` chart carries every Istio CRD
    "networking.istio.io": "base",
    "crd.k8s.amazonaws.com": "aws-vpc-cni",  # the EKS vpc-cni add-on
}
# CRDs whose installer has no version in the plan: the EKS vpc-cni add-on is left at EKS's
# default version for the cluster (aws:eks/addon:Addon has no addonVersion), so the CRD is the
# one vendored from the newest release checked (data/SOURCES.md).
UNPINNED_CRD_VERSIONS = {"aws-vpc-cni": "v1.23.0"}

# Where each cloud's cluster resource carries its Kubernetes version.
CLUSTER_VERSION_PROPERTY = {
    "aws:eks/cluster:Cluster": "version",
    "azure-native:containerservice:ManagedCluster": "kubernetesVersion",
    "gcp:container/cluster:Cluster": "minMasterVersion",
}


def handles(resource: PlanResource) -> bool:
    return bool(_OBJECT_TYPE.match(resource.type)) and not resource.type.startswith(_NOT_OBJECTS)


def minor(version: str) -> str:
    match = re.match(r"^v?(\d+\.\d+)", version)
    return match.group(1) if match else version


@cache
def shipped_versions() -> tuple[str, ...]:
    names = (p.name for p in SCHEMAS.iterdir())
    return tuple(sorted({minor(n) for n in names if n.startswith("v")}, key=_version_key))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def kubernetes_validate_source() -> str:
    return f"kubernetes-validate {dist_version('kubernetes-validate')}"


# --- schemas ---------------------------------------------------------------------------------


@cache
def _registry(version: str) -> Registry:
    path = SCHEMAS.joinpath(f"v{version}.0-local-strict/_definitions.json")
    return Resource.from_contents(json.loads(path.read_text())) @ Registry()


def _schema_file(group_version: str, kind: str) -> str:
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 -> rbac-v1; core/v1 -> v1.
    group, _, version = group_version.rpartition("/")
    prefix = f"{group.split('.')[0]}-" if group not in ("", "core") else ""
    return f"{kind.lower()}-{prefix}{version}.json"


@cache
def builtin_validator(version: str, group_version: str, kind: str) -> jsonschema.Validator | None:
    path = SCHEMAS.joinpath(f"v{version}.0-local-strict/{_schema_file(group_version, kind)}")
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


@dataclass(frozen=True)
class Crd:
    owner: str
    owner_version: str
    path: Path
    schema: dict[str, Any]

    @property
    def source(self) -> str:
        return f"CRD {self.path.relative_to(DATA).as_posix()} ({self.owner} {self.owner_version})"


def _load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    # Chart templates may carry `{{ .Release.Namespace }}`; no schema depends on it.
    text = re.sub(r"\{\{[^}]*\}\}", "templated", path.read_text())
    return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d]


@cache
def crds(owner: str, owner_version: str) -> dict[tuple[str, str], Crd]:
    """(apiVersion, kind) -> schema of every CRD vendored for this chart version."""
    found: dict[tuple[str, str], Crd] = {}
    for path in sorted((CRD_DIR / owner / owner_version).glob("*.yaml")):
        for doc in _load_yaml_documents(path):
            if doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for served in spec["versions"]:
                api_version = f"{spec['group']}/{served['name']}"
                schema = closed(served["schema"]["openAPIV3Schema"])
                properties = schema.setdefault("properties", {})
                properties["apiVersion"] = {"const": api_version}
                properties["kind"] = {"const": spec["names"]["kind"]}
                properties["metadata"] = {"$ref": OBJECT_META}
                found[(api_version, spec["names"]["kind"])] = Crd(
                    owner, owner_version, path, schema
                )
    return found


def vendored_versions(owner: str) -> list[str]:
    directory = CRD_DIR / owner
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def closed(node: Any) -> Any:
    """A CRD structural schema as JSON Schema, closed where the API server prunes unknown fields.

    Pruning drops every field a structural schema does not name unless the node says
    `x-kubernetes-preserve-unknown-fields: true`; a field silently dropped is a field that does
    not do what the plan says, so here it is a finding. `nullable` admits null; int-or-string
    admits both (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/
    custom-resource-definitions/#specifying-a-structural-schema).
    """
    if isinstance(node, list):
        return [closed(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: closed(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    out.pop("nullable", None)
    out.pop("format", None)  # formats are not asserted by the API server for every type
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def crd_validator(owner: str, owner_version: str, api_version: str, kind: str, k8s: str):
    crd = crds(owner, owner_version).get((api_version, kind))
    if crd is None:
        return None, None
    return jsonschema.Draft202012Validator(crd.schema, registry=_registry(k8s)), crd


# --- which version applies -------------------------------------------------------------------


@dataclass
class Context:
    """What the checks need to know about the plan beyond one resource."""

    by_urn: dict[str, PlanResource]
    cluster_versions: dict[str, str]  # component URN (the cluster's parent) -> minor version
    posture_version: str | None
    # (chart, enclosing component URN or "") -> (chart version, repository) of the release there
    chart_versions: dict[tuple[str, str], tuple[str, str]]


def context(resources: Iterable[PlanResource], exports: Mapping[str, Any]) -> Context:
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    cluster_versions: dict[str, str] = {}
    chart_versions: dict[tuple[str, str], tuple[str, str]] = {}
    for r in resources:
        prop = CLUSTER_VERSION_PROPERTY.get(r.type)
        value = r.inputs.get(prop) if prop else None
        if isinstance(value, str) and not opaque(value):
            cluster_versions[r.parent] = minor(value)
        if r.type.startswith("kubernetes:helm.sh/") and r.type.endswith(":Release"):
            chart, chart_version = r.inputs.get("chart"), r.inputs.get("version")
            repo = (r.inputs.get("repositoryOpts") or {}).get("repo")
            if isinstance(chart, str) and isinstance(chart_version, str):
                release = (chart_version, repo if isinstance(repo, str) else "")
                chart_versions[(chart.rsplit("/", 1)[-1], r.parent)] = release
                chart_versions.setdefault((chart.rsplit("/", 1)[-1], ""), release)
    exports = exports if isinstance(exports, Mapping) else {}
    # A cluster-phase stack has no cluster resource: it says each baseline's version itself.
    for entry in exports.get(BASELINE_VERSIONS_OUTPUT) or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("component"), str) \
                and isinstance(entry.get("kubernetesVersion"), str):
            cluster_versions[entry["component"]] = minor(entry["kubernetesVersion"])
    posture = exports.get("posture")
    posture_version = posture.get("kubernetesVersion") if isinstance(posture, dict) else None
    return Context(
        by_urn,
        cluster_versions,
        minor(posture_version) if isinstance(posture_version, str) else None,
        chart_versions,
    )


def _ancestors(resource: PlanResource, ctx: Context) -> Iterator[str]:
    seen: set[str] = set()
    urn = resource.parent
    while urn and urn not in seen:
        seen.add(urn)
        yield urn
        parent = ctx.by_urn.get(urn)
        urn = parent.parent if parent else ""


def kubernetes_version(resource: PlanResource, ctx: Context) -> str | None:
    """The version of the cluster the object lands in: its enclosing cluster component's
    cluster resource (or, in a cluster-phase stack, its baseline's declared version), else the
    posture's version, else the one version all clusters share."""
    for urn in _ancestors(resource, ctx):
        if urn in ctx.cluster_versions:
            return ctx.cluster_versions[urn]
    if ctx.posture_version:
        return ctx.posture_version
    versions = set(ctx.cluster_versions.values())
    return versions.pop() if len(versions) == 1 else None


def chart_release(owner: str, resource: PlanResource, ctx: Context) -> tuple[str, str] | None:
    """(version, repository) of the release installing the CRD the object needs."""
    if owner in UNPINNED_CRD_VERSIONS:
        return UNPINNED_CRD_VERSIONS[owner], ""
    for urn in _ancestors(resource, ctx):
        if (owner, urn) in ctx.chart_versions:
            return ctx.chart_versions[(owner, urn)]
    return ctx.chart_versions.get((owner, ""))


# --- the check -------------------------------------------------------------------------------


def check(resource: PlanResource, ctx: Context) -> Iterator[Finding]:
    match = _OBJECT_TYPE.match(resource.type)
    assert match is not None
    group_version, kind = match["group_version"], match["kind"]
    version = kubernetes_version(resource, ctx)
    if version is None:
        yield Finding(resource.urn, "", show(resource.type),
                      "a Kubernetes version to check against (no cluster version in the plan)",
                      kubernetes_validate_source(), "kubernetes")
        return
    if version not in shipped_versions():
        yield Finding(resource.urn, "", version,
                      f"a Kubernetes version with a schema ({', '.join(shipped_versions())})",
                      kubernetes_validate_source(), "kubernetes")
        return
    validator = builtin_validator(version, group_version, kind)
    if validator is not None:
        source = f"{kubernetes_validate_source()}: Kubernetes {version} {kind} (strict)"
        yield from _errors(resource, validator, source, "kubernetes")
        return
    group = group_version.split("/")[0]
    owner = CRD_OWNERS.get(group)
    if owner is None:
        yield Finding(resource.urn, "", f"{group_version} {kind}",
                      f"a built-in kind of Kubernetes {version} or a CRD vendored in "
                      f"zero_trust_clusters/engine/schema/data/crds ({', '.join(sorted(CRD_OWNERS))})",
                      kubernetes_validate_source(), "crd")
        return
    owner_version, repo = chart_release(owner, resource, ctx) or (None, "")
    validator, crd = (
        crd_validator(owner, owner_version, group_version, kind, version)
        if owner_version
        else (None, None)
    )
    if validator is None and owner_version and helm.is_published(repo, owner, owner_version) is False:
        return  # the release's own finding names the cause: that chart version does not exist
    if validator is None:
        vendored = ", ".join(vendored_versions(owner)) or "none"
        yield Finding(resource.urn, "apiVersion", f"{group_version} {kind}",
                      f"a kind the CRDs of {owner} {owner_version or '(no release in the plan)'}"
                      f" define (CRDs vendored for {owner}: {vendored})",
                      "zero_trust_clusters/engine/schema/data/crds", "crd")
        return
    yield from _errors(resource, validator, crd.source, "crd")


def _errors(
    resource: PlanResource, validator: jsonschema.Validator, source: str, check: str
) -> Iterator[Finding]:
    for error in _leaf_errors(validator.iter_errors(resource.inputs)):
        if opaque(error.instance):
            continue
        path = ""
        for part in error.absolute_path:
            path = join(path, part)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - allowed):
                yield Finding(resource.urn, join(path, key), show(error.instance[key]),
                              f"a field of the schema (one of: {', '.join(sorted(allowed))})",
                              source, check)
        elif error.validator == "required":
            missing = re.match(r"^'([^']+)'", error.message)
            name = missing.group(1) if missing else "?"
            yield Finding(resource.urn, join(path, name), "(missing)",
                          f"required field {name!r}", source, check)
        else:
            yield Finding(resource.urn, path, show(error.instance),
                          _expected(error), source, check)


def _leaf_errors(errors: Iterable[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """Report the innermost reason of an anyOf/oneOf failure, not its summary."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            best = jsonschema.exceptions.best_match(error.context)
            yield best if best is not None else error
        else:
            yield error


def _expected(error: jsonschema.ValidationError) -> str:
    if error.validator == "enum":
        return f"one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"type {error.validator_value}"
    if error.validator == "const":
        return f"{error.validator_value!r}"
    return f"{error.validator} {json.dumps(error.validator_value, default=str)[:80]}"
