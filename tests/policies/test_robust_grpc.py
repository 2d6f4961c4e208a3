"""No input makes the pack raise a gRPC error or hang: cycles, nulls, wrong shapes, NaN, huge
values. Each class has a passing and a failing case through the real Analyzer gRPC (a value
that does not matter passes; one a control depends on is a violation naming the field), and a
hypothesis fuzz drives Analyze and AnalyzeStack with arbitrary values and links."""

from __future__ import annotations

import copy
import math
import sys
import time

import grpc
import pytest
from google.protobuf import empty_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import PROJECT, STACK, build, urn
from pulumi.runtime.proto import analyzer_pb2
from ztc_policy.config import EXTRA
from ztc_policy.findings import decode

from zero_trust_clusters.engine.analyzer import (
    _struct,
    analyze_request,
    diagnostics_of,
    stack_request,
)

# Every call of this file must be answered well within this (the pack judges a whole
# three-cloud estate in a fraction of a second).
ANSWER_S = 20.0
COMPONENT = "ztc:test:Component"


def _mandatory(result) -> list[tuple[str, str]]:
    return [(d.policy_name, d.message) for d in result.mandatory]


def _timed(pack, estate, config=None):
    started = time.perf_counter()
    result = run(pack, estate.resources, config)
    assert time.perf_counter() - started < ANSWER_S
    return result


def _names(result, policy: str, field: str) -> bool:
    """A mandatory violation of `policy` whose text names `field` and whose trailer decodes."""
    return any(d.policy_name == policy and field in d.message and decode(d.message)
               for d in result.mandatory)


# --- cycles -----------------------------------------------------------------------------------
def _cyclic(e):
    """Two components that are each other's parent (and depend on each other), holding the EKS
    cluster: only a malformed request can carry this."""
    a, b = urn(COMPONENT, "loop-a"), urn(COMPONENT, "loop-b")
    e.add(COMPONENT, "loop-a", {}, custom=False, parent=b, deps=[b])
    e.add(COMPONENT, "loop-b", {}, custom=False, parent=a, deps=[a])
    e.named("hand-aws").parent = a
    e.named("hand-aws-general-lt").parent = e.named("hand-aws-general-lt").urn  # its own parent
    return e


def test_parent_and_dependency_cycles_pass_a_compliant_stack(pack):
    assert _mandatory(_timed(pack, _cyclic(build()))) == []


def test_parent_and_dependency_cycles_still_report_a_violation(pack):
    e = _cyclic(build())
    e.named("hand-aws").inputs["vpcConfig"]["endpointPrivateAccess"] = False
    result = _timed(pack, e)
    assert _names(result, "ZT-API-PRIVATE", "vpcConfig.endpointPrivateAccess")


# --- nulls ------------------------------------------------------------------------------------
def test_null_in_a_field_no_control_reads_passes(pack):
    e = build()
    e.named("hand-aws").inputs["tags"] = None
    e.named("hand-aws-general-lt").inputs["description"] = None
    assert _mandatory(_timed(pack, e)) == []


def test_null_where_a_control_needs_a_value_is_judged_as_unset(pack):
    e = build()
    e.named("hand-aws-general-lt").inputs["metadataOptions"]["httpTokens"] = None
    assert _names(_timed(pack, e), "ZT-NODE-METADATA", "metadataOptions.httpTokens")


# --- wrong shapes -----------------------------------------------------------------------------
def test_wrong_shape_in_a_field_no_control_reads_passes(pack):
    e = build()
    e.named("hand-aws").inputs["tags"] = [1, "two", [3]]
    e.named("hand-gcp").inputs["resourceLabels"] = "not-a-map"
    assert _mandatory(_timed(pack, e)) == []


def test_wrong_shape_on_a_controls_path_names_the_field(pack):
    e = build()
    e.named("hand-aws").inputs["accessConfig"] = "API"  # a string where an object belongs
    e.named("hand-aws-general-lt").inputs["metadataOptions"]["httpPutResponseHopLimit"] = "1"
    result = _timed(pack, e)
    assert _names(result, "ZT-IAM-ONLY", "accessConfig is a str, not an object")
    assert _names(result, "ZT-NODE-METADATA", "metadataOptions.httpPutResponseHopLimit")


def test_wrong_shape_in_the_policy_config_names_the_config_key(pack):
    config = {"ZT-NODE-METADATA": {"maxHopLimit": "two"},
              "ZT-VERSION": {"minKubernetesVersion": "latest"}}
    result = _timed(pack, build(), config)
    assert _names(result, "ZT-NODE-METADATA", "policy config ZT-NODE-METADATA.maxHopLimit")
    assert _names(result, "ZT-VERSION", "ZT-VERSION.minKubernetesVersion")


# --- NaN / Infinity ---------------------------------------------------------------------------
def test_nan_in_a_field_no_control_reads_passes(pack):
    e = build()
    e.named("hand-aws").inputs["tags"] = {"cost": math.nan, "budget": math.inf}
    assert _mandatory(_timed(pack, e)) == []


def test_nan_where_a_control_needs_a_number_is_a_violation_naming_the_field(pack):
    e = build()
    e.named("hand-aws-general-lt").inputs["metadataOptions"]["httpPutResponseHopLimit"] = math.nan
    e.named("hand-aws-sandbox-lt").inputs["metadataOptions"]["httpPutResponseHopLimit"] = -math.inf
    result = _timed(pack, e)
    hits = [d for d in result.mandatory if "httpPutResponseHopLimit" in d.message]
    assert {d.urn for d in hits} == {e.named("hand-aws-general-lt").urn,
                                     e.named("hand-aws-sandbox-lt").urn}


# --- huge values ------------------------------------------------------------------------------
def test_huge_values_no_control_reads_pass(pack):
    e = build()
    e.named("hand-aws").inputs["tags"] = {f"k{i}": "v" * 100 for i in range(5000)}
    e.named("hand-aws").inputs["version"] = "1.35" + "9" * 5000  # over Python's int() limit
    assert _mandatory(_timed(pack, e)) == []


def test_huge_value_on_a_controls_path_is_a_violation_naming_the_field(pack):
    e = build()
    e.named("hand-aws-general-lt").inputs["metadataOptions"]["httpPutResponseHopLimit"] = 1e308
    e.named("hand-aws").inputs["enabledClusterLogTypes"] = ["api"] * 20000
    result = _timed(pack, e)
    assert _names(result, "ZT-NODE-METADATA", "metadataOptions.httpPutResponseHopLimit")
    assert _names(result, "ZT-AUDIT-IMMUTABLE", "enabledClusterLogTypes")


def _deep(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = [value]
    return value


@pytest.fixture
def deep_requests():
    """The test client builds its requests recursively too: let it build 500 levels."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    yield 500
    sys.setrecursionlimit(limit)


def test_nesting_past_what_the_sdk_reads_passes_where_no_control_reads(pack, deep_requests):
    e = build()
    e.named("hand-aws").inputs["tags"] = {"deep": _deep(deep_requests)}
    assert _mandatory(_timed(pack, e)) == []


def test_nesting_past_what_the_sdk_reads_on_a_controls_path_names_the_field(pack, deep_requests):
    e = build()
    e.named("hand-aws-general-lt").inputs["metadataOptions"]["httpTokens"] = _deep(deep_requests)
    assert _names(_timed(pack, e), "not-verifiable-at-preview", "metadataOptions.httpTokens")


# --- fuzz -------------------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
    | st.sampled_from(["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "0.0.0.0/0", "true", "API"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
BASE = build()
PATHS = sorted({f"{k}.{k2}" if isinstance(v, dict) else k
                for r in BASE.resources for k, v in r.inputs.items()
                for k2 in (v if isinstance(v, dict) else [None])})


def _put(inputs: dict, path: str, value) -> None:
    head, _, rest = path.partition(".")
    if rest and isinstance(inputs.get(head), dict):
        inputs[head][rest] = value
    else:
        inputs[head] = value


EDIT = st.tuples(st.integers(0, len(BASE.resources) - 1), st.sampled_from(PATHS), JSON)
LINK = st.tuples(st.integers(0, len(BASE.resources) - 1), st.integers(0, len(BASE.resources) - 1),
                 st.booleans())
# Another resource's type: every rule then reads properties written for another resource.
RETYPE = st.tuples(st.integers(0, len(BASE.resources) - 1),
                   st.sampled_from(sorted({r.type for r in BASE.resources})))
SETTINGS = sorted({(policy, key) for policy, keys in EXTRA.items() for key in keys})
CONFIG = st.dictionaries(st.sampled_from(SETTINGS), JSON, max_size=3)


def _configure(stub, config: dict) -> None:
    """Every policy mandatory, with the drawn settings (any value, of any type)."""
    info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=ANSWER_S)
    props: dict[str, dict] = {}
    for (policy, key), value in config.items():
        props.setdefault(policy, {})[key] = value
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        p.name: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY,
                                          properties=_struct(props.get(p.name, {})))
        for p in info.policies}), timeout=ANSWER_S)
    stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=STACK, project=PROJECT, dry_run=True), timeout=ANSWER_S)


def _answered(response) -> None:
    for d in diagnostics_of(response):
        assert d.message.strip(), d
        assert decode(d.message, d.description) is not None, d.message  # every one structured


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=st.lists(EDIT, max_size=6), links=st.lists(LINK, max_size=4),
       retypes=st.lists(RETYPE, max_size=3), config=CONFIG)
def test_fuzz_analyze_and_analyze_stack_always_answer(pack, edits, links, retypes, config):
    resources = copy.deepcopy(BASE.resources)
    for i, path, value in edits:
        _put(resources[i].inputs, path, value)
    for i, type_ in retypes:
        resources[i].type = type_
    for i, j, as_parent in links:  # arbitrary parents and dependencies: cycles included
        if as_parent:
            resources[i].parent = resources[j].urn
        else:
            resources[i].dependencies = [*resources[i].dependencies, resources[j].urn]
    by_urn = {r.urn: r for r in resources}
    try:
        _configure(pack.stub, config)
        for i in dict.fromkeys([i for i, _, _ in edits] + [i for i, _ in retypes]):
            _answered(pack.stub.Analyze(analyze_request(resources[i], by_urn), timeout=ANSWER_S))
        _answered(pack.stub.AnalyzeStack(stack_request(resources), timeout=ANSWER_S))
    except grpc.RpcError as error:  # an error or a deadline: the pack did not answer
        pytest.fail(f"{error.code()}: {error.details()}")
