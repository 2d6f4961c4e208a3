"""`ztc report` (the control x cluster matrix, and where two stacks differ) and
`ztc bench policy` (resources checked per second through the Analyzer gRPC)."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from components.spec import SpecError
from scripts.engine import preview as engine
from scripts.engine.analyzer import PolicyPackError, PolicyPackProcess, load_pack_config
from scripts.errors import fail
from scripts.preview_cli import check_output_dir, write_outputs
from scripts.report import (
    build_matrix,
    diff_matrices,
    policy_pass,
    render_diff_json,
    render_diff_markdown,
    render_diff_terminal,
    render_html,
    render_json,
    render_markdown,
    render_terminal,
)
from scripts.report.matrix import Matrix

EXIT_CLEAN, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
app = typer.Typer(help="Control x cluster posture reports.")


class Format(StrEnum):
    text = "text"
    md = "md"
    html = "html"
    json = "json"


def _matrix(stack: str, pack_dir: Path, config: dict | None, console: Console) -> Matrix:
    try:
        capture = engine.capture_stack(stack)
        analysis = engine.check_policies(capture, pack_dir, config)
    except PolicyPackError as error:
        raise fail(f"policy pack: {error}") from None
    except SpecError as error:
        raise fail(f"stack {stack}: {error.problems[0]}"
                   + (f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else "")
                   ) from None
    except Exception as error:  # noqa: BLE001 - bad config / program failure: say which stack
        first = (str(error).strip() or type(error).__name__).splitlines()[0]
        raise fail(f"stack {stack}: {first}") from None
    return build_matrix(capture.graph.resources, analysis.diagnostics, stack)


@app.command("report")
def report(
    stacks: Annotated[list[str], typer.Option(
        "--stack", "-s", help="Stack to report (stacks/Pulumi.<stack>.yaml); twice to compare")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="What to print")] = Format.text,
    out: Annotated[Path | None, typer.Option(
        help="Also write <stack>.md/.html/.json (and diff.md/.json for two stacks) here")] = None,
    policy_pack: Annotated[Path, typer.Option(help="Policy pack directory")] =
        engine.POLICY_PACK_DIR,
    policy_pack_config: Annotated[Path | None, typer.Option(
        help="Policy pack config JSON (the CLI's --policy-pack-config)")] = None,
) -> None:
    """The control x cluster matrix of one stack, or where two stacks' postures differ.

    Exit codes: 0 every cell passes, 1 a cell fails, 2 a stack could not be planned.
    """
    if not 1 <= len(stacks) <= 2:
        raise fail("--stack: give it once, or twice to compare")
    console = Console(stderr=fmt is not Format.text)
    if out is not None:
        check_output_dir(out)
    try:
        config = load_pack_config(policy_pack_config)
    except PolicyPackError as error:
        raise fail(f"--policy-pack-config: {error}") from None
    matrices = [_matrix(s, policy_pack, config, console) for s in stacks]
    rows = diff_matrices(*matrices) if len(matrices) == 2 else None
    if out is not None:
        files: dict[Path, str] = {}
        for m in matrices:
            files[out / f"{m.stack}.md"] = render_markdown(m)
            files[out / f"{m.stack}.html"] = render_html(m)
            files[out / f"{m.stack}.json"] = render_json(m)
        if rows is not None:
            files[out / "diff.md"] = render_diff_markdown(*matrices, rows)
            files[out / "diff.json"] = render_diff_json(*matrices, rows)
        write_outputs(files)
    if fmt is Format.text:
        for m in matrices:
            render_terminal(m, console)
        if rows is not None:
            render_diff_terminal(*matrices, rows, console)
    elif rows is not None:
        render = {Format.md: render_diff_markdown, Format.json: render_diff_json,
                  Format.html: render_diff_markdown}[fmt]
        typer.echo(render(*matrices, rows))
    else:
        render = {Format.md: render_markdown, Format.html: render_html,
                  Format.json: render_json}[fmt]
        typer.echo(render(matrices[0]))
    if out is not None:
        console.print(f"wrote reports to {out}", highlight=False)
    if any(m.counts()["fail"] for m in matrices):
        raise typer.Exit(EXIT_FAIL)


def bench_policy(
    clusters: Annotated[int, typer.Option("--clusters", help="Estate size")] = 90,
    rounds: Annotated[int, typer.Option(help="Timed passes over the estate")] = 3,
) -> None:
    """Resources checked per second through the Analyzer gRPC for a large estate."""


    from scripts.preview_cli import bench_project

    console = Console()
    with bench_project(clusters) as root:
        started = time.perf_counter()
        capture = engine.capture_stack("bench", root=root)
        program_s = time.perf_counter() - started
    # The cloud phase's stack, as `pulumi preview --policy-pack` judges it (the larger phase).
    resources = capture.phases[engine.CLOUD_PHASE].resources
    table = Table("round", "resources checked", "Analyze s", "AnalyzeStack s", "resources/s",
                  "mandatory", title=f"ztc bench policy: {clusters} clusters, {len(resources)} "
                  f"resources (program under mocks: {program_s:.1f} s, not timed below)")
    rates = []
    with PolicyPackProcess(engine.POLICY_PACK_DIR) as pack:
        policy_pass.configure(pack.stub, "bench", capture.graph.project)
        for i in range(rounds):
            started = time.perf_counter()
            checked, diags = policy_pass.analyze_resources(pack.stub, resources, resources)
            analyze_s = time.perf_counter() - started
            started = time.perf_counter()
            diags += policy_pass.analyze_stack(pack.stub, resources)
            stack_s = time.perf_counter() - started
            rates.append(checked / (analyze_s + stack_s))
            table.add_row(str(i + 1), str(checked), f"{analyze_s:.2f}", f"{stack_s:.2f}",
                          f"{rates[-1]:.0f}", str(sum(d.mandatory for d in diags)))
    console.print(table)
    best, n = max(rates), len(resources)
    console.print(f"best {best:.0f} resources/s through gRPC (Analyze + AnalyzeStack): the "
                  f"{clusters}-cluster estate ({n} resources) is checked in {n / best:.1f} s, "
                  f"{best * clusters / n:.1f} clusters/s", highlight=False)
