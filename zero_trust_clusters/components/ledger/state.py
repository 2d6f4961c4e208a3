"""The desired state of a deployment, reduced to a canonical digest.

A resource contributes its type, name and inputs. Secret values are replaced by a fixed
marker before hashing: nothing derived from a secret (not even a hash, which a short or
well-known secret would make guessable) ever enters the ledger. The cost: rotating a
secret alone does not change the digest; the marker still shows where secrets are.
Unknown values (a preview before outputs exist) get a marker of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zero_trust_clusters.components.ledger.canonical import canonical_bytes, sha256_hex

# Pulumi's wire signature for secrets (pulumi.runtime.rpc._special_sig_key /
# _special_secret_sig). `pulumi stack export` uses the same pair around `ciphertext`
# or `plaintext`. Copied so the ledger does not import the Pulumi runtime; a test
# pins them to the SDK's values.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"
# pulumi.runtime.rpc.UNKNOWN: the placeholder for a value not known during preview.
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SECRET_MARKER = {"$ztc": "secret"}
UNKNOWN_MARKER = {"$ztc": "unknown"}
STACK_TYPE = "pulumi:pulumi:Stack"


class StackExportError(ValueError):
    """The input is not a `pulumi stack export` document."""


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG_VALUE


def _is_unknown(value: Any) -> bool:
    """The wire placeholder, or `pulumi.output.Unknown` (what keep_unknowns=True yields)."""
    if isinstance(value, str):
        return value == UNKNOWN_VALUE
    kind = type(value)
    return kind.__name__ == "Unknown" and kind.__module__ == "pulumi.output"


def mask(value: Any) -> tuple[Any, int]:
    """`value` with every secret replaced by SECRET_MARKER; also the number of secrets."""
    if is_secret(value):
        return dict(SECRET_MARKER), 1
    if _is_unknown(value):
        return dict(UNKNOWN_MARKER), 0
    if isinstance(value, Mapping):
        out, count = {}, 0
        for key, item in value.items():
            out[key], n = mask(item)
            count += n
        return out, count
    if isinstance(value, (list, tuple)):
        items, count = [], 0
        for item in value:
            masked, n = mask(item)
            items.append(masked)
            count += n
        return items, count
    return value, 0


@dataclass(frozen=True)
class StateDigest:
    digest: str
    resources: int
    secrets: int

    def as_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "resources": self.resources, "secrets": self.secrets}


def state_digest(resources: Iterable[Mapping[str, Any]]) -> StateDigest:
    """Digest of resources given as mappings with `type`, `name` and `inputs`.

    Registration order differs between runs (Pulumi registers concurrently), so the
    records are sorted by their own canonical bytes: a total, stable order. The
    `pulumi:pulumi:Stack` root has no inputs of its own and is left out.
    """
    records: list[bytes] = []
    secrets = 0
    for resource in resources:
        if resource["type"] == STACK_TYPE:
            continue
        inputs, n = mask(dict(resource.get("inputs") or {}))
        secrets += n
        records.append(
            canonical_bytes({"type": resource["type"], "name": resource["name"], "inputs": inputs})
        )
    records.sort()
    # Each record is canonical, so joining them gives the canonical form of the array.
    body = b"[" + b",".join(records) + b"]"
    return StateDigest(digest=sha256_hex(body), resources=len(records), secrets=secrets)


def resources_from_stack_export(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Resources of a `pulumi stack export` document (the deployment's checkpoint).

    The name is the last `::` part of the URN; inputs are the state's recorded inputs
    (after the provider's Check, so they include defaults the provider filled in).
    """
    deployment = document.get("deployment") if isinstance(document, Mapping) else None
    if not isinstance(deployment, Mapping):
        raise StackExportError(
            "not a `pulumi stack export` document: no `deployment` object "
            "(pipe the output of `pulumi stack export -s <stack>` into `ztc ledger record`)"
        )
    resources = deployment.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, Mapping) for r in resources):
        raise StackExportError(
            "`deployment.resources` must be a list of objects, as `pulumi stack export` writes"
        )
    out = []
    for res in resources:
        urn = res.get("urn", "")
        if not isinstance(urn, str) or not isinstance(res.get("type", ""), str):
            raise StackExportError("each resource's `urn` and `type` must be strings")
        if not isinstance(res.get("inputs") or {}, Mapping):
            raise StackExportError(f"resource {urn[:120]}: `inputs` must be an object")
        if res.get("delete"):  # pending delete: not part of the desired state
            continue
        out.append(
            {
                "type": res.get("type", ""),
                "name": urn.rsplit("::", 1)[-1],
                "inputs": res.get("inputs") or {},
            }
        )
    return out
