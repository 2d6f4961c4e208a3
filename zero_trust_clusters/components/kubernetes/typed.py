"""Rendered objects -> typed pulumi-kubernetes resources (`*InitArgs`, recursively typed).

Every camelCase field is mapped onto the SDK's typed `*Args` class through the SDK's own
name/type tables, so a field the SDK does not know fails here, at once, not at deploy time.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi._types import input_type_py_to_pulumi_names, input_type_types, is_input_type

# (apiVersion, kind) -> the typed resource class for every built-in kind the baseline renders.
RESOURCE_CLASSES: dict[tuple[str, str], type[pulumi.CustomResource]] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "ResourceQuota"): k8s.core.v1.ResourceQuota,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("node.k8s.io/v1", "RuntimeClass"): k8s.node.v1.RuntimeClass,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"):
        k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"):
        k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
}


class UnknownFieldError(KeyError):
    pass


def _args_class(resource_cls: type) -> type:
    package = resource_cls.__module__.rpartition(".")[0]
    module = __import__(package, fromlist=["_"])
    return getattr(module, f"{resource_cls.__name__}InitArgs")


def _unwrap_input(tp: Any) -> Any:
    """Input[X] arrives as Union[X, Awaitable[X], Output[...]]: keep X."""
    if typing.get_origin(tp) is typing.Union:
        return typing.get_args(tp)[0]
    return tp


def _convert(tp: Any, value: Any) -> Any:
    if value is None or isinstance(value, pulumi.Output):
        return value
    tp = _unwrap_input(tp)
    if isinstance(tp, type) and is_input_type(tp) and isinstance(value, Mapping):
        return to_args(tp, value)
    origin = typing.get_origin(tp)
    if origin in (Sequence, list) and isinstance(value, list):
        (item,) = typing.get_args(tp)
        return [_convert(item, v) for v in value]
    return value


def to_args(args_cls: type, data: Mapping[str, Any]) -> Any:
    """Build `args_cls` (a pulumi input type) from a camelCase dict, recursively typed."""
    py_names = {pulumi_name: py for py, pulumi_name in input_type_py_to_pulumi_names(args_cls).items()}
    types = input_type_types(args_cls)
    kwargs = {}
    for key, value in data.items():
        if key not in py_names:
            raise UnknownFieldError(f"{args_cls.__name__} has no field {key!r}")
        kwargs[py_names[key]] = _convert(types[key], value)
    return args_cls(**kwargs)


def resource_name(cluster: str, obj: dict) -> str:
    """Deterministic, unique per stack: `<cluster>-<kind>-[<namespace>-]<name>`."""
    metadata = obj["metadata"]
    parts = [cluster, obj["kind"].lower()]
    if metadata.get("namespace"):
        parts.append(metadata["namespace"])
    parts.append(metadata["name"])
    return "-".join(parts)


def create(name: str, obj: dict, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """The typed resource for one rendered object (CustomResource for CRD kinds)."""
    key = (obj["apiVersion"], obj["kind"])
    resource_cls = RESOURCE_CLASSES.get(key)
    if resource_cls is None:
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        return k8s.apiextensions.CustomResource(
            name,
            api_version=obj["apiVersion"],
            kind=obj["kind"],
            metadata=to_args(k8s.meta.v1.ObjectMetaArgs, obj["metadata"]),
            opts=opts,
            **body,
        )
    if obj["kind"] == "Secret" and obj.get("data") is not None:
        obj = {**obj, "data": pulumi.Output.secret(obj["data"])}
    return resource_cls(name, to_args(_args_class(resource_cls), obj), opts)
