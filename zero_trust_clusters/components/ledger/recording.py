"""What a deployment writes to the ledger: from a stack export, or from a preview graph."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zero_trust_clusters.components.ledger.chain import (
    ChainVerifier,
    LedgerError,
    append,
    head_link,
    verify,
)
from zero_trust_clusters.components.ledger.code import CodeDigestError, code_digest
from zero_trust_clusters.components.ledger.entry import GENESIS_PREV, Signer, build_entry
from zero_trust_clusters.components.ledger.state import resources_from_stack_export, state_digest
from zero_trust_clusters.components.ledger.store import LedgerStore

DEFAULT_PROJECT = "zero-trust-clusters"


def _as_record(resource: Any) -> dict[str, Any]:
    """Accept plain dicts and objects with attributes (e.g. the engine's CapturedResource)."""
    if isinstance(resource, Mapping):
        return {"type": resource["type"], "name": resource["name"],
                "inputs": resource.get("inputs") or {}}
    return {"type": resource.type, "name": resource.name, "inputs": resource.inputs or {}}


def preview_entry(
    resources: Iterable[Any],
    stack: str,
    repo_dir: Path,
    *,
    project: str = DEFAULT_PROJECT,
    store: LedgerStore | None = None,
    signer: Signer | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The entry a deployment of `resources` would append (pure: nothing is written).

    Unsigned unless a `signer` is given; linked to `store`'s head when a store is given,
    otherwise shown as the first entry. A missing git checkout does not fail a preview:
    the code block then says why it is empty (recording refuses instead).
    """
    state = state_digest(_as_record(r) for r in resources)
    try:
        code = code_digest(repo_dir).as_dict()
    except CodeDigestError as exc:
        code = {"commit": None, "tree": None, "dirty": True, "subtrees": {}, "error": str(exc)}
    seq, prev = head_link(store) if store is not None else (0, GENESIS_PREV)
    return build_entry(
        seq=seq, prev=prev, stack=stack, project=project, time=now or datetime.now(UTC),
        state=state.as_dict(), code=code, signer=signer,
    )


def record_stack_export(
    document: Mapping[str, Any],
    *,
    stack: str,
    store: LedgerStore,
    signer: Signer,
    repo_dir: Path,
    project: str | None = None,
    preflight: ChainVerifier | None = None,
) -> dict[str, Any]:
    """Append the entry for a deployed stack (`pulumi stack export` JSON) and return it.

    The project defaults to the one named in the export's URNs. With `preflight` (the
    verifier `ztc ledger verify` uses, with its CRLs) nothing is written unless the signer's
    chain verifies and is not revoked, and the ledger already stored verifies from its first
    entry to its head (no gap, no broken link): a new entry never extends a broken record.
    """
    state = state_digest(resources_from_stack_export(document))
    project = project or project_of_export(document) or DEFAULT_PROJECT
    code = code_digest(repo_dir)
    if preflight is not None:
        report = verify(store, preflight)
        if report.broken is not None:
            raise LedgerError(
                f"refusing to record: the ledger in {store.location} is broken at entry "
                f"{report.broken.seq} ({report.broken.reason}); run `ztc ledger verify` and "
                "repair it first"
            )
    return append(
        store, signer=signer, stack=stack, project=project,
        state=state.as_dict(), code=code.as_dict(), preflight=preflight,
    )


def project_of_export(document: Mapping[str, Any]) -> str | None:
    """`urn:pulumi:<stack>::<project>::…` of the first resource, if any."""
    deployment = document.get("deployment") if isinstance(document, Mapping) else None
    resources = deployment.get("resources") if isinstance(deployment, Mapping) else None
    for res in resources if isinstance(resources, list) else []:
        parts = str(res.get("urn", "") if isinstance(res, Mapping) else "").split("::")
        if len(parts) >= 3:
            return parts[1]
    return None
