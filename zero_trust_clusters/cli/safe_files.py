"""Writing key and certificate files safely: every target checked first, then atomic writes.

- Every output path is checked before anything is written, so a refused command leaves
  no half-written pair (a certificate without its key).
- Each file is written to a temporary file in the same directory, its mode set explicitly
  (keys 0600, certificates and CRLs 0644, whatever the umask), then renamed into place:
  readers see the old file or the new one, never a torn one, and `--force` over a 0644 key
  leaves a 0600 key.
- Key paths are never symlinks (not even dangling ones): a key is never written through a
  link into somewhere else.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

KEY_MODE = 0o600
PUBLIC_MODE = 0o644


class OutputError(ValueError):
    """An output path that cannot or must not be written; the message names it."""


@dataclass(frozen=True)
class Output:
    path: Path
    text: str
    private: bool


def _writable_directory(path: Path) -> None:
    parent = path.parent
    while not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: {parent} is not writable")


def check(outputs: list[Output], *, force: bool) -> None:
    """Raise OutputError for the first output that may not be written; writes nothing."""
    seen: set[Path] = set()
    for output in outputs:
        path = output.path
        if path in seen:
            raise OutputError(f"{path}: is named twice; give each output its own path")
        seen.add(path)
        if output.private and path.is_symlink():
            raise OutputError(
                f"{path}: is a symlink; keys are never written through links, give a plain path"
            )
        if os.path.lexists(path):
            if path.is_dir():
                raise OutputError(f"{path}: is a directory; give a file path")
            if not force:
                raise OutputError(f"{path}: exists; pass --force to overwrite it")
        _writable_directory(path)


def write_atomic(path: Path, text: str, *, private: bool) -> None:
    """Write `text` to `path` by temp file + rename, with mode 0600 (private) or 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, KEY_MODE if private else PUBLIC_MODE)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)  # replaces a symlink itself, never its target
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_all(outputs: list[Output], *, force: bool) -> None:
    """Check every output, then write them (keys last, so a key never lacks its certificate)."""
    check(outputs, force=force)
    for output in sorted(outputs, key=lambda o: o.private):
        write_atomic(output.path, output.text, private=output.private)
