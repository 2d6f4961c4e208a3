"""Every provider resource's inputs against the schema its installed, pinned SDK carries.

The SDKs are generated from each provider's schema: a resource's `*Args` class and every
`@pulumi.input_type` class it reaches name each property by its exact wire name
(`@pulumi.getter(name="vpcConfig")`), type it (`pulumi.Input[Optional[Sequence[...]]]`),
mark it required (no `Optional`), and type enums as `Enum` classes or `Literal`s. This module
turns those classes into a small schema tree, once per class, and walks the captured inputs
against it: unknown property names at any depth (a snake_case name included), wrong types,
missing required properties and values outside an enum.

Only the SDK modules of the types present in the plan are imported.
"""

from __future__ import annotations

import collections.abc
import difflib
import enum
import importlib
import json
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version as dist_version
from typing import Any

import pulumi
from pulumi import _types as pulumi_types  # the SDK runtime's own reading of input types
from pulumi.runtime.rpc import get_resource_module

from zero_trust_clusters.engine.schema.findings import Finding, show
from zero_trust_clusters.engine.schema.plan import PlanResource, join, opaque

PACKAGES = {
    "aws": "pulumi_aws",
    "azure-native": "pulumi_azure_native",
    "gcp": "pulumi_gcp",
    "kubernetes": "pulumi_kubernetes",
}
DISTRIBUTIONS = {
    "aws": "pulumi-aws",
    "azure-native": "pulumi-azure-native",
    "gcp": "pulumi-gcp",
    "kubernetes": "pulumi-kubernetes",
}
PROVIDER_PREFIX = "pulumi:providers:"


# --- the schema tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    kind: str  # string | boolean | integer | number | any

    def describe(self) -> str:
        return "any value" if self.kind == "any" else f"a {self.kind}"


@dataclass(frozen=True)
class Choice:
    """An enum: `values` are the wire values. `open` for azure-native's `Union[str, Enum]`
    (the API version's schema lists the values; the provider lets other strings through)."""

    name: str
    values: tuple[Any, ...]
    open: bool = False

    def describe(self) -> str:
        kind = "extensible enum" if self.open else "enum"
        return f"one of {', '.join(map(str, self.values))} ({kind} {self.name})"


@dataclass(frozen=True)
class Array:
    items: Node

    def describe(self) -> str:
        return "a list"


@dataclass(frozen=True)
class Map:
    values: Node

    def describe(self) -> str:
        return "a map"


@dataclass(eq=False)
class Object:
    """An `@pulumi.input_type` class; properties resolved on first use (types recurse)."""

    cls: type
    _properties: dict[str, Node] | None = field(default=None, repr=False)
    _required: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.cls.__name__

    def describe(self) -> str:
        return f"an object ({self.name})"

    @property
    def properties(self) -> dict[str, Node]:
        if self._properties is None:
            hints = pulumi_types._raw_return_hints(self.cls)
            self._required = frozenset(pulumi_types._required_property_names(self.cls))
            self._properties = {name: node_for(hint) for name, hint in hints.items()}
        return self._properties

    @property
    def required(self) -> frozenset[str]:
        _ = self.properties
        return self._required


@dataclass(frozen=True)
class OneOf:
    members: tuple[Node, ...]

    def describe(self) -> str:
        return " or ".join(m.describe() for m in self.members)


Node = Scalar | Choice | Array | Map | Object | OneOf
ANY = Scalar("any")
_SCALARS = {str: "string", bool: "boolean", int: "integer", float: "number"}
_OBJECTS: dict[type, Object] = {}


def _is_plumbing(hint: Any) -> bool:
    """Members of `pulumi.Input[T]` / `InputType[T]` that are not wire shapes."""
    if hint is type(None):
        return True
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Awaitable, typing.Awaitable) or origin is pulumi.Output:
        return True
    return isinstance(hint, type) and typing.is_typeddict(hint)


def node_for(hint: Any) -> Node:
    """The schema node of a resolved type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(hint) if not _is_plumbing(m)]
        # InputType[T] is Union[T, Mapping[str, Any]]: the mapping is T in dict form.
        if any(pulumi_types.is_input_type(m) for m in members if isinstance(m, type)):
            members = [m for m in members if typing.get_origin(m) not in _MAPPINGS]
        enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
        if enums and len(members) == len(enums) + 1 and str in members:
            values = tuple(v.value for e in enums for v in e)
            return Choice("/".join(e.__name__ for e in enums), values, open=True)
        nodes = tuple(dict.fromkeys(node_for(m) for m in members))
        return nodes[0] if len(nodes) == 1 else OneOf(nodes)
    if origin is typing.Literal:
        return Choice("literal", typing.get_args(hint))
    if origin in _SEQUENCES:
        (item,) = typing.get_args(hint) or (Any,)
        return Array(node_for(item))
    if origin in _MAPPINGS:
        args = typing.get_args(hint)
        return Map(node_for(args[1] if len(args) == 2 else Any))
    if hint in _SCALARS:
        return Scalar(_SCALARS[hint])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Choice(hint.__name__, tuple(v.value for v in hint))
    if isinstance(hint, type) and pulumi_types.is_input_type(hint):
        if hint not in _OBJECTS:
            _OBJECTS[hint] = Object(hint)
        return _OBJECTS[hint]
    return ANY  # Any, assets and archives, JSON values


_SEQUENCES = {list, collections.abc.Sequence, typing.Sequence, typing.List}  # noqa: UP006
_MAPPINGS = {dict, collections.abc.Mapping, typing.Mapping, typing.Dict}  # noqa: UP006


# --- from a type token to its Args class -----------------------------------------------------


class UnknownType(LookupError):
    pass


def package_of(type_token: str) -> str:
    return type_token.removeprefix(PROVIDER_PREFIX).split(":")[0]


@cache
def args_class(type_token: str) -> type:
    """The `*Args` input type of a resource (or provider) type, from its SDK."""
    package = package_of(type_token)
    if package not in PACKAGES:
        raise UnknownType(f"no SDK for package {package!r}")
    if type_token.startswith(PROVIDER_PREFIX):
        return importlib.import_module(f"{PACKAGES[package]}.provider").ProviderArgs
    importlib.import_module(PACKAGES[package])  # registers the package's resource modules
    _, module_name, _ = type_token.split(":")
    module = get_resource_module(package, module_name, "")
    class_name = module.mod_info["classes"].get(type_token) if module else None
    if class_name is None:
        raise UnknownType(f"{type_token} is not a resource type of {sdk_source(package)}")
    resource_cls = getattr(importlib.import_module(module.mod_info["fqn"]), class_name)
    # The Args class sits beside its resource (names vary: ...InitArgs when Args is taken).
    defining = sys.modules[resource_cls.__module__]
    for name in getattr(defining, "__all__", ()):
        candidate = getattr(defining, name)
        if isinstance(candidate, type) and pulumi_types.is_input_type(candidate):
            return candidate
    raise UnknownType(f"{type_token}: no input type beside {resource_cls.__qualname__}")


@cache
def sdk_source(package: str) -> str:
    return f"{DISTRIBUTIONS[package]} {dist_version(DISTRIBUTIONS[package])} SDK"


def known(type_token: str) -> bool:
    return package_of(type_token) in PACKAGES


# --- walking the inputs ----------------------------------------------------------------------

Emit = Callable[[str, Any, str, str], None]  # path, value, expected, source class


def _wire_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":  # numbers cross the wire as floats
        return _wire_number(value) and float(value).is_integer()
    return _wire_number(value)


def _snake_to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _unknown_property(obj: Object, key: str) -> str:
    names = sorted(obj.properties)
    camel = _snake_to_camel(key)
    if "_" in key and camel in obj.properties:
        hint = f"; snake_case is the Python name, the wire name is {camel!r}"
    else:
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(names[:15]) + (", …" if len(names) > 15 else "")
    return f"a property of {obj.name} ({listed}){hint}"


def walk(
    value: Any,
    node: Node,
    path: str,
    emit: Emit,
    *,
    provider: bool = False,
    maybe_absent: frozenset[str] | None = frozenset(),
) -> None:
    """Emit one finding per value that does not fit `node`. Opaque values always fit."""
    if value is None or opaque(value) or node is ANY:
        return
    if provider and isinstance(value, str) and not _accepts_string(node):
        # Provider configuration crosses the wire as strings, JSON-encoded when not one.
        try:
            value = json.loads(value)
        except ValueError:
            emit(path, value, f"{node.describe()} (JSON-encoded provider config)", "")
            return
        provider = False
    if isinstance(node, Scalar):
        if not _scalar_ok(node.kind, value):
            emit(path, value, node.describe(), "")
    elif isinstance(node, Choice):
        if value not in node.values:
            emit(path, value, node.describe(), node.name)
    elif isinstance(node, Array):
        if not isinstance(value, list):
            emit(path, value, node.describe(), "")
            return
        for i, item in enumerate(value):
            walk(item, node.items, join(path, i), emit, provider=provider)
    elif isinstance(node, Map):
        if not isinstance(value, dict):
            emit(path, value, node.describe(), "")
            return
        for key, item in value.items():
            walk(item, node.values, join(path, key), emit, provider=provider)
    elif isinstance(node, Object):
        _walk_object(value, node, path, emit, provider=provider, maybe_absent=maybe_absent)
    else:
        _walk_one_of(value, node, path, emit, provider=provider)


def _walk_object(
    value: Any,
    node: Object,
    path: str,
    emit: Emit,
    *,
    provider: bool,
    maybe_absent: frozenset[str] | None,
) -> None:
    if not isinstance(value, dict):
        emit(path, value, node.describe(), node.name)
        return
    properties = node.properties
    for key, item in value.items():
        child = properties.get(key)
        if child is None:
            emit(join(path, key), item, _unknown_property(node, key), node.name)
        else:
            walk(item, child, join(path, key), emit, provider=provider)
    # A required input computed from another resource's output is absent while unknown under
    # the mocks (the engine would send it as unknown, not omit it): `maybe_absent` names the
    # top-level inputs fed by outputs, None turns the check off (a first preview).
    if maybe_absent is None:
        return
    for name in sorted(node.required - value.keys() - maybe_absent):
        emit(join(path, name), "(missing)", f"required property {name!r} of {node.name}", node.name)


def _walk_one_of(value: Any, node: OneOf, path: str, emit: Emit, *, provider: bool) -> None:
    for member in node.members:
        problems: list[Any] = []
        walk(value, member, path, lambda *a, found=problems: found.append(a), provider=provider)
        if not problems:
            return
    emit(path, value, node.describe(), "")


def _accepts_string(node: Node) -> bool:
    if isinstance(node, Scalar):
        return node.kind in ("string", "any")
    if isinstance(node, Choice):
        return node.open or any(isinstance(v, str) for v in node.values)
    if isinstance(node, OneOf):
        return any(_accepts_string(m) for m in node.members)
    return False


# --- the check -------------------------------------------------------------------------------

# Kubernetes API objects are checked against the cluster's OpenAPI schema (kubernetes.py);
# their SDK classes only mirror it, and custom resources have none.
_K8S_OBJECT = re.compile(r"^kubernetes:[^:]+/v[^:/]*:[A-Z]\w*$")
_K8S_SDK_TYPES = ("kubernetes:helm.sh/", "kubernetes:yaml/", "kubernetes:kustomize/")


def handles(resource: PlanResource) -> bool:
    if not known(resource.type):
        return False
    if resource.type.startswith("kubernetes:"):
        return resource.type.startswith(_K8S_SDK_TYPES) or not _K8S_OBJECT.match(resource.type)
    return resource.custom or resource.type.startswith(PROVIDER_PREFIX)


def check(resource: PlanResource, *, first_preview: bool = False) -> Iterator[Finding]:
    package = package_of(resource.type)
    try:
        root = node_for(args_class(resource.type))
    except UnknownType as error:
        yield Finding(resource.urn, "", show(resource.type), "a resource type of the SDK",
                      f"{sdk_source(package)}: {error}", "sdk")
        return
    found: list[Finding] = []

    def emit(path: str, value: Any, expected: str, cls: str) -> None:
        source = f"{sdk_source(package)}: {cls or root.name}"
        found.append(Finding(resource.urn, path, show(value), expected, source, "sdk"))

    walk(
        resource.inputs, root, "", emit,
        provider=resource.type.startswith(PROVIDER_PREFIX),
        maybe_absent=None if first_preview else resource.dependent,
    )
    yield from found
