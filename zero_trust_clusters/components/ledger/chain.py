"""Appending to and verifying a ledger, independent of where it is stored."""

from __future__ import annotations

import json
import random
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from zero_trust_clusters.components.ledger.canonical import (
    CanonicalFormError,
    canonical_bytes,
    loads,
)
from zero_trust_clusters.components.ledger.entry import (
    FORMAT,
    GENESIS_PREV,
    EntryError,
    Signer,
    build_entry,
    entry_hash,
    parse_time,
    verify_signature,
)
from zero_trust_clusters.components.ledger.store import LedgerStore, StoredEntry

# Checks that `leaf` (with `intermediates`) chains to the shared root and is a deployer
# certificate, as of `at`; raises any exception with a readable message otherwise.
# The PKI provides the real one (zero_trust_clusters.components.pki); tests may inject others.
ChainVerifier = Callable[[x509.Certificate, Sequence[x509.Certificate], datetime], None]


class LedgerError(RuntimeError):
    pass


class LedgerConflictError(LedgerError):
    """Too many concurrent writers won the race in a row."""


def _parse(stored: StoredEntry) -> dict[str, Any]:
    try:
        entry = loads(stored.data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EntryError(f"not valid JSON (partial or edited file): {exc}") from exc
    except CanonicalFormError as exc:  # NaN, Infinity: Python parses them, JSON has none
        raise EntryError(f"no canonical form: {exc}") from exc
    if not isinstance(entry, dict):
        raise EntryError("not a JSON object")
    return entry


def _hash(entry: Mapping[str, Any]) -> str:
    """Hash of an entry parsed by `_parse` (already normalized)."""
    return entry_hash(entry, normalized=True)


def _require_shape(entry: Mapping[str, Any]) -> None:
    """Types of the members verification reads, so a hostile edit is a finding, not a crash."""
    signer, signature = entry.get("signer"), entry.get("signature")
    if not isinstance(signer, dict) or not isinstance(signer.get("chain", []), list) or not all(
        isinstance(p, str) for p in signer.get("chain", [])
    ):
        raise EntryError("`signer.chain` must be a list of PEM strings")
    if not isinstance(signature, dict) or not all(
        isinstance(signature.get(k), str) for k in ("alg", "value")
    ):
        raise EntryError("`signature` must hold string `alg` and `value`")
    if not isinstance(entry.get("time"), str):
        raise EntryError("`time` must be a string")


def head_link(store: LedgerStore) -> tuple[int, str]:
    """(next sequence number, hash the next entry must link to)."""
    head = store.head()
    if head is None:
        return 0, GENESIS_PREV
    try:
        return head.seq + 1, _hash(_parse(head))
    except EntryError as exc:
        raise LedgerError(
            f"the last entry ({head.location}) is damaged ({exc}); run `ztc ledger verify` "
            "and repair the store before recording"
        ) from exc


def append(
    store: LedgerStore,
    *,
    signer: Signer,
    stack: str,
    project: str,
    state: Mapping[str, Any],
    code: Mapping[str, Any],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_attempts: int = 200,
    preflight: ChainVerifier | None = None,
) -> dict[str, Any]:
    """Sign and store a new entry after the current head; return it.

    With `preflight`, the signer's chain is checked first: an entry is immutable once
    written, so a misissued or expired certificate must be refused before it can leave
    an entry that will never verify.
    On a lost race (another writer took the sequence number) re-read the head, rebuild
    and re-sign, and try again, with a short random back-off so racers spread out.
    """
    if preflight is not None:
        try:
            preflight(signer.chain[0], list(signer.chain[1:]), clock())
        except Exception as exc:  # any refusal stops the write, with its text
            raise LedgerError(
                f"refusing to record: the deployer certificate does not verify ({exc}); "
                "issue one with `ztc pki issue deployer` under the ledger signing CA"
            ) from exc
    for attempt in range(max_attempts):
        seq, prev = head_link(store)
        entry = build_entry(
            seq=seq, prev=prev, stack=stack, project=project, time=clock(),
            state=state, code=code, signer=signer,
        )
        if store.put_new(seq, canonical_bytes(entry) + b"\n"):
            return entry
        _time.sleep(random.uniform(0, min(0.002 * (attempt + 1), 0.05)))
    raise LedgerConflictError(
        f"gave up after {max_attempts} lost races for the head of {store.location}"
    )


@dataclass
class Broken:
    seq: int
    location: str
    reason: str


@dataclass
class VerifyReport:
    entries: int = 0
    head: str = GENESIS_PREV
    broken: Broken | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass
class _Trust:
    chain: list[x509.Certificate]
    # Why the chain is not trusted (None: trusted), and where all its certificates are valid.
    refusal: str | None
    not_before: datetime
    not_after: datetime


@dataclass
class _ChainCache:
    """Chain checks are the expensive part; a deployer signs many entries with one chain.

    Path validation depends on the time only through the certificates' validity windows,
    so a chain verified once is re-used for any entry whose time lies in the window
    where every certificate of the chain is valid.
    """

    verifier: ChainVerifier
    results: dict[tuple[str, ...], _Trust] = field(default_factory=dict)

    def get(self, pems: tuple[str, ...], at: datetime) -> _Trust:
        trust = self.results.get(pems)
        if trust is None:
            trust = self.results[pems] = self._verify(pems, at)
        return trust

    def _verify(self, pems: tuple[str, ...], at: datetime) -> _Trust:
        try:
            chain = [x509.load_pem_x509_certificate(p.encode("ascii")) for p in pems]
        except (ValueError, TypeError, UnicodeEncodeError, x509.InvalidVersion) as exc:
            raise EntryError(f"signer certificate does not parse: {exc}") from exc
        not_before = max(c.not_valid_before_utc for c in chain)
        not_after = min(c.not_valid_after_utc for c in chain)
        # Validate the path at a moment inside the window, so one entry with a bad time
        # does not mark the chain untrusted for the entries that are in time.
        moment = min(max(at, not_before), not_after)
        refusal = None
        try:
            self.verifier(chain[0], chain[1:], moment)
        except Exception as exc:  # noqa: BLE001 - any refusal is a finding, with its text
            refusal = f"signer certificate does not chain to the ledger root: {exc}"
        return _Trust(chain, refusal, not_before, not_after)


def verify(
    store: LedgerStore,
    chain_verifier: ChainVerifier,
    *,
    expected_head: str | None = None,
) -> VerifyReport:
    """Walk the ledger from the first entry and stop at the first broken one.

    Checks per entry: stored under its own sequence number with no gap, well-formed,
    linked to the hash of its predecessor, signed by its leaf certificate's key, and
    that certificate chains to the root as a deployer certificate at the entry's time.
    Removing entries from the END cannot be seen from the chain alone; pass the head
    hash recorded elsewhere (`expected_head`, e.g. printed by `ztc ledger record`) to
    check that too. Object Lock makes that removal impossible on S3.
    """
    report = VerifyReport()
    cache = _ChainCache(chain_verifier)
    expected_seq, prev = 0, GENESIS_PREV
    heads_seen: set[str] = set()
    for stored in store.entries():
        for note in stored.notes:
            report.warnings.append(f"entry {stored.seq} ({stored.location}): {note}")
        if stored.seq != expected_seq:
            report.broken = Broken(
                expected_seq, store.location,
                f"entry {expected_seq} is missing (the next stored entry is {stored.seq})",
            )
            return report
        try:
            entry = _parse(stored)
            _check_entry(entry, stored.seq, prev, cache)
            prev = _hash(entry)
        except EntryError as exc:
            report.broken = Broken(stored.seq, stored.location, str(exc))
            return report
        except Exception as exc:  # noqa: BLE001 - hostile bytes must be a finding, not a crash
            report.broken = Broken(stored.seq, stored.location,
                                   f"malformed entry ({type(exc).__name__}: {exc})")
            return report
        heads_seen.add(prev)
        expected_seq += 1
        report.entries = expected_seq
        report.head = prev
    if expected_head is not None and expected_head != report.head:
        where = "is an earlier entry" if expected_head in heads_seen else "is not in the ledger"
        report.broken = Broken(
            expected_seq, store.location,
            f"the expected head {expected_head} {where}; the ledger ends at entry "
            f"{expected_seq - 1} ({report.head}): entries after it were removed or replaced",
        )
    return report


def _check_entry(
    entry: Mapping[str, Any], seq: int, prev: str, cache: _ChainCache
) -> None:
    if entry.get("format") != FORMAT:
        raise EntryError(f"unknown format {entry.get('format')!r} (expected {FORMAT})")
    _require_shape(entry)
    if entry.get("seq") != seq or isinstance(entry.get("seq"), bool):
        raise EntryError(
            f"entry says it is number {entry.get('seq')!r} but is stored as {seq} "
            "(moved or reordered)"
        )
    if entry.get("prev") != prev:
        raise EntryError(
            f"link broken: prev is {entry.get('prev')!r} but entry {seq - 1} hashes to {prev} "
            "(an earlier entry was changed, or this one was moved)"
            if seq else f"first entry must link to {GENESIS_PREV}"
        )
    try:
        at = parse_time(entry.get("time", ""))
    except (TypeError, ValueError) as exc:
        raise EntryError(f"time {entry.get('time')!r} is not YYYY-MM-DDTHH:MM:SSZ") from exc
    pems = tuple(entry["signer"].get("chain") or ())
    if not pems:
        raise EntryError("entry is unsigned (no signer certificate)")
    trust = cache.get(pems, at)
    # Content first: an edited entry is reported as edited, whatever else is wrong.
    verify_signature(entry, trust.chain[0], normalized=True)
    if trust.refusal:
        raise EntryError(trust.refusal)
    if not trust.not_before <= at <= trust.not_after:
        raise EntryError(
            f"entry time {entry['time']} is outside the signer chain's validity "
            f"({trust.not_before:%Y-%m-%dT%H:%M:%SZ} .. {trust.not_after:%Y-%m-%dT%H:%M:%SZ})"
        )
