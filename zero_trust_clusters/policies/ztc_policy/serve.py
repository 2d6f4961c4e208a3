"""How the pack is served: the SDK's own servicer, with a memo per call and never a gRPC error.

pulumi_policy 1.21 deserializes a resource's properties again for every policy and hands each
stack policy its own copy of the whole stack, so the policies cannot tell that they judge the
same request. The servicer below keeps one memo for the duration of each Analyze and
AnalyzeStack call: the stack policies then build the graph, ownership and posture once per call
(pack.py). The memo lives exactly as long as the call, so no verdict comes from another request.

It also answers requests the SDK itself cannot read: protobuf's JSON conversion (run by the SDK
on every request) raises on NaN and +-Infinity, the SDK raises on a malformed asset, archive or
secret object, and its readers recurse past Python's limit on very deep nesting. Such a value is replaced by `values.UNREADABLE`, which every rule judges like
an unknown value (never "set", so never passed), and the call is answered; should even that
fail, the answer is one mandatory violation saying the request could not be read.

If the SDK no longer has this servicer class (another version than zero_trust_clusters/policies/requirements.txt
pins), the pack is served by the plain SDK: no memo (every policy computes its own answer, the
same verdicts, slower) and no guard against unreadable requests.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import PolicyPack
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import SPECIAL_SIG_KEY, deserialize_properties

from .findings import Finding, Status
from .values import UNREADABLE

_call = threading.local()


def memo() -> dict[Any, Any] | None:
    """Values shared by the policies of the current Analyze/AnalyzeStack call (None when the
    servicer below is not in use, e.g. a policy called directly)."""
    return getattr(_call, "memo", None)


# Nesting the SDK reads without reaching Python's recursion limit (its readers recurse a few
# frames per level); no provider's schema comes near it.
MAX_DEPTH = 64


def _readable_struct(struct: struct_pb2.Struct) -> None:
    """Replace every value under `struct` that the SDK cannot read by UNREADABLE: NaN,
    +-Infinity, a malformed asset/archive/secret object, anything nested deeper than MAX_DEPTH.
    Iterative, so that no nesting makes the repair itself fail."""
    todo: list[tuple[struct_pb2.Value, int]] = [(v, 1) for v in struct.fields.values()]
    while todo:
        value, depth = todo.pop()
        kind = value.WhichOneof("kind")
        too_deep = kind in ("struct_value", "list_value") and depth >= MAX_DEPTH
        if too_deep or (kind == "number_value" and not math.isfinite(value.number_value)):
            value.string_value = UNREADABLE
        elif kind == "struct_value":
            if SPECIAL_SIG_KEY in value.struct_value.fields and not _sdk_reads(value):
                value.string_value = UNREADABLE
                continue
            todo.extend((v, depth + 1) for v in value.struct_value.fields.values())
        elif kind == "list_value":
            todo.extend((v, depth + 1) for v in value.list_value.values)


def _sdk_reads(value: struct_pb2.Value) -> bool:
    """Whether the SDK deserializes this signature object (asset, archive, secret)."""
    try:
        deserialize_properties({"v": json_format.MessageToDict(value.struct_value)})
    except Exception:  # noqa: BLE001 - whatever the SDK refuses to read
        return False
    return True


def _readable_copy(request: Any) -> Any:
    """A copy of an Analyze/AnalyzeStack request whose properties the SDK can read."""
    copy = type(request)()
    copy.CopyFrom(request)
    for part in list(copy.resources) if hasattr(copy, "resources") else [copy]:
        _readable_struct(part.properties)
        if part.HasField("provider"):
            _readable_struct(part.provider.properties)
    return copy


def _last_resort(pack: str, policy: str, request: Any, error: BaseException) -> Any:
    """One mandatory violation: the request could not be judged at all."""
    urn = getattr(request, "urn", "")
    finding = Finding(None, Status.FAIL, f"the pack could not read {urn or 'the stack'} "
                      f"({type(error).__name__}: {str(error)[:200]}); nothing in it is judged")
    return proto.AnalyzeResponse(diagnostics=[proto.AnalyzeDiagnostic(
        policyName=policy, policyPackName=pack, message=finding.wire, urn=urn,
        enforcementLevel=proto.MANDATORY)])


_SDK_SERVICER: Any = getattr(sdk, "_PolicyAnalyzerServicer", None)


def serve(*, last_resort_policy: str, **pack: Any) -> None:
    """`PolicyPack(**pack)`, served through the guarded servicer when the SDK has its class.
    `last_resort_policy` names the violation of a request nothing could read."""
    if _SDK_SERVICER is not None:
        sdk._PolicyAnalyzerServicer = _guarded(_SDK_SERVICER, pack["name"], last_resort_policy)
    PolicyPack(**pack)


def _guarded(base: type, pack_name: str, last_resort_policy: str) -> type:
    class Servicer(base):  # type: ignore[misc,valid-type]
        def Analyze(self, request, context):
            return self._answer(super().Analyze, request, context)

        def AnalyzeStack(self, request, context):
            return self._answer(super().AnalyzeStack, request, context)

        def Configure(self, request, context):
            for config in request.policyConfig.values():
                _readable_struct(config.properties)  # a bad setting is reported by its policy
            return super().Configure(request, context)

        def _answer(self, call, request, context):
            """The SDK's answer; if the SDK cannot read the request, its answer once every
            unreadable value is replaced; failing even that, one mandatory violation."""
            try:
                _call.memo = {}
                return call(request, context)
            except Exception:  # noqa: BLE001, S110 - the SDK could not read it: retried below
                pass
            finally:
                _call.memo = None
            try:
                _call.memo = {}
                return call(_readable_copy(request), context)
            except Exception as error:  # noqa: BLE001 - the request must still be answered
                return _last_resort(pack_name, last_resort_policy, request, error)
            finally:
                _call.memo = None

    return Servicer


__all__ = ["memo", "serve"]
