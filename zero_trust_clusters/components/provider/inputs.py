"""From what the provider host passes a facade to the validated spec, or one keyed error.

The host (pulumi.provider.experimental.component) hands a facade plain dicts with the Python
field names of the TypedDicts in config.py (`node_cidr`), enum members for enum fields, and
integers as floats (3.0). `to_config` turns them back into the stack file's shape (camelCase,
enum values, integers), guided by the TypedDicts, and `load` validates that with `load_spec`,
the same checks a stack gets. Errors name the input property (`clusters[0].nodeCidr`) and the
fix.
"""

from collections.abc import Mapping
from enum import Enum
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pulumi
from pulumi.provider.experimental.util import camel_case

from zero_trust_clusters.components.provider.config import Cluster, Posture
from zero_trust_clusters.components.spec import CONFIG_NAMESPACE, EstateSpec, SpecError, load_spec


class InputError(pulumi.InputPropertiesError):
    """Invalid facade inputs; each line names the input property and what to change."""

    def __init__(self, component: str, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{component}: invalid inputs:\n" + "\n".join(f"  - {p}" for p in problems),
            [{"property_path": p.split(": ", 1)[0], "reason": p.split(": ", 1)[-1]}
             for p in problems],
        )


def to_config(value: Any, typ: Any, path: str) -> Any:
    """`value` (Python field names) in the stack file's shape (camelCase keys, enum values,
    integers).

    Keys of maps the user names (labels, intermediateRotations) are kept as given; a key no
    TypedDict declares is passed on unchanged, so the model refuses it by name."""
    if isinstance(value, pulumi.Output):
        # A secret or a value known only after deployment: the config decides which resources
        # exist, so it must be a plain value at preview.
        raise TypeError(f"{path}: is an Output (a secret or a value unknown until deployment); "
                         "pass a plain value")
    if isinstance(value, Enum):
        return value.value
    if typ is int and isinstance(value, float) and value.is_integer():
        return int(value)  # numbers cross the wire as floats; a fraction is left to the model
    if is_typeddict(typ) and isinstance(value, Mapping):
        hints = get_type_hints(typ)
        shaped = {}
        for key, item in value.items():
            if key in hints:
                name = camel_case(key)
                shaped[name] = to_config(item, hints[key], f"{path}.{name}")
            else:
                shaped[key] = item
        return shaped
    origin = get_origin(typ)
    if origin is list and isinstance(value, list):
        (item_type,) = get_args(typ)
        return [to_config(item, item_type, f"{path}[{i}]") for i, item in enumerate(value)]
    if origin is dict and isinstance(value, Mapping):
        _, item_type = get_args(typ)
        return {key: to_config(item, item_type, f"{path}.{key}") for key, item in value.items()}
    return value


def _input_key(problem: str, renames: Mapping[str, str]) -> str:
    """A spec problem (`zero-trust-clusters:clusters[0].nodeCidr: ...`) keyed by input path."""
    problem = problem.replace(f"{CONFIG_NAMESPACE}:", "")
    for old, new in renames.items():
        problem = problem.replace(old, new)
    return problem


def load(component: str, posture: Any, clusters: list[Any], *, builds_pki: bool,
         renames: Mapping[str, str] | None = None) -> EstateSpec:
    """The validated spec of `posture` + `clusters` as the host passes them, or `InputError`.

    `renames` rewrites config paths into the facade's input paths (`clusters[0]` -> `cluster`).
    A facade that `builds_pki` refuses the offline root: its key and passphrase are the Python
    program's stack secrets (`pkiRootKey`, `pkiRootPassphrase`), which a facade has no input
    for."""
    renames = renames or {}
    try:
        config = {
            "posture": to_config(posture, Posture, "posture"),
            "clusters": [to_config(c, Cluster, f"clusters[{i}]") for i, c in enumerate(clusters)],
        }
    except TypeError as error:
        raise InputError(component, [_input_key(str(error), renames)]) from None
    try:
        spec = load_spec(config, check_offline_root=False)
    except SpecError as error:
        raise InputError(component, [_input_key(p, renames) for p in error.problems]) from None
    if builds_pki and spec.posture.pki.root_mode == "offline":
        raise InputError(component, [(
            "posture.pki.rootMode: offline is not available through the component provider "
            "(the root's key and passphrase are secrets of the Python program); use managed, or "
            "the Python ZeroTrustEstate (zero_trust_clusters/components/estate.py)")])
    return spec
