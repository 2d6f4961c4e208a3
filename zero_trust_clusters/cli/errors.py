"""One error path for every `ztc` command.

Exit codes, the same for every command:
- 0: done (and, for a check, clean);
- 1: the check ran and found something: a mandatory policy violation (`preview`), a failing
  control (`report`), a broken ledger (`ledger verify`), a refused chain (`pki verify`);
- 2: nothing was checked or written as asked: invalid input (one line naming the file, key
  or flag) or an unexpected error (one line plus where the full trace was written).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import traceback
from pathlib import Path

import typer

EXIT_OK, EXIT_FINDING, EXIT_ERROR = 0, 1, 2
MAX_LINE = 600
# Where the trace of an unexpected error goes; one file per crash.
CRASH_DIR_ENV = "ZTC_CRASH_DIR"


def one_line(text: object, limit: int = MAX_LINE) -> str:
    """`text` on one line (whitespace folded), cut at `limit` characters."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def echo_error(message: str) -> None:
    """`error: <message>` on stderr, one line, printed as-is (no markup is interpreted)."""
    typer.secho(f"error: {one_line(message)}", fg=typer.colors.RED, err=True)


def fail(message: str) -> typer.Exit:
    """Print the one-line reason; raise the result: `raise fail("--out: ...")`."""
    echo_error(message)
    return typer.Exit(EXIT_ERROR)


def warn(message: str) -> None:
    typer.secho(f"warning: {one_line(message)}", fg=typer.colors.YELLOW, err=True)


def write_crash_report(error: BaseException) -> Path | None:
    """Write the full traceback to a private file; its path, or None if nothing could be written."""
    directory = Path(os.environ.get(CRASH_DIR_ENV) or tempfile.gettempdir())
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"ztc-crash-{stamp}-", suffix=".txt", dir=directory)
        with os.fdopen(fd, "w") as handle:
            handle.write("".join(traceback.format_exception(error)))
        return Path(name)
    except OSError:
        return None


def crash_line(error: BaseException) -> str:
    """The one line an unexpected error prints (the trace goes to a file)."""
    where = write_crash_report(error)
    trace = f"full trace in {where}" if where else "no trace could be written"
    reason = one_line(error, 300) or type(error).__name__
    return f"unexpected {type(error).__name__}: {reason} ({trace}); please report it"
