"""`ztc validate PLAN.json`: the schema stage of `ztc preview` on a saved plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zero_trust_clusters.engine import schema

EXIT_CLEAN, EXIT_FINDINGS = 0, 2


def print_findings(console: Console, report: schema.SchemaReport) -> None:
    """Each finding on its own line(s): URN, property path, value, expectation, source."""
    for finding in report.findings:
        console.print(
            f"[bold red]schema[/] {finding.urn}\n"
            f"    {finding.path or '(resource)'} = {finding.value!r}\n"
            f"    expected {finding.expected}\n"
            f"    source: {finding.check}: {finding.source}",
            soft_wrap=True,
            markup=True,
            highlight=False,
        )
    counts = ", ".join(f"{n} {check}" for check, n in sorted(report.by_check().items()))
    unchecked = (
        f"; not checked (no schema): {', '.join(report.unchecked_types)}"
        if report.unchecked_types
        else ""
    )
    console.print(
        f"schema check: {report.resources_checked} resources in {report.seconds:.2f}s, "
        f"{len(report.findings)} finding(s){f' ({counts})' if counts else ''}{unchecked}",
        soft_wrap=True,
        highlight=False,
    )


def validate(
    plan: Annotated[Path, typer.Argument(help="A plan written by `ztc preview --format json`")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the findings as JSON on stdout")
    ] = False,
) -> None:
    """Check a saved plan's inputs against the providers' schemas and documented API rules.

    Exit codes: 0 clean, 2 findings (or a file that is not a plan).
    """
    console = Console(stderr=as_json, emoji=False, highlight=False)
    try:
        document = json.loads(plan.read_text())
        report = schema.check_plan(document)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        console.print(
            f"[bold red]error:[/] {plan} is not a plan written by `ztc preview --format json` "
            f"({type(error).__name__}: {error})",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FINDINGS) from None
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    print_findings(console, report)
    if report.findings:
        raise typer.Exit(EXIT_FINDINGS)
