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
    # Light imports only (no pydantic via components.pki): eight of these start at once.
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from components.ledger.chain import append
    from components.ledger.entry import Signer
    from components.ledger.local import DirectoryStore

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
