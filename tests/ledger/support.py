"""Helpers shared by the ledger tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
         "-c", "commit.gpgsign=false", *args],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def append_worker(ledger_dir: str, key_pem: str, chain_pem: str, name: str, count: int,
                  start, done) -> None:
    """A separate deployer process: wait for the start signal, then append `count` entries
    (count < 0: forever). `done` receives the number written."""
    # Light imports only (no pydantic via zero_trust_clusters.components.pki): eight of these start at once.
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from zero_trust_clusters.components.ledger.chain import append
    from zero_trust_clusters.components.ledger.entry import Signer
    from zero_trust_clusters.components.ledger.local import DirectoryStore

    signer = Signer(load_pem_private_key(key_pem.encode(), None),
                    x509.load_pem_x509_certificates(chain_pem.encode()))
    store = DirectoryStore(Path(ledger_dir))
    state = {"digest": "sha256:" + "0" * 64, "resources": 1, "secrets": 0}
    start.wait()
    written = 0
    while count < 0 or written < count:
        append(store, signer=signer, stack=name, project="p", state=state, code={})
        written += 1
    done.put((name, written))


def race_writers(make_store, pki, *, writers: int, per_writer: int):
    """`writers` threads, each with its own store (own head cache, as separate hosts would
    have), append `per_writer` entries at once; the ledger they leave must verify whole, with
    every entry of every writer. Returns a fresh store over it."""
    import json
    import threading

    from zero_trust_clusters.components.ledger.chain import append, verify

    from .conftest import CODE, STATE

    barrier = threading.Barrier(writers)

    def writer(name: str) -> None:
        store = make_store()
        barrier.wait()
        for _ in range(per_writer):
            append(store, signer=pki.signer, stack=name, project="p", state=STATE, code=CODE)

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    store = make_store()
    report = verify(store, pki.verifier)
    assert report.ok and report.entries == per_writer * writers
    stacks = sorted(json.loads(s.data)["stack"] for s in store.entries())
    assert stacks == sorted(f"w{i}" for i in range(writers) for _ in range(per_writer))
    return store
