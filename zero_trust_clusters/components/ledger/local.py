"""The default store: one directory, one file per entry, never rewritten.

Writing entry N: the bytes go to a temp file (`.tmp-…`, same directory) which is fsynced,
then hard-linked to `<N>.json`. `link` fails if the name exists, so it is the atomic,
exclusive create (O_CREAT|O_EXCL semantics) and the entry appears complete or not at all;
a crash at any point leaves at most a temp file, which readers ignore. The directory is
fsynced after the link so the new name survives a power cut.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from zero_trust_clusters.components.ledger.store import StoredEntry, entry_name, seq_of

TEMP_PREFIX = ".tmp-"


class DirectoryStore:
    def __init__(self, path: Path, *, fsync: bool = True):
        self.path = Path(path)
        self.location = str(self.path)
        # Off only for throw-away ledgers (benchmarks): durability needs the fsyncs.
        self.fsync = fsync

    def _ensure(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def _seqs(self) -> list[int]:
        if not self.path.is_dir():
            return []
        return sorted(s for s in (seq_of(n) for n in os.listdir(self.path)) if s is not None)

    def _read(self, seq: int) -> StoredEntry:
        target = self.path / entry_name(seq)
        return StoredEntry(seq=seq, data=target.read_bytes(), location=str(target))

    def head(self) -> StoredEntry | None:
        seqs = self._seqs()
        return self._read(seqs[-1]) if seqs else None

    def entries(self) -> Iterator[StoredEntry]:
        for seq in self._seqs():
            yield self._read(seq)

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted writes (harmless; safe to delete when no writer runs)."""
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.iterdir() if p.name.startswith(TEMP_PREFIX))

    def put_new(self, seq: int, data: bytes) -> bool:
        self._ensure()
        final = self.path / entry_name(seq)
        temp = self.path / f"{TEMP_PREFIX}{seq}-{os.getpid()}-{secrets.token_hex(6)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, final)
        except FileExistsError:
            return False
        finally:
            temp.unlink(missing_ok=True)
        if self.fsync:
            self._fsync_dir()
        return True

    def _fsync_dir(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
