"""The storage interface every ledger backend implements (directory, S3, Azure Blob, GCS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

SEQ_DIGITS = 12
ENTRY_NAME = re.compile(r"^(\d{12})\.json$")


def entry_name(seq: int) -> str:
    """`000000000042.json`: zero-padded so names sort in sequence order."""
    return f"{seq:0{SEQ_DIGITS}d}.json"


def seq_of(name: str) -> int | None:
    """The sequence number in an entry's name, or None for anything else (temp files)."""
    match = ENTRY_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class StoredEntry:
    """The raw bytes of one entry as the store holds them."""

    seq: int
    data: bytes
    location: str
    # Anomalies the store saw around this entry (e.g. an overwrite attempt on S3).
    notes: tuple[str, ...] = field(default=())


@runtime_checkable
class LedgerStore(Protocol):
    """Append-only storage of entries keyed by sequence number.

    `put_new` must be atomic and exclusive: it either stores the complete bytes under a
    sequence number nobody has used, or returns False and changes nothing visible.
    """

    location: str

    def head(self) -> StoredEntry | None:
        """The entry with the highest sequence number, or None for an empty ledger."""
        ...

    def put_new(self, seq: int, data: bytes) -> bool:
        """Store `data` as entry `seq`; False if `seq` already exists (a concurrent writer)."""
        ...

    def entries(self) -> Iterator[StoredEntry]:
        """Every entry in ascending sequence order."""
        ...
