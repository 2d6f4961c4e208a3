"""`ztc preview`: the whole estate planned under mocks and policy-checked over gRPC, offline.

An environment is two stacks (DEPLOYING.md): the cloud phase (stacks/Pulumi.<env>.yaml) and the
cluster phase (stacks/Pulumi.<env>-cluster.yaml, which names its cloud stack). A preview runs
both, the cluster phase reading the cloud phase's exports through its stack reference, and
checks each stack with the pack as the CLI would; the report shows them together.
"""

from __future__ import annotations

import json
import os
import runpy
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.output import Unknown

from zero_trust_clusters import PACK_DIR
from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.ledger.recording import preview_entry
from zero_trust_clusters.components.spec import CONFIG_NAMESPACE, EstateSpec, load_spec
from zero_trust_clusters.engine.analyzer import AnalysisResult, analyze_stacks
from zero_trust_clusters.engine.mocks import CapturedResource, is_secret
from zero_trust_clusters.engine.runner import ORGANIZATION, Graph, run_program
from zero_trust_clusters.engine.stackfile import (
    PROJECT_ROOT,
    Project,
    StackFileError,
    load_project,
    load_stack_config,
    stack_path,
    to_pulumi_config,
)

SECRET_MASK = "[secret]"
UNKNOWN_MASK = "[unknown]"
POLICY_PACK_DIR = PACK_DIR
BASELINE_TYPE = "ztc:kubernetes:ClusterBaseline"
CLOUD_PHASE, CLUSTER_PHASE = "cloud", "cluster"
PHASE_KEY = f"{CONFIG_NAMESPACE}:phase"
CLOUD_STACK_KEY = f"{CONFIG_NAMESPACE}:cloudStack"
CLUSTER_STACK_SUFFIX = "-cluster"
# The pack's advisory for a phase held by another stack: answered here by checking both.
PHASE_ELSEWHERE_POLICY = "phase-elsewhere"


# Called with each stage's name as it starts ("program cloud phase", "schema", "policy dev").
StageCallback = Callable[[str], None]


def _no_stage(_: str) -> None:
    return None


@dataclass
class Capture:
    """An environment's spec and the graphs its two phases registered."""

    stack: str  # the cloud phase's stack
    spec: EstateSpec | None  # None: a program that does not read this project's config
    graph: Graph  # both phases' resources, the cloud phase's first
    phases: dict[str, Graph] = field(default_factory=dict)
    secure_keys: list[str] = field(default_factory=list)

    @property
    def remote_components(self) -> list[CapturedResource]:
        """Multi-language components: their provider plugin creates their children, which no
        run under mocks ever sees (the offline engine cannot check them)."""
        return [r for r in self.graph.resources if r.remote]


def uses_spec(project: Project, config: dict[str, Any]) -> bool:
    """Whether the stack is configured by this project's spec: our project, or any program
    whose stack sets keys in our namespace (it uses the components with our config)."""
    return project.ours or any(k.startswith(f"{CONFIG_NAMESPACE}:") for k in config)


def phase_stacks(stack: str, root: Path = PROJECT_ROOT
                 ) -> tuple[str, str | None, dict[str, Any] | None]:
    """(cloud stack, cluster stack, cluster stack config) of `stack`'s environment.

    `stack` may name either phase. The cluster stack of `dev` is `dev-cluster`, whose file sets
    `phase: cluster` and `cloudStack: dev`; without that file, or for a program that does not
    use this project's config, the environment is one stack and the cluster stack is None."""
    config, _ = load_stack_config(stack, root)
    if not uses_spec(load_project(root), config):
        return stack, None, None
    if config.get(PHASE_KEY) == CLUSTER_PHASE:
        cloud_stack = config.get(CLOUD_STACK_KEY)
        if not isinstance(cloud_stack, str) or not cloud_stack:
            raise StackFileError(
                f"{stack_path(stack, root)}: {CLOUD_STACK_KEY} is required with phase cluster")
        return cloud_stack.rsplit("/", 1)[-1], stack, config
    cluster_stack = stack + CLUSTER_STACK_SUFFIX
    if not stack_path(cluster_stack, root).is_file():
        return stack, None, None
    cluster_config, _ = load_stack_config(cluster_stack, root)
    named = str(cluster_config.get(CLOUD_STACK_KEY, "")).rsplit("/", 1)[-1]
    if cluster_config.get(PHASE_KEY) != CLUSTER_PHASE or named != stack:
        raise StackFileError(
            f"{stack_path(cluster_stack, root)}: must set {PHASE_KEY}: cluster and "
            f"{CLOUD_STACK_KEY}: {stack}")
    return stack, cluster_stack, cluster_config


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_main(program: Path) -> None:
    """Run a Python program as Pulumi's language host does: in the program's directory
    (`--pwd`), through `runpy.run_path(program, run_name="__main__")`, which for a directory
    puts that directory first on sys.path and runs its __main__.py, so the modules next to the
    program import (https://github.com/pulumi/pulumi/blob/master/sdk/python/cmd/pulumi-language-python-exec,
    https://docs.python.org/3/library/runpy.html#runpy.run_path)."""
    with _working_directory(program if program.is_dir() else program.parent):
        runpy.run_path(str(program), run_name="__main__")


def capture_stack(
    stack: str, *, preview: bool = False, root: Path = PROJECT_ROOT, program: Path | None = None,
    on_stage: StageCallback = _no_stage,
) -> Capture:
    """Validate the environment's config, then run both phases of the real program under the
    mocks (`stack` may name either phase's stack). Any Pulumi Python program runs: its project
    name and program come from its `Pulumi.yaml`, its config from its stack file; the spec is
    validated only when the stack uses this project's config (`uses_spec`).

    Raises `SpecError` (bad config) before anything is registered, `StackFileError` for a
    missing or malformed project or stack file, and whatever the program raises.
    """
    project = load_project(root)
    cloud_stack, cluster_stack, cluster_config = phase_stacks(stack, root)
    config, secure_keys = load_stack_config(cloud_stack, root)
    spec = load_spec(config, project_dir=root) if uses_spec(project, config) else None
    main = program or project.program

    def run(stack_name: str, stack_config: dict[str, Any], *, preview: bool,
            references: dict[str, dict[str, Any]] | None = None) -> Graph:
        return run_program(
            lambda: run_main(main),
            config=to_pulumi_config(stack_config),
            stack=stack_name,
            project=project.name,
            preview=preview,
            stack_outputs=references,
        )

    on_stage(f"program {cloud_stack}")
    cloud = run(cloud_stack, config, preview=preview)
    if cluster_stack is None or cluster_config is None:
        return Capture(stack=cloud_stack, spec=spec, graph=cloud, phases={CLOUD_PHASE: cloud},
                       secure_keys=secure_keys)
    # The cluster phase runs after the cloud phase is deployed: its reference is always known.
    deployed = run(cloud_stack, config, preview=False) if preview else cloud
    reference = {f"{ORGANIZATION}/{project.name}/{cloud_stack}": deployed.exports}
    on_stage(f"program {cluster_stack}")
    cluster = run(cluster_stack, cluster_config, preview=preview, references=reference)
    graph = Graph(
        project=cloud.project,
        stack=cloud_stack,
        resources=cloud.resources + cluster.resources,
        exports=cloud.exports,
        component_outputs={**cloud.component_outputs, **cluster.component_outputs},
    )
    return Capture(stack=cloud_stack, spec=spec, graph=graph,
                   phases={CLOUD_PHASE: cloud, CLUSTER_PHASE: cluster}, secure_keys=secure_keys)


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


def cluster_types() -> frozenset[str]:
    """Component types that stand for a cluster: each cloud's component and the baseline."""
    return frozenset({e.component_type for e in clouds.entries()} | {BASELINE_TYPE})


def cluster_of(resource: CapturedResource, by_urn: dict[str, CapturedResource],
               types: frozenset[str]) -> str | None:
    """The cluster a resource belongs to: the cluster component (cloud phase) or the
    cluster's baseline (cluster phase) of `types` (`cluster_types()`) it sits under, by its
    parent chain."""
    current: CapturedResource | None = resource
    seen: set[str] = set()
    while current is not None and current.urn not in seen:
        if current.type in types:
            return current.name.removesuffix("-baseline")
        seen.add(current.urn)
        current = by_urn.get(current.parent)
    return None


def cloud_of(resource: CapturedResource) -> str:
    """The column a resource is counted in: its cloud, or k8s / dynamic / its package."""
    package = resource.type.removeprefix("pulumi:providers:").split(":")[0]
    entry = clouds.by_package(package)
    if entry is not None:
        return entry.name
    return {"kubernetes": "k8s", "pulumi-python": "dynamic"}.get(package, package)


def summarize(graph: Graph) -> dict[str, Any]:
    """Resource counts per cluster and per provider package."""
    by_urn = {r.urn: r for r in graph.resources}
    types = cluster_types()
    per_cluster: dict[str, Counter[str]] = defaultdict(Counter)
    for resource in graph.resources:
        per_cluster[cluster_of(resource, by_urn, types) or "(shared)"][cloud_of(resource)] += 1
    return {
        "resources": len(graph.resources),
        "custom": sum(r.custom for r in graph.resources),
        "perCluster": {k: dict(sorted(v.items())) for k, v in sorted(per_cluster.items())},
        "perPackage": dict(sorted(Counter(cloud_of(r) for r in graph.resources).items())),
    }


def plan_document(
    capture: Capture,
    analysis: AnalysisResult | None,
    entries: dict[str, dict[str, Any]] | None = None,
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
        "stacks": {phase: graph.stack for phase, graph in capture.phases.items()},
        "ledgerEntries": entries or {},
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
    capture: Capture, pack_dir: Path = POLICY_PACK_DIR, config: dict[str, Any] | None = None,
    on_stage: StageCallback = _no_stage,
) -> AnalysisResult:
    """Each phase's stack through the pack on its own, as `pulumi preview --policy-pack` would
    judge it; a phase's advisory that the other phase is elsewhere is answered here, since both
    were checked."""
    result = analyze_stacks(
        [(graph.stack, graph.resources) for graph in capture.phases.values()],
        pack_dir,
        project=capture.graph.project,
        config=config,
        posture=posture_pack_config(capture.spec),
        on_stack=lambda stack: on_stage(f"policy {stack}"),
    )
    if len(capture.phases) > 1:
        result.diagnostics = [
            d for d in result.diagnostics if d.policy_name != PHASE_ELSEWHERE_POLICY
        ]
    return result


def posture_pack_config(spec: EstateSpec | None) -> dict[str, Any]:
    """The pack settings the posture decides, in the CLI's `--policy-pack-config` shape (the
    pack never sees the stack config): `ztc preview` applies them, and `ztc pack-config` writes
    them for `pulumi preview --policy-pack-config`. A program without our spec has none."""
    if spec is None:
        return {}
    return {"ZT-AUDIT-IMMUTABLE-chain": {
        "minRetentionDays": spec.posture.audit_retention_days}}


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


def ledger_entries(capture: Capture, repo_dir: Path = PROJECT_ROOT) -> dict[str, dict[str, Any]]:
    """The (unsigned) ledger entry each stack's `pulumi up` would append (ZT-CHANGE-LEDGER),
    by stack name: every phase is a deployment of its own and is recorded on its own."""
    return {
        graph.stack: preview_entry(graph.resources, graph.stack, repo_dir, project=graph.project)
        for graph in capture.phases.values()
    }


__all__ = ["CONFIG_NAMESPACE", "PROJECT_ROOT", "load_stack_config"]
