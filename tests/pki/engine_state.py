"""A second `pulumi up` for dynamic resources: the engine's Diff -> same/update/replace step.

The offline engine's mocks always `create` (a first deployment). Real Pulumi keeps state and
asks the provider's `diff` first; this emulates exactly that for dynamic resources, with the
previous run's captured outputs as the state.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import dill

from zero_trust_clusters.engine import runner
from zero_trust_clusters.engine.mocks import DYNAMIC_TYPE, ZtcMocks, unwrap
from zero_trust_clusters.engine.runner import Graph


def state_of(graph: Graph) -> dict[str, tuple[str, dict[str, Any]]]:
    return {r.name: (r.id, r.outputs) for r in graph.of_type(DYNAMIC_TYPE)}


@dataclass
class StatefulMocks(ZtcMocks):
    prior: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(preview=False)

    def new_resource(self, args):
        if args.typ != DYNAMIC_TYPE:
            return super().new_resource(args)
        if args.name not in self.prior:
            self.steps[args.name] = "create"
            return super().new_resource(args)
        old_id, old_outputs = self.prior[args.name]
        inputs = dict(args.inputs)
        provider = dill.loads(base64.b64decode(unwrap(inputs.pop("__provider"))))
        news = unwrap(inputs)
        olds = {k: v for k, v in unwrap(old_outputs).items() if k != "__provider"}
        diff = provider.diff(old_id, olds, news)
        if not diff.changes:
            self.steps[args.name], resource_id, outs = "same", old_id, olds
        elif diff.replaces:
            created = provider.create(news)
            self.steps[args.name], resource_id, outs = "replace", created.id, created.outs
        else:
            updated = provider.update(old_id, olds, news)
            self.steps[args.name], resource_id, outs = "update", old_id, updated.outs
        return resource_id, {**outs, "__provider": args.inputs["__provider"]}


def run_again(program, previous: Graph, monkeypatch, **kw) -> tuple[Graph, dict[str, str]]:
    """Run `program` as a subsequent deployment on top of `previous`'s state."""
    mocks = StatefulMocks(prior=state_of(previous))
    monkeypatch.setattr(runner, "ZtcMocks", lambda preview=False, stack_outputs=None: mocks)
    try:
        graph = runner.run_program(program, **kw)
    finally:
        monkeypatch.undo()
    return graph, mocks.steps
