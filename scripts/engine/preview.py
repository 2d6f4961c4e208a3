"""`ztc preview`: the whole estate planned under mocks and policy-checked over gRPC, offline."""

from __future__ import annotations

import json
import runpy
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.output import Unknown

from components.ledger.recording import preview_entry
from components.spec import CONFIG_NAMESPACE, EstateSpec, load_spec
from scripts.engine.analyzer import AnalysisResult, analyze
from scripts.engine.mocks import CapturedResource, is_secret
from scripts.engine.runner import PROJECT, Graph, run_program
from scripts.engine.stackfile import PROJECT_ROOT, load_stack_config, to_pulumi_config

SECRET_MASK = "[secret]"
UNKNOWN_MASK = "[unknown]"
POLICY_PACK_DIR = PROJECT_ROOT / "policies"
CLUSTER_COMPONENT_TYPES = frozenset(
    {"ztc:aws:EksCluster", "ztc:azure:AksCluster", "ztc:gcp:GkeCluster"}
)


@dataclass
class Capture:
    """A stack's spec and the graph its program registered."""

    stack: str
    spec: EstateSpec
    graph: Graph
    secure_keys: list[str] = field(default_factory=list)


def capture_stack(
    stack: str, *, preview: bool = False, root: Path = PROJECT_ROOT, program: Path | None = None
) -> Capture:
    """Validate the stack's config, then run the real program under the mocks.

    Raises `SpecError` (bad config) before anything is registered, `StackFileError` for a
    missing or malformed stack file, and whatever the program raises.
    """
    config, secure_keys = load_stack_config(stack, root)
    spec = load_spec(config, project_dir=root)
    main = program or root / "__main__.py"
    graph = run_program(
        lambda: runpy.run_path(str(main), run_name="__main__"),
        config=to_pulumi_config(config),
        stack=stack,
        project=PROJECT,
        preview=preview,
    )
    return Capture(stack=stack, spec=spec, graph=graph, secure_keys=secure_keys)


def mask(value: Any) -> Any:
    """A property value safe to print or write: secrets and unknowns replaced by markers."""
    if is_secret(value):
        return SECRET_MASK
    if isinstance(value, Unknown):
        return UNKNOWN_MASK
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def cluster_of(resource: CapturedResource, by_urn: dict[str, CapturedResource]) -> str | None:
    """The cluster component a resource sits under (by its parent chain), if any."""
    current: CapturedResource | None = resource
    while current is not None:
        if current.type in CLUSTER_COMPONENT_TYPES:
            return current.name
        current = by_urn.get(current.parent)
    return None


def cloud_of(resource: CapturedResource) -> str:
    package = resource.type.removeprefix("pulumi:providers:").split(":")[0]
    return {"azure-native": "azure", "kubernetes": "k8s", "pulumi-python": "dynamic"}.get(
        package, package
    )


def summarize(graph: Graph) -> dict[str, Any]:
    """Resource counts per cluster and per provider package."""
    by_urn = {r.urn: r for r in graph.resources}
    per_cluster: dict[str, Counter[str]] = defaultdict(Counter)
    for resource in graph.resources:
        per_cluster[cluster_of(resource, by_urn) or "(shared)"][cloud_of(resource)] += 1
    return {
        "resources": len(graph.resources),
        "custom": sum(r.custom for r in graph.resources),
        "perCluster": {k: dict(sorted(v.items())) for k, v in sorted(per_cluster.items())},
        "perPackage": dict(sorted(Counter(cloud_of(r) for r in graph.resources).items())),
    }


def plan_document(
    capture: Capture, analysis: AnalysisResult | None, entry: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON plan other tools consume: every captured resource, secrets masked."""
    graph = capture.graph
    return {
        "project": graph.project,
        "stack": graph.stack,
        "summary": summarize(graph),
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "urn": r.urn,
                "parent": r.parent,
                "provider": r.provider,
                "custom": r.custom,
                "dependencies": r.dependencies,
                "propertyDependencies": r.property_dependencies,
                "inputs": mask(r.inputs),
            }
            for r in graph.resources
        ],
        "exports": mask(graph.exports),
        "secureConfigKeys": capture.secure_keys,
        "ledgerEntry": entry,
        "policy": None
        if analysis is None
        else {
            "pack": f"{analysis.pack_name}@{analysis.pack_version}",
            "resourcesChecked": analysis.resources_checked,
            "policies": analysis.policies,
            "diagnostics": [
                {
                    "policy": d.policy_name,
                    "enforcementLevel": d.enforcement_level,
                    "urn": d.urn,
                    "message": d.message,
                }
                for d in analysis.diagnostics
            ],
        },
    }


def check_policies(
    capture: Capture, pack_dir: Path = POLICY_PACK_DIR, config: dict[str, Any] | None = None
) -> AnalysisResult:
    return analyze(
        capture.graph.resources,
        pack_dir,
        stack=capture.stack,
        project=capture.graph.project,
        config=config,
    )


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


def ledger_entry(capture: Capture, repo_dir: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The (unsigned) ledger entry a deployment of this plan would append (ZT-CHANGE-LEDGER)."""
    return preview_entry(capture.graph.resources, capture.stack, repo_dir, project=PROJECT)


__all__ = ["CONFIG_NAMESPACE", "PROJECT_ROOT", "load_stack_config"]
