"""The progress display of long previews: one line per stack with the stage it is in
(program, schema, policy per stack) and the time it has taken, drawn on stderr.

It is shown only to a person: off with `--quiet` and whenever stdout is not a terminal (a
pipe, a file, CI logs), so that redirected output never holds redraw sequences.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Self, TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from zero_trust_clusters.engine.fleet import DONE


def wanted(quiet: bool, stdout: TextIO | None = None) -> bool:
    """Whether to draw progress: not asked to be quiet and stdout is a terminal."""
    stream = stdout if stdout is not None else sys.stdout
    return not quiet and stream.isatty()


class StageProgress:
    """Use as a context manager; `event(stack, stage)` moves a stack's line on."""

    def __init__(self, stacks: Sequence[str], *, enabled: bool, console: Console | None = None):
        self.enabled = enabled
        self._progress = Progress(
            SpinnerColumn(finished_text="✔"),
            TextColumn("[bold]{task.fields[stack]}[/]"),
            TextColumn("{task.description}", markup=False),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {
            stack: self._progress.add_task("waiting", total=None, stack=stack)
            for stack in stacks
        }

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._progress.stop()

    def event(self, stack: str, stage: str) -> None:
        task = self._tasks.get(stack)
        if task is None:
            return
        if stage == DONE:
            self._progress.update(task, description=DONE, total=1, completed=1)
        else:
            self._progress.update(task, description=stage)
