"""The cloud registry: everything the cloud-agnostic code needs to know about a cloud.

Each cloud package has a `cloud.py` that defines one `CloudEntry` (`ENTRY`) and imports no
provider SDK, so validating a one-cloud stack loads one cloud's light module and building it
loads one SDK. `BUILTIN` is the one line per cloud; `register()` adds another at run time (the
test suite registers a fourth cloud that way). Asking for an unknown cloud is an error, never a
fall-through to some default.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: no import cycle, no SDK at import time
    from pydantic import BaseModel

    from zero_trust_clusters.components.cluster import HardenedCluster, SandboxPlacement
    from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, PortableGroup

# The built-in clouds, by name: the module holding each one's ENTRY.
BUILTIN: dict[str, str] = {
    "aws": "zero_trust_clusters.components.aws.cloud",
    "azure": "zero_trust_clusters.components.azure.cloud",
    "gcp": "zero_trust_clusters.components.gcp.cloud",
}


class UnknownCloudError(ValueError):
    """A cloud name no entry is registered for."""


@dataclass(frozen=True)
class CloudEntry:
    """One cloud, as the spec, the estate, the baseline, the offline engine and the report see it."""

    name: str  # the value of clusters[i].cloud, and the name of the cluster's settings block
    title: str  # the managed service, for reports ("EKS")
    provider_package: str  # the Pulumi type-token prefix of its provider ("azure-native")
    component_type: str  # the cluster component's type token ("ztc:aws:EksCluster")
    # The model of the cluster's `<name>:` block in the stack file (None: the cloud has none).
    settings: type[BaseModel] | None
    settings_required: bool
    # Where the `sandboxed` RuntimeClass lands pods on this cloud's VM-sandbox pool.
    sandbox: SandboxPlacement
    # The RBAC subject name of a portable group on this cloud, and the posture key holding it.
    group_identity: Callable[[PortableGroup], str | None]
    group_identity_key: str
    # The HardenedCluster subclass as "module:Class", imported (with its provider SDK) only when
    # a cluster is built: the entry itself never imports the component.
    component: str
    # Checks of one cluster that only this cloud makes (regions, sizes, names), by index; run
    # in order, a later check's problem on a key an earlier one refused is dropped.
    checks: tuple[Callable[[ClusterSpec, int | None], list[str]], ...] = ()
    # Checks of the whole estate this cloud needs (e.g. every group's identity on this cloud).
    estate_checks: tuple[Callable[[EstateSpec], list[str]], ...] = ()
    # The offline engine's fake answers for this provider package (zero_trust_clusters/engine/fakes).
    fakes_module: str | None = None
    # The kubeconfig exec plugin users and the cluster-phase runner need (DEPLOYING.md).
    exec_plugin: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def load_component(self) -> type[HardenedCluster]:
        return _load(self.component)


ClusterCheck = Callable[["ClusterSpec", int | None], list[str]]


def _load(target: str) -> Any:
    """The object a "module:name" string names, its module imported now."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def lazy_check(target: str) -> ClusterCheck:
    """A per-cluster check named as "module:function", imported on its first call: a cloud's
    `cloud.py` lists its validation modules' checks without importing them (or what they
    import) when the entry is registered."""
    def check(cluster: ClusterSpec, index: int | None) -> list[str]:
        return _load(target)(cluster, index)

    check.__qualname__ = check.__name__ = target
    return check


_entries: dict[str, CloudEntry] = {}


def register(entry: CloudEntry) -> CloudEntry:
    """Add (or replace) a cloud; returns it."""
    _entries[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    _entries.pop(name, None)


def get(name: str) -> CloudEntry:
    """The entry of cloud `name`; `UnknownCloudError` names the known ones otherwise."""
    if name not in _entries and name in BUILTIN:
        register(importlib.import_module(BUILTIN[name]).ENTRY)
    if name not in _entries:
        raise UnknownCloudError(
            f"no cloud {name!r} is registered; use one of {describe(names())}"
        )
    return _entries[name]


def names() -> list[str]:
    """Every known cloud: the built-in ones first, then any registered at run time."""
    return list(dict.fromkeys([*BUILTIN, *_entries]))


def entries() -> list[CloudEntry]:
    """Every cloud's entry (loads each cloud's light module)."""
    return [get(name) for name in names()]


def by_package(package: str) -> CloudEntry | None:
    """The cloud whose provider package is `package` ("azure-native" -> azure), if any."""
    return next((e for e in entries() if e.provider_package == package), None)


def describe(choices: list[str]) -> str:
    """'aws', 'azure' or 'gcp'."""
    quoted = [repr(c) for c in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
