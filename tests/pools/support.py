"""The real program's cloud phase on an edited dev stack, with each resource's options.

`CapturedResource` keeps inputs only; these tests also need what a resource was registered
with (`protect`, `retainOnDelete`), read from the same RegisterResource request.
"""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zero_trust_clusters.engine import mocks
from zero_trust_clusters.engine.runner import PROJECT, Graph, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = "zero-trust-clusters:clusters"


@dataclass(frozen=True)
class Options:
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...] = ()


@dataclass
class Run:
    graph: Graph
    options: dict[str, Options]  # by URN


def dev_config() -> dict[str, Any]:
    config, _secure = load_stack_config("dev", ROOT)
    return copy.deepcopy(config)


def run_cloud_phase(config: dict[str, Any]) -> Run:
    """The cloud phase of `__main__.py` with `config`, recording each resource's options."""
    options: dict[str, Options] = {}
    original = mocks.CapturingMonitor.RegisterResource

    def recording(self, request):
        response = original(self, request)
        options[response.urn] = Options(protect=bool(request.protect),
                                        retain_on_delete=bool(request.retainOnDelete),
                                        ignore_changes=tuple(request.ignoreChanges))
        return response

    mocks.CapturingMonitor.RegisterResource = recording
    try:
        graph = run_program(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
                            config=to_pulumi_config(config), stack="dev", project=PROJECT)
    finally:
        mocks.CapturingMonitor.RegisterResource = original
    return Run(graph=graph, options=options)


def edit_clusters(config: dict[str, Any], fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    for cluster in config[CLUSTERS]:
        fn(cluster)
    return config
