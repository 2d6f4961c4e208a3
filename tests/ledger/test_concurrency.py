"""Concurrent writers and crashes never lose, overwrite or half-write an entry."""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from zero_trust_clusters.components.ledger.canonical import canonical_bytes
from zero_trust_clusters.components.ledger.chain import LedgerError, append, verify
from zero_trust_clusters.components.ledger.local import TEMP_PREFIX, DirectoryStore
from zero_trust_clusters.components.ledger.store import entry_name

from .conftest import CODE, STATE
from .support import append_worker

WRITERS = 8
PER_WRITER = 6
# A safety bound for waiting on child processes, never an assertion about speed.
BOUND_S = 45


def spawn(ctx, target_dir: Path, pki_, name: str, count: int, start, done):
    return ctx.Process(
        target=append_worker,
        args=(str(target_dir), pki_.deployer.private_key_pem(),
              pki_.deployer.chain_pem(), name, count, start, done),
        daemon=True,
    )


def stacks_of(store: DirectoryStore) -> collections.Counter:
    return collections.Counter(json.loads(s.data)["stack"] for s in store.entries())


def test_eight_processes_appending_at_once_leave_one_complete_chain(tmp_path, shared_pki):
    # spawn, not fork: the test process may already run gRPC threads (Pulumi tests).
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    store = DirectoryStore(tmp_path / "ledger")
    procs = [spawn(ctx, store.path, shared_pki, f"writer-{i}", PER_WRITER, start, done)
             for i in range(WRITERS)]
    for p in procs:
        p.start()
    start.set()  # all released together, so they race for the same sequence numbers
    for p in procs:
        p.join(BOUND_S)
        assert p.exitcode == 0, f"writer {p.name} exited with {p.exitcode}"
    report = verify(store, shared_pki.verifier)
    assert report.ok, report.broken
    assert report.entries == WRITERS * PER_WRITER
    assert stacks_of(store) == {f"writer-{i}": PER_WRITER for i in range(WRITERS)}
    assert store.temp_files() == []


def test_writers_killed_mid_write_leave_a_valid_ledger(tmp_path, shared_pki):
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    store = DirectoryStore(tmp_path / "ledger")
    procs = [spawn(ctx, store.path, shared_pki, f"endless-{i}", -1, start, done)
             for i in range(4)]
    for p in procs:
        p.start()
    start.set()
    deadline = time.monotonic() + BOUND_S
    while sum(1 for _ in store.entries()) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    for p in procs:  # SIGKILL: no cleanup handlers run, wherever each one was
        os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.join(BOUND_S)
        assert p.exitcode == -signal.SIGKILL
    before = verify(store, shared_pki.verifier)
    assert before.ok, before.broken
    assert before.entries >= 40
    # A new writer carries on from the surviving head.
    append(store, signer=shared_pki.signer, stack="after", project="p", state=STATE, code=CODE)
    after = verify(store, shared_pki.verifier)
    assert after.ok and after.entries == before.entries + 1


def test_a_partial_temp_file_from_a_crash_is_ignored(tmp_path, shared_pki):
    store = DirectoryStore(tmp_path / "ledger")
    first = append(store, signer=shared_pki.signer, stack="a", project="p", state=STATE,
                   code=CODE)
    # What a crash between write() and link() leaves behind: half an entry in a temp file.
    half = canonical_bytes(first)[: len(canonical_bytes(first)) // 2]
    (store.path / f"{TEMP_PREFIX}1-999-deadbeef").write_bytes(half)
    assert verify(store, shared_pki.verifier).entries == 1
    second = append(store, signer=shared_pki.signer, stack="b", project="p", state=STATE,
                    code=CODE)
    assert second["seq"] == 1
    assert verify(store, shared_pki.verifier).entries == 2


@pytest.mark.parametrize("crash_in", ["write", "fsync", "link"])
def test_a_crash_inside_put_new_never_exposes_a_half_entry(tmp_path, shared_pki, monkeypatch,
                                                           crash_in):
    store = DirectoryStore(tmp_path / "ledger")
    append(store, signer=shared_pki.signer, stack="a", project="p", state=STATE, code=CODE)

    class Crash(BaseException):
        pass

    real_write = os.write

    def crash(*args, **kwargs):
        if crash_in == "write":  # half the bytes reach the disk, then the process dies
            real_write(args[0], bytes(args[1])[: len(args[1]) // 2])
        raise Crash

    monkeypatch.setattr(os, crash_in, crash)
    with pytest.raises(Crash):
        append(store, signer=shared_pki.signer, stack="b", project="p", state=STATE,
               code=CODE)
    monkeypatch.undo()
    assert not (store.path / entry_name(1)).exists()
    assert verify(store, shared_pki.verifier).entries == 1
    # The retry writes a whole entry under the same number.
    retry = append(store, signer=shared_pki.signer, stack="b", project="p", state=STATE,
                   code=CODE)
    assert retry["seq"] == 1 and verify(store, shared_pki.verifier).entries == 2


def test_a_torn_entry_file_is_reported_and_never_built_upon(tmp_path, shared_pki):
    # Not producible by put_new; e.g. a copy tool that died. Verify names it, record refuses.
    store = DirectoryStore(tmp_path / "ledger")
    append(store, signer=shared_pki.signer, stack="a", project="p", state=STATE, code=CODE)
    (store.path / entry_name(1)).write_bytes(b'{"format": "ztc-ledger/1", "seq": 1, "pr')
    report = verify(store, shared_pki.verifier)
    assert report.broken.seq == 1 and "not valid JSON" in report.broken.reason
    with pytest.raises(LedgerError, match="damaged"):
        append(store, signer=shared_pki.signer, stack="b", project="p", state=STATE,
               code=CODE)


def test_a_lost_race_rebuilds_on_the_new_head(tmp_path, shared_pki):
    """Deterministic race: another writer lands between our head read and our write."""
    inner = DirectoryStore(tmp_path / "ledger")

    class RacingStore:
        location = inner.location
        raced = False

        def head(self):
            return inner.head()

        def entries(self):
            return inner.entries()

        def put_new(self, seq, data):
            if not self.raced:
                self.raced = True
                append(inner, signer=shared_pki.signer, stack="rival", project="p",
                       state=STATE, code=CODE)
            return inner.put_new(seq, data)

    entry = append(RacingStore(), signer=shared_pki.signer, stack="mine", project="p",
                   state=STATE, code=CODE)
    assert entry["seq"] == 1
    assert stacks_of(inner) == {"rival": 1, "mine": 1}
    assert verify(inner, shared_pki.verifier).ok
