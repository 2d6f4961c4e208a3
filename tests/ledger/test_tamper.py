"""Every way of rewriting history is caught, and verify names the FIRST broken entry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID

from zero_trust_clusters.components.ledger.canonical import canonical_bytes
from zero_trust_clusters.components.ledger.chain import append, verify
from zero_trust_clusters.components.ledger.entry import (
    GENESIS_PREV,
    Signer,
    build_entry,
    entry_hash,
    sign,
)
from zero_trust_clusters.components.ledger.identity import signer_from_certified
from zero_trust_clusters.components.ledger.local import DirectoryStore
from zero_trust_clusters.components.ledger.store import entry_name
from zero_trust_clusters.components.pki import authority as pki

from .conftest import CODE, STATE


def fill(store: DirectoryStore, signer: Signer, count: int, stack: str = "dev") -> list[dict]:
    return [
        append(store, signer=signer, stack=stack, project="p", state=STATE, code=CODE)
        for _ in range(count)
    ]


def read(store: DirectoryStore, seq: int) -> dict:
    return json.loads((store.path / entry_name(seq)).read_bytes())


def overwrite(store: DirectoryStore, seq: int, entry: dict) -> None:
    target = store.path / entry_name(seq)
    target.chmod(0o644)  # entries are written read-only; an attacker with the disk can chmod
    target.write_bytes(canonical_bytes(entry) + b"\n")


@pytest.fixture
def ledger(tmp_path: Path, shared_pki) -> DirectoryStore:
    store = DirectoryStore(tmp_path / "ledger")
    fill(store, shared_pki.signer, 5)
    return store


def test_an_untouched_ledger_verifies(ledger, shared_pki):
    report = verify(ledger, shared_pki.verifier)
    assert report.ok and report.entries == 5
    assert report.head == entry_hash(read(ledger, 4))
    assert read(ledger, 0)["prev"] == GENESIS_PREV
    assert read(ledger, 3)["prev"] == entry_hash(read(ledger, 2))


@pytest.mark.parametrize(
    ("field", "value"),
    [("stack", "prod"), ("time", "2020-01-01T00:00:00Z"),
     ("state", {**STATE, "resources": 2}), ("code", {**CODE, "dirty": True})],
)
def test_editing_any_field_breaks_that_entry(ledger, shared_pki, field, value):
    entry = read(ledger, 2)
    entry[field] = value
    overwrite(ledger, 2, entry)
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 2
    assert "signature does not match" in report.broken.reason
    assert report.entries == 2


def test_whitespace_only_changes_are_not_tampering(ledger, shared_pki):
    # Hashes and signatures are over the canonical form, not the file's bytes.
    path = ledger.path / entry_name(1)
    pretty = json.dumps(json.loads(path.read_bytes()), indent=2)
    path.chmod(0o644)
    path.write_text(pretty)
    assert verify(ledger, shared_pki.verifier).ok


def test_deleting_a_middle_entry_is_detected(ledger, shared_pki):
    (ledger.path / entry_name(2)).unlink()
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 2 and "missing" in report.broken.reason


def test_deleting_and_renumbering_breaks_the_link(ledger, shared_pki):
    # Close the gap by moving 3 -> 2 and 4 -> 3: the numbers agree again, the links do not.
    (ledger.path / entry_name(2)).unlink()
    for seq in (3, 4):
        (ledger.path / entry_name(seq)).rename(ledger.path / entry_name(seq - 1))
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 2 and "moved or reordered" in report.broken.reason


def test_deleting_the_last_entry_is_caught_against_the_recorded_head(ledger, shared_pki):
    head = entry_hash(read(ledger, 4))
    (ledger.path / entry_name(4)).unlink()
    # The chain alone cannot tell a removed tail from one never written ...
    assert verify(ledger, shared_pki.verifier).ok
    # ... the head printed by `ztc ledger record` can.
    report = verify(ledger, shared_pki.verifier, expected_head=head)
    assert not report.ok and report.broken.seq == 4
    assert "removed or replaced" in report.broken.reason


def test_reordering_entries_is_detected(ledger, shared_pki):
    first, second = ledger.path / entry_name(1), ledger.path / entry_name(3)
    a, b = first.read_bytes(), second.read_bytes()
    for path, data in ((first, b), (second, a)):
        path.chmod(0o644)
        path.write_bytes(data)
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 1 and "stored as 1" in report.broken.reason


def test_a_rewritten_chain_signed_outside_the_pki_is_refused(ledger, shared_pki, outside_pki):
    # The attacker rewrites entry 2 and re-links everything after it, signing with a key
    # from a look-alike PKI: every hash link is consistent again, the signer is not.
    prev = entry_hash(read(ledger, 1))
    for seq in range(2, 5):
        entry = read(ledger, seq)
        forged = build_entry(
            seq=seq, prev=prev, stack=entry["stack"], project=entry["project"],
            time=dt.datetime.now(dt.UTC), state={**entry["state"], "resources": 99},
            code=entry["code"], signer=outside_pki.signer,
        )
        overwrite(ledger, seq, forged)
        prev = entry_hash(forged)
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 2
    assert "does not chain to the ledger root" in report.broken.reason


def test_resigning_with_the_right_chain_but_another_key_is_refused(ledger, shared_pki):
    # Keep the genuine certificate in the entry, sign with a different key.
    entry = read(ledger, 3)
    entry["state"] = {**entry["state"], "resources": 1}
    entry["signature"] = sign(entry, pki.generate_key())
    overwrite(ledger, 3, entry)
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 3 and "signature does not match" in report.broken.reason


def test_a_pki_certificate_without_the_ledger_eku_cannot_sign(tmp_path, shared_pki):
    # A workload (mTLS) certificate from the same root must not be usable as a deployer.
    intermediate = pki.issue_intermediate_ca(shared_pki.root, "c1", "c1.ledger.example")
    workload = pki.issue_workload_certificate(
        intermediate, "spiffe://c1.ledger.example/ns/a/sa/b",
        extended_key_usages=[ExtendedKeyUsageOID.CLIENT_AUTH],
    )
    store = DirectoryStore(tmp_path / "l")
    fill(store, shared_pki.signer, 1)
    fill(store, signer_from_certified(workload), 1)
    report = verify(store, shared_pki.verifier)
    assert report.broken.seq == 1 and "extended key usage" in report.broken.reason


def test_an_entry_dated_outside_the_certificate_validity_is_refused(tmp_path, shared_pki):
    store = DirectoryStore(tmp_path / "l")
    fill(store, shared_pki.signer, 2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)  # deployer cert lives 90 days
    append(store, signer=shared_pki.signer, stack="dev", project="p", state=STATE, code=CODE,
           clock=lambda: later)
    report = verify(store, shared_pki.verifier)
    assert report.broken.seq == 2 and "outside the signer chain's validity" in report.broken.reason


def test_a_revoked_deployer_is_refused(tmp_path, shared_pki):
    from zero_trust_clusters.components.ledger.identity import pki_verifier

    store = DirectoryStore(tmp_path / "l")
    fill(store, shared_pki.signer, 1)
    crl = pki.build_crl(shared_pki.signing_ca, [shared_pki.deployer.certificate.serial_number])
    report = verify(store, pki_verifier(shared_pki.roots, [crl]))
    assert report.broken.seq == 0 and "revoked" in report.broken.reason


def test_unsigned_entries_are_refused(tmp_path, shared_pki):
    store = DirectoryStore(tmp_path / "l")
    entry = build_entry(seq=0, prev=GENESIS_PREV, stack="dev", project="p",
                        time=dt.datetime.now(dt.UTC), state=STATE, code=CODE, signer=None)
    assert store.put_new(0, canonical_bytes(entry))
    report = verify(store, shared_pki.verifier)
    assert report.broken.seq == 0 and "unsigned" in report.broken.reason


def test_the_first_of_several_breaks_is_reported(ledger, shared_pki):
    for seq in (3, 1):
        entry = read(ledger, seq)
        entry["stack"] = "edited"
        overwrite(ledger, seq, entry)
    assert verify(ledger, shared_pki.verifier).broken.seq == 1


def test_only_a_self_signed_root_is_accepted_as_the_anchor(shared_pki):
    from zero_trust_clusters.components.ledger.identity import pki_verifier

    with pytest.raises(pki.PkiError, match="roots only"):
        pki_verifier([shared_pki.signing_ca.certificate])


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: e.update(signer="not-a-dict"),
        lambda e: e.update(signer={"chain": "not-a-list"}),
        lambda e: e.update(signer={"chain": [42]}),
        lambda e: e.update(signer={"chain": ["-----BEGIN CERTIFICATE-----\ngarbage"]}),
        lambda e: e.update(signature=None),
        lambda e: e.update(signature={"alg": "ECDSA-SHA256", "value": "!!not base64"}),
        lambda e: e.update(signature={"alg": "RSA-PSS", "value": ""}),
        lambda e: e.update(time=12345),
        lambda e: e.update(time="yesterday"),
        lambda e: e.update(seq=True),
        lambda e: e.update(format="ztc-ledger/0"),
        lambda e: e.pop("prev"),
    ],
)
def test_malformed_entries_are_findings_not_crashes(ledger, shared_pki, edit):
    entry = read(ledger, 1)
    edit(entry)
    overwrite(ledger, 1, entry)
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 1 and report.broken.reason


@pytest.mark.parametrize("raw", [b'{"seq": NaN}', b"[1, 2]", b"[" * 100_000, b"\xff\xfe"])
def test_unparseable_entries_are_findings_not_crashes(ledger, shared_pki, raw):
    path = ledger.path / entry_name(2)
    path.chmod(0o644)
    path.write_bytes(raw)
    report = verify(ledger, shared_pki.verifier)
    assert report.broken.seq == 2


def test_any_single_byte_change_in_any_entry_is_caught(tmp_path_factory, shared_pki):
    """Property: change any byte of any entry file (bar the trailing newline) -> broken."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    store = DirectoryStore(tmp_path_factory.mktemp("bytes") / "ledger")
    fill(store, shared_pki.signer, 3)
    originals = {seq: (store.path / entry_name(seq)).read_bytes() for seq in range(3)}
    for seq in originals:
        (store.path / entry_name(seq)).chmod(0o644)

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(seq=st.integers(0, 2), where=st.floats(0, 1, exclude_max=True),
           flip=st.integers(1, 255))
    def check(seq, where, flip):
        data = bytearray(originals[seq])
        index = int(where * (len(data) - 1))  # the last byte is the newline: not content
        data[index] ^= flip
        path = store.path / entry_name(seq)
        path.write_bytes(bytes(data))
        try:
            report = verify(store, shared_pki.verifier)
            assert report.broken is not None and report.broken.seq == seq, (index, flip)
        finally:
            path.write_bytes(originals[seq])

    check()
    assert verify(store, shared_pki.verifier).ok
