"""Run a policy pack the way the Pulumi CLI does and call its real Analyzer gRPC interface.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine-address> <pack-dir>` in
the pack's directory, reads the port the pack prints on its first stdout line, then calls
GetAnalyzerInfo, Configure, ConfigureStack, Analyze (each resource) and AnalyzeStack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from zero_trust_clusters.engine.mocks import CapturedResource

ENFORCEMENT = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVEL_BY_NAME = {v: k for k, v in ENFORCEMENT.items()}
START_TIMEOUT_S = 60.0
PACK_PROJECT_FILE = "PulumiPolicy.yaml"
CALL_TIMEOUT_S = 120.0


class PolicyPackError(RuntimeError):
    """The pack could not be started or answered with an error."""


@dataclass(frozen=True)
class Diagnostic:
    policy_name: str
    policy_pack: str
    message: str
    enforcement_level: str  # advisory | mandatory | disabled | remediate
    urn: str
    description: str = ""

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass
class AnalysisResult:
    pack_name: str
    pack_version: str
    policies: dict[str, str]  # policy name -> enforcement level in force
    # policy name -> its properties in force (exemptions, settings), for the report
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resources_checked: int = 0

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.mandatory]


def to_wire(value: Any) -> Any:
    """A captured property value in the JSON form of Pulumi's property encoding."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(to_wire(dict(props)))
    return struct


class PolicyPackProcess:
    """A running policy pack; use as a context manager."""

    def __init__(self, pack_dir: Path, python: str = sys.executable):
        self.pack_dir = Path(pack_dir).resolve()
        self.python = python
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub

    def __enter__(self) -> Self:
        if not (self.pack_dir / "__main__.py").is_file():
            raise PolicyPackError(f"{self.pack_dir} has no __main__.py: not a Python policy pack")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [self.python, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(self.pack_dir)],
            cwd=self.pack_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", 64 << 20),
                ("grpc.max_send_message_length", 64 << 20),
            ],
        )
        grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_S)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None, "the pack is not running"
        return self._proc.pid

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self._proc.stdout.readline()))
        reader.start()
        reader.join(START_TIMEOUT_S)
        first = line[0].strip() if line else b""
        if not first.isdigit():
            self.__exit__(None, None, None)
            stderr = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
            raise PolicyPackError(
                f"policy pack {self.pack_dir} did not print its port: "
                f"{(stderr.strip().splitlines() or ['no output'])[-1]}"
            )
        return int(first)

    def __exit__(self, *exc: object) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def diagnostics_of(response: analyzer_pb2.AnalyzeResponse, urn: str = "") -> list[Diagnostic]:
    """The response's diagnostics; a resource policy's belong to the analyzed resource."""
    return [
        Diagnostic(
            policy_name=d.policyName,
            policy_pack=d.policyPackName,
            message=d.message,
            enforcement_level=ENFORCEMENT.get(d.enforcementLevel, "advisory"),
            urn=d.urn or urn,
            description=d.description,
        )
        for d in response.diagnostics
    ]


def _provider_ref(ref: str, by_urn: Mapping[str, CapturedResource]):
    """The provider resource behind a `<urn>::<id>` reference, as the CLI sends it."""
    provider = by_urn.get(ref.rsplit("::", 1)[0]) if ref else None
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type,
        properties=_struct(provider.inputs),
        urn=provider.urn,
        name=provider.name,
    )


def _common_fields(
    resource: CapturedResource, by_urn: Mapping[str, CapturedResource]
) -> dict[str, Any]:
    """The fields AnalyzeRequest and AnalyzeStack's AnalyzerResource share."""
    return {
        "type": resource.type,
        "properties": _struct(resource.inputs),
        "urn": resource.urn,
        "name": resource.name,
        "options": analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent),
        "provider": _provider_ref(resource.provider, by_urn),
    }


def analyze_request(
    resource: CapturedResource, by_urn: Mapping[str, CapturedResource]
) -> analyzer_pb2.AnalyzeRequest:
    """One resource's Analyze request, as the CLI sends it (properties, parent, provider)."""
    return analyzer_pb2.AnalyzeRequest(**_common_fields(resource, by_urn))


def stack_request(resources: Iterable[CapturedResource]) -> analyzer_pb2.AnalyzeStackRequest:
    """The AnalyzeStack request of a whole stack (parents and dependencies included)."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    return analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                **_common_fields(r, by_urn),
                parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                    for k, v in r.property_dependencies.items()
                },
            )
            for r in resources
        ]
    )


def resolve_config(
    info: analyzer_pb2.AnalyzerInfo, overrides: Mapping[str, Any] | None,
    posture: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each policy's (enforcement level, properties), as `--policy-pack-config` would give.

    `overrides` uses the CLI's file format: {"all": level} and/or
    {policy: level | {"enforcementLevel": level, ...properties}}. `posture`: the settings the
    stack's posture decides ({policy: {property: value}}, `preview.posture_pack_config`), laid
    under `overrides`; a policy this pack does not have is skipped (a different pack).
    """
    overrides = dict(overrides or {})
    default = overrides.pop("all", None)
    unknown = sorted(set(overrides) - {p.name for p in info.policies})
    if unknown:
        raise PolicyPackError(f"policy pack config names unknown policies: {', '.join(unknown)}")
    resolved: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in info.policies:
        level = default or ENFORCEMENT[policy.enforcementLevel]  # ADVISORY is 0 (falsy)
        props: dict[str, Any] = {}
        initial = info.initialConfig.get(policy.name)
        if initial is not None:
            props = json_format.MessageToDict(initial.properties)
            if initial.enforcementLevel:
                level = ENFORCEMENT[initial.enforcementLevel]
        props.update((posture or {}).get(policy.name, {}))
        override = overrides.get(policy.name)
        if isinstance(override, str):
            level = override
        elif isinstance(override, dict):
            override = dict(override)
            level = override.pop("enforcementLevel", level)
            props.update(override)
        if level not in _LEVEL_BY_NAME:
            raise PolicyPackError(f"policy {policy.name}: unknown enforcement level {level!r}")
        resolved[policy.name] = (level, props)
    return resolved


def pack_version(pack_dir: Path, reported: str) -> str:
    """The version the Pulumi CLI gives a Python pack: its PulumiPolicy.yaml `version`, else
    what the pack reported (pulumi_policy 1.21 always reports "0.0.1": "Python policy packs
    should specify a version in PulumiPolicy.yaml; the CLI will use the version specified
    there", https://github.com/pulumi/pulumi-policy/blob/master/sdk/python/lib/pulumi_policy/policy.py)."""
    try:
        document = yaml.safe_load((Path(pack_dir) / PACK_PROJECT_FILE).read_text())
    except (OSError, yaml.YAMLError):
        return reported
    version = document.get("version") if isinstance(document, dict) else None
    return str(version) if version else reported


def analyze(
    resources: Iterable[CapturedResource],
    pack_dir: Path,
    *,
    stack: str,
    project: str,
    config: Mapping[str, Any] | None = None,
    dry_run: bool = True,
) -> AnalysisResult:
    """Send every resource through Analyze and the whole graph through AnalyzeStack."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    with PolicyPackProcess(pack_dir) as pack:
        try:
            result = _analyze(pack.stub, resources, by_urn, stack, project, config, dry_run)
        except grpc.RpcError as exc:
            raise PolicyPackError(f"policy pack call failed: {exc.details()}") from None
    result.pack_version = pack_version(pack_dir, result.pack_version)
    return result


def analyze_stacks(
    stacks: Iterable[tuple[str, Iterable[CapturedResource]]],
    pack_dir: Path,
    *,
    project: str,
    config: Mapping[str, Any] | None = None,
    dry_run: bool = True,
    on_stack: Callable[[str], None] | None = None,
    posture: Mapping[str, Mapping[str, Any]] | None = None,
) -> AnalysisResult:
    """`analyze` for several stacks (an environment's cloud and cluster phases) through one
    pack process, each stack configured and judged on its own as the CLI would; the result
    holds every stack's diagnostics."""
    merged: AnalysisResult | None = None
    with PolicyPackProcess(pack_dir) as pack:
        for stack, resources in stacks:
            if on_stack is not None:
                on_stack(stack)
            resources = list(resources)
            by_urn = {r.urn: r for r in resources}
            try:
                result = _analyze(pack.stub, resources, by_urn, stack, project, config,
                                  dry_run, posture)
            except grpc.RpcError as exc:
                raise PolicyPackError(f"policy pack call failed: {exc.details()}") from None
            if merged is None:
                merged = result
            else:
                merged.diagnostics.extend(result.diagnostics)
                merged.resources_checked += result.resources_checked
    if merged is None:
        raise PolicyPackError("no stack to analyze")
    merged.pack_version = pack_version(pack_dir, merged.pack_version)
    return merged


def _analyze(stub, resources, by_urn, stack, project, config, dry_run,
             posture=None) -> AnalysisResult:
    info: analyzer_pb2.AnalyzerInfo = stub.GetAnalyzerInfo(
        empty_pb2.Empty(), timeout=CALL_TIMEOUT_S
    )
    resolved = resolve_config(info, config, posture)
    stub.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVEL_BY_NAME[level], properties=_struct(props)
                )
                for name, (level, props) in resolved.items()
            }
        ),
        timeout=CALL_TIMEOUT_S,
    )
    stub.ConfigureStack(
        analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=project, dry_run=dry_run),
        timeout=CALL_TIMEOUT_S,
    )
    result = AnalysisResult(
        pack_name=info.name,
        pack_version=info.version,  # replaced by the pack's PulumiPolicy.yaml version below
        policies={name: level for name, (level, _) in resolved.items()},
        settings={name: props for name, (_, props) in resolved.items()},
    )
    for resource in resources:
        if not resource.custom:
            continue  # the engine analyzes custom resources; components only in AnalyzeStack
        response = stub.Analyze(analyze_request(resource, by_urn), timeout=CALL_TIMEOUT_S)
        result.diagnostics.extend(diagnostics_of(response, resource.urn))
        result.resources_checked += 1
    stack_response = stub.AnalyzeStack(stack_request(resources), timeout=CALL_TIMEOUT_S)
    result.diagnostics.extend(diagnostics_of(stack_response))
    return result


def load_pack_config(path: Path | None) -> dict[str, Any] | None:
    """Read a `--policy-pack-config` JSON file (the CLI's format)."""
    if path is None:
        return None
    try:
        document = json.loads(Path(path).read_text(), parse_constant=_no_constants)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise PolicyPackError(f"cannot read policy pack config {path}: {reason}") from None
    if not isinstance(document, dict):
        raise PolicyPackError(
            f"policy pack config {path} must be a JSON object (policy name -> level or settings)"
        )
    return document


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


__all__ = [
    "AnalysisResult",
    "Diagnostic",
    "PolicyPackError",
    "PolicyPackProcess",
    "analyze",
    "load_pack_config",
]
