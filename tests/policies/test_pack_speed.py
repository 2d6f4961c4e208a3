"""What keeps the pack near the SDK's own cost: one graph and posture per AnalyzeStack call,
and the no-op pack `ztc bench policy` compares it with."""

from __future__ import annotations

import re

from google.protobuf import empty_pb2
from policy_testkit.handwritten import build
from pulumi_policy import EnforcementLevel, StackValidationPolicy
from ztc_policy import pack as pack_module
from ztc_policy import serve
from ztc_policy.pack import PACK_NAME, UNVERIFIABLE_POLICY, all_policies

from zero_trust_clusters.cli.report_cli import NOOP_PACK_DIR
from zero_trust_clusters.engine.analyzer import PolicyPackProcess, stack_request


def _servicer(cls):
    return cls(PACK_NAME, "0.0.1", all_policies(), EnforcementLevel.MANDATORY)


def _messages(response) -> list[tuple[str, str]]:
    return sorted((d.policyName, d.message) for d in response.diagnostics)


def test_stack_policies_build_the_posture_once_per_call(monkeypatch):
    calls: list[int] = []
    real = pack_module.evaluate
    monkeypatch.setattr(pack_module, "evaluate",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    e = build()
    e.named("hand-aws").inputs["vpcConfig"]["endpointPublicAccess"] = True
    request = stack_request(e.resources)
    guarded = _servicer(serve._guarded(serve._SDK_SERVICER, PACK_NAME, UNVERIFIABLE_POLICY))
    answer = guarded.AnalyzeStack(request, None)
    assert len(calls) == 1
    assert guarded.AnalyzeStack(request, None) == answer and len(calls) == 2  # a new call
    plain = _servicer(serve._SDK_SERVICER).AnalyzeStack(request, None)  # the SDK alone
    stack_policies = sum(isinstance(p, StackValidationPolicy) for p in all_policies())
    assert len(calls) == 2 + stack_policies
    assert _messages(plain) == _messages(answer) and answer.diagnostics


def test_noop_pack_has_as_many_policies_of_each_kind():
    with PolicyPackProcess(NOOP_PACK_DIR) as noop:
        info = noop.stub.GetAnalyzerInfo(empty_pb2.Empty())
    names = [p.name for p in info.policies]
    ours = all_policies()
    assert len(names) == len(ours)
    assert sum(n.startswith("noop-stack-") for n in names) == sum(
        isinstance(p, StackValidationPolicy) for p in ours)


def test_bench_policy_prints_both_packs_figures_and_their_ratio():
    import typer
    from typer.testing import CliRunner

    from zero_trust_clusters.cli.report_cli import bench_policy

    bench = typer.Typer()
    bench.command()(bench_policy)
    result = CliRunner().invoke(bench, ["--clusters", "3", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "zero-trust" in text and "no-op" in text
    assert re.search(r"zero-trust pack [\d.]+ ms/resource, no-op pack [\d.]+ ms/resource: "
                     r"ratio [\d.]+x", text)
    assert "pass" not in text.lower().replace("passes", "")  # figures, never a verdict
