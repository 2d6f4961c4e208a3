"""Judge many lone resources in one gRPC session: each resource's own resource-policy
findings, keyed by its name (stack findings about lone resources are not looked at)."""

from __future__ import annotations

from collections.abc import Iterable

from ztc_policy.catalog import CONTROL_IDS

from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import urn
from zero_trust_clusters.engine.mocks import CapturedResource

RESOURCE_POLICIES = (*CONTROL_IDS, "not-verifiable-at-preview")


def resource(type_: str, name: str, inputs: dict) -> CapturedResource:
    return CapturedResource(type=type_, name=name, urn=urn(type_, name), parent="", provider="",
                            custom=True, dependencies=[], property_dependencies={},
                            inputs=inputs)


def judge(pack, items: Iterable[tuple[str, str, dict]]) -> dict[str, list[tuple[str, str]]]:
    """(type, name, inputs) -> {name: [(policy, message)]} of mandatory resource findings."""
    resources = [resource(*item) for item in items]
    result = run(pack, resources)
    out: dict[str, list[tuple[str, str]]] = {r.name: [] for r in resources}
    names = {r.urn: r.name for r in resources}
    for d in result.diagnostics:
        if d.urn in names and d.policy_name in RESOURCE_POLICIES \
                and d.enforcement_level == "mandatory":
            out[names[d.urn]].append((d.policy_name, d.message))
    return out
