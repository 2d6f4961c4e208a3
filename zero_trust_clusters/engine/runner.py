"""Run a Pulumi program in-process under the mocks and return the captured graph."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from zero_trust_clusters.engine.mocks import (
    SECRET_SIG,
    SECRET_VALUE,
    CapturedResource,
    CapturingMonitor,
    ZtcMocks,
)

PROJECT = "zero-trust-clusters"
# The organization of a DIY (file/S3/...) backend, where stack references read
# "organization/<project>/<stack>".
ORGANIZATION = "organization"


class ProgramError(RuntimeError):
    """The program failed; `graph` holds what it had registered before it did."""

    def __init__(self, message: str, graph: Graph):
        super().__init__(message)
        self.graph = graph


@dataclass
class Graph:
    """Everything a run registered, in registration order."""

    project: str
    stack: str
    resources: list[CapturedResource]
    exports: dict[str, Any] = field(default_factory=dict)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> CapturedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> CapturedResource:
        return next(r for r in self.resources if r.urn == urn)


def run_program(
    program: Callable[[], Any],
    *,
    config: Mapping[str, str] | None = None,
    stack: str = "dev",
    project: str = PROJECT,
    preview: bool = False,
    stack_outputs: Mapping[str, dict[str, Any]] | None = None,
) -> Graph:
    """Run `program` under the mocks with `config` ("zero-trust-clusters:posture" -> JSON string, ...).

    Each run gets its own thread, so its Pulumi context (root stack, config) starts empty
    and several runs can share one process (tests, benchmarks). A failing program raises
    `ProgramError` (the original as its cause) carrying what was registered before it failed.
    `stack_outputs` answers stack references: qualified stack name -> that stack's exports.
    """
    result: dict[str, Any] = {}
    monitor = CapturingMonitor(ZtcMocks(preview=preview, stack_outputs=dict(stack_outputs or {})))

    def run() -> None:
        # Outputs a failed earlier run left pending would otherwise leak into this one.
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_mocks(
                monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor,
                organization=ORGANIZATION,
            )
            pulumi.runtime.set_all_config(dict(config or {}))
            _sync_await(run_pulumi_func(program))
            root = pulumi.runtime.get_root_resource()
            exports = {}
            if root is not None:
                for key, value in getattr(root, "outputs", {}).items():
                    output = pulumi.Output.from_input(value)
                    resolved = _sync_await(output.future())
                    # Keep secretness in the same wire form as captured inputs.
                    exports[key] = (
                        {SECRET_SIG: SECRET_VALUE, "value": resolved}
                        if _sync_await(output.is_secret())
                        else resolved
                    )
            result["graph"] = Graph(
                project=project,
                stack=stack,
                resources=list(monitor.captured.values()),
                exports=exports,
                component_outputs=monitor.component_outputs,
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc
        finally:
            loop.close()

    thread = threading.Thread(target=run, name=f"pulumi-{stack}")
    thread.start()
    thread.join()
    if "error" in result:
        error = result["error"]
        partial = Graph(project, stack, list(monitor.captured.values()))
        raise ProgramError(str(error).strip() or type(error).__name__, partial) from error
    return result["graph"]
