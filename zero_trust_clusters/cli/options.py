"""The project options `ztc preview`, `ztc render` and `ztc report` share: one definition each,
used as the parameter type of every command that takes it (no copies to drift apart)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zero_trust_clusters import PACK_DIR

POLICY_PACK_DIR = PACK_DIR

Stacks = Annotated[
    list[str],
    typer.Option(
        "--stack", "-s",
        help="Stack name (its Pulumi.<stack>.yaml in the project's stack config directory); "
             "repeat it for several stacks",
    ),
]
Stack = Annotated[
    str,
    typer.Option(
        "--stack", "-s",
        help="Stack name (its Pulumi.<stack>.yaml in the project's stack config directory)",
    ),
]
ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        help="Pulumi project directory: its Pulumi.yaml names the project, the program (main) "
             "and the stack config directory (stackConfigDir)",
    ),
]
PreviewMode = Annotated[
    bool,
    typer.Option("--preview", help="Computed outputs unknown, as in a first real preview"),
]
PolicyPack = Annotated[Path, typer.Option("--policy-pack", help="Policy pack directory")]
PolicyPackConfig = Annotated[
    Path | None,
    typer.Option("--policy-pack-config",
                 help="Policy pack config JSON (the CLI's --policy-pack-config)"),
]
Jobs = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1,
                 help="Stacks previewed in parallel processes (default: the CPU count)"),
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress display (it is off anyway when stdout is "
                 "not a terminal)"),
]
