"""Pulumi mocks that answer like the clouds would, and a monitor that captures the graph."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.sync_await import _sync_await

from zero_trust_clusters.engine.fakes import for_package, stable_hex

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def unwrap(value: Any) -> Any:
    """Strip Pulumi's secret wrappers (recursively) from a deserialized property value."""
    if is_secret(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


class UnknownInvokeError(RuntimeError):
    pass


class ZtcMocks(pulumi.runtime.Mocks):
    """Dispatches each resource and invoke to the fake module of its provider package.

    With `preview=True` they answer like a first `pulumi preview`: a new resource's state is
    its inputs only and its id is empty, so every computed output (and every dynamic
    resource's output, whose `create` a preview never runs) is unknown to the program.
    """

    def __init__(self, preview: bool = False,
                 stack_outputs: dict[str, dict[str, Any]] | None = None):
        self.preview = preview
        # Fully qualified stack name -> its exports (secrets wrapped), for stack references.
        self.stack_outputs = stack_outputs or {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ == STACK_REFERENCE_TYPE:
            # Read even at preview: the referenced stack is deployed before this one runs.
            return self._stack_reference(str(args.inputs.get("name")))
        fake = for_package(args.typ.split(":")[0])  # None for providers and dynamic resources
        if self.preview:
            # A fake may reshape inputs where the provider's output shape differs (azure).
            reshape = getattr(fake, "preview_state", None)
            return "", reshape(args.typ, dict(args.inputs)) if reshape else dict(args.inputs)
        if args.typ == DYNAMIC_TYPE:
            return self._create_dynamic(args)
        state = dict(args.inputs)
        resource_id = None
        if fake is not None:
            state.update(fake.outputs(args.typ, args.name, args.inputs))
            resource_id = fake.resource_id(args.typ, args.name, args.inputs)
        return resource_id or f"{args.name}-{stable_hex(args.typ, args.name, length=8)}", state

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        fake = for_package(args.token.split(":")[0])
        try:
            result = fake.call(args.token, args.args) if fake is not None else None
        except LookupError as exc:
            # A fake's "not found" reaches the program as an invoke failure, like the engine's.
            return {}, [("", str(exc))]
        if result is None:
            raise UnknownInvokeError(
                f"the offline engine has no fake answer for invoke {args.token}; "
                "add one to zero_trust_clusters/engine/fakes"
            )
        return result, []  # pulumi iterates the failures list: never None

    def _stack_reference(self, name: str) -> tuple[str, dict]:
        if name not in self.stack_outputs:
            known = ", ".join(sorted(self.stack_outputs)) or "none"
            raise LookupError(f"no stack {name!r} in this offline run (known: {known})")
        exports = self.stack_outputs[name]
        return name, {
            "name": name,
            "outputs": {key: unwrap(value) for key, value in exports.items()},
            "secretOutputNames": sorted(k for k, v in exports.items() if is_secret(v)),
        }

    @staticmethod
    def _create_dynamic(args: MockResourceArgs) -> tuple[str, dict]:
        """Run the dynamic provider's real `create`, as the engine would on `pulumi up`; one
        whose `create` calls a cloud API (its `ztcKind` starts with the provider package,
        `azure-native:...`) is answered by that package's fake (`create_dynamic`) instead."""
        inputs = dict(args.inputs)
        kind = unwrap(inputs.get("ztcKind"))
        package, colon, _ = kind.partition(":") if isinstance(kind, str) else ("", "", "")
        fake = for_package(package) if colon else None
        if fake is not None and hasattr(fake, "create_dynamic"):
            resource_id, outs = fake.create_dynamic(kind, unwrap(
                {k: v for k, v in inputs.items() if k != "__provider"}))
            return resource_id, {**outs, "__provider": args.inputs["__provider"]}
        provider = dill.loads(base64.b64decode(unwrap(inputs.pop("__provider"))))
        result = provider.create(unwrap(inputs))
        outs = dict(result.outs or {})
        return result.id, {**outs, "__provider": args.inputs["__provider"]}


@dataclass
class CapturedResource:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    custom: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    # A multi-language component (registered with remote=True): its provider plugin builds its
    # children in the real engine; under mocks it has none.
    remote: bool = False


def _mark_secret_outputs(response, names: list[str]):
    """Wrap `additional_secret_outputs` as secrets, as the engine does (MockMonitor does not)."""
    state = rpc.deserialize_properties(response.object, keep_unknowns=True)
    for name in names:
        if name in state and not is_secret(state[name]):
            state[name] = {SECRET_SIG: SECRET_VALUE, "value": state[name]}
    obj = _sync_await(rpc.serialize_properties(state, {}))
    return type(response)(urn=response.urn, id=response.id, object=obj)


class CapturingMonitor(MockMonitor):
    """A mock monitor that records the full graph the program registers."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.captured: dict[str, CapturedResource] = {}
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the qualified type is the parent's whole qualified type
        (every ancestor component's type, `a$b$c`) then the resource's own, the root stack
        left out (resource.NewURN(stack, project, parent.QualifiedType(), type, name):
        https://github.com/pulumi/pulumi/blob/master/sdk/go/common/resource/urn.go). The SDK's
        MockMonitor keeps only the parent's last type, so a grandchild's URN would differ
        from the real one (and exemptions by URN would not match)."""
        qualified = parent.split("::")[2] if parent else ""
        if qualified and qualified != "pulumi:pulumi:Stack":
            type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        if request.additionalSecretOutputs:
            response = _mark_secret_outputs(response, list(request.additionalSecretOutputs))
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        outputs = rpc.deserialize_properties(response.object, keep_unknowns=True)
        self.captured[response.urn] = CapturedResource(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent,
            provider=request.provider,
            custom=request.custom,
            dependencies=list(request.dependencies),
            property_dependencies={
                k: list(v.urns) for k, v in request.propertyDependencies.items()
            },
            inputs=inputs,
            outputs=outputs,
            id=response.id,
            remote=request.remote,
        )
        return response

    def RegisterResourceOutputs(self, request):
        self.component_outputs[request.urn] = rpc.deserialize_properties(
            request.outputs, keep_unknowns=True
        )
        return super().RegisterResourceOutputs(request)
