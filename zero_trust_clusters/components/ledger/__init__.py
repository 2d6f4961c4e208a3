"""Signed, hash-chained change ledger (control ZT-CHANGE-LEDGER).

Every deployment of a stack appends one entry: the canonical digest of the desired
state, the git commit/tree of the program and policy code, the stack and time, the hash
of the previous entry, and a signature by a deployer certificate from the shared PKI.
Stores: a local directory (default), S3 (Object Lock), Azure Blob (locked version-level
immutability) and Cloud Storage (locked retention); see `store.LedgerStore`.
"""

from zero_trust_clusters.components.ledger.canonical import canonical_bytes, digest
from zero_trust_clusters.components.ledger.chain import ChainVerifier, VerifyReport, append, verify
from zero_trust_clusters.components.ledger.entry import GENESIS_PREV, Signer, entry_hash
from zero_trust_clusters.components.ledger.local import DirectoryStore
from zero_trust_clusters.components.ledger.recording import preview_entry, record_stack_export
from zero_trust_clusters.components.ledger.store import LedgerStore, StoredEntry

__all__ = [
    "GENESIS_PREV",
    "ChainVerifier",
    "DirectoryStore",
    "LedgerStore",
    "Signer",
    "StoredEntry",
    "VerifyReport",
    "append",
    "canonical_bytes",
    "digest",
    "entry_hash",
    "preview_entry",
    "record_stack_export",
    "verify",
]
