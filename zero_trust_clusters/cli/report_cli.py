"""`ztc report` (the control x cluster matrix, and where two stacks differ) and
`ztc bench policy` (the pack's ms per resource through the Analyzer gRPC, next to a no-op
pack's)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zero_trust_clusters.cli import options
from zero_trust_clusters.cli.errors import fail
from zero_trust_clusters.cli.preview_cli import check_output_dir, write_outputs
from zero_trust_clusters.engine import fleet
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine.analyzer import (
    PolicyPackError,
    PolicyPackProcess,
    analyze_request,
    diagnostics_of,
    load_pack_config,
    stack_request,
)
from zero_trust_clusters.report import (
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

EXIT_CLEAN, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
app = typer.Typer(help="Control x cluster posture reports.")


class Format(StrEnum):
    text = "text"
    md = "md"
    html = "html"
    json = "json"


@app.command("report")
def report(
    stacks: options.Stacks,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="What to print")] = Format.text,
    out: Annotated[Path | None, typer.Option(
        help="Also write <stack>.md/.html/.json (and diff.md/.json for two stacks) here")] = None,
    policy_pack: options.PolicyPack = options.POLICY_PACK_DIR,
    policy_pack_config: options.PolicyPackConfig = None,
    project_dir: options.ProjectDir = engine.PROJECT_ROOT,
    preview_mode: options.PreviewMode = False,
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
    settings = fleet.PreviewOptions(
        project_dir=project_dir, preview_mode=preview_mode, policy_pack=policy_pack,
        policy_pack_config=config, schema_check=False, plan=False)  # `ztc preview`'s work
    runs = fleet.run_fleet(stacks, settings, jobs=1)  # in this process (`ztc preview` fans out)
    for run in runs:
        if run.error is not None:
            more = f" (and {len(run.problems) - 1} more)" if len(run.problems) > 1 else ""
            raise fail(f"stack {run.stack}: {(run.problems or [run.error])[0]}{more}")
    matrices = [run.matrix for run in runs if run.matrix is not None]
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


NOOP_PACK_DIR = Path(__file__).resolve().parents[1] / "report" / "noop_pack"
BENCH_PACKS = (("zero-trust", engine.POLICY_PACK_DIR), ("no-op", NOOP_PACK_DIR))


@dataclass
class _Pass:
    analyze_s: float
    stack_s: float
    cpu_s: float | None  # the pack process's own CPU time, when /proc tells it
    mandatory: int


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed_pass(pack: PolicyPackProcess, work: list[tuple[str, list, Any]],
                project: str) -> _Pass:
    """Every stack of `work` through the pack: Analyze each resource, then AnalyzeStack."""
    analyze_s = stack_s = 0.0
    mandatory = 0
    cpu_before = _cpu_seconds(pack.pid)
    for stack, requests, whole in work:
        policy_pass.configure(pack.stub, stack, project)
        started = time.perf_counter()
        responses = [pack.stub.Analyze(request) for request in requests]
        analyze_s += time.perf_counter() - started
        started = time.perf_counter()
        responses.append(pack.stub.AnalyzeStack(whole))
        stack_s += time.perf_counter() - started
        mandatory += sum(d.mandatory for r in responses for d in diagnostics_of(r))
    cpu_after = _cpu_seconds(pack.pid)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return _Pass(analyze_s, stack_s, cpu, mandatory)


def bench_policy(
    clusters: Annotated[int, typer.Option("--clusters", help="Estate size")] = 15,
    rounds: Annotated[int, typer.Option(help="Timed passes over the estate, per pack")] = 3,
) -> None:
    """The pack's ms per resource next to a no-op pack's (same policy count, policies that do
    nothing), over the same gRPC on the same estate: both phases' stacks, each resource through
    Analyze and each stack through AnalyzeStack. Requests are built once, before the timing;
    rounds alternate between the packs so that load on the machine bills both alike."""
    from zero_trust_clusters.cli.preview_cli import bench_project

    console = Console()
    with bench_project(clusters) as root:
        started = time.perf_counter()
        capture = engine.capture_stack("bench", root=root)
        program_s = time.perf_counter() - started
    work = []
    for graph in capture.phases.values():
        by_urn = {r.urn: r for r in graph.resources}
        work.append((graph.stack, [analyze_request(r, by_urn) for r in graph.resources
                                   if r.custom], stack_request(graph.resources)))
    checked = sum(len(requests) for _, requests, _ in work)
    table = Table("pack", "round", "Analyze s", "Stack s", "ms/res", "CPU ms/res", "mandatory",
                  title=f"ztc bench policy: {clusters} clusters, {checked} resources in "
                  f"{len(work)} stacks (program under mocks: {program_s:.1f} s, not timed)")
    best: dict[str, tuple[float, float | None]] = {}
    with contextlib.ExitStack() as packs:
        running = {name: packs.enter_context(PolicyPackProcess(path))
                   for name, path in BENCH_PACKS}
        for process in running.values():  # warm-up: imports and first-call costs
            _timed_pass(process, work[:1], capture.graph.project)
        for i in range(rounds):
            for name, process in running.items():
                p = _timed_pass(process, work, capture.graph.project)
                ms = (p.analyze_s + p.stack_s) * 1000 / checked
                cpu_ms = None if p.cpu_s is None else p.cpu_s * 1000 / checked
                if name not in best or ms < best[name][0]:
                    best[name] = (ms, cpu_ms)
                table.add_row(name, str(i + 1), f"{p.analyze_s:.2f}", f"{p.stack_s:.2f}",
                              f"{ms:.2f}", "-" if cpu_ms is None else f"{cpu_ms:.2f}",
                              str(p.mandatory))
    console.print(table)
    (ms, cpu), (noop_ms, noop_cpu) = (best[name] for name, _ in BENCH_PACKS)
    console.print(f"best round: zero-trust pack {ms:.2f} ms/resource, no-op pack {noop_ms:.2f} "
                  f"ms/resource: ratio {ms / noop_ms:.2f}x", highlight=False)
    if cpu is not None and noop_cpu:
        console.print(f"pack process CPU: zero-trust {cpu:.2f} ms/resource, no-op {noop_cpu:.2f} "
                      f"ms/resource: ratio {cpu / noop_cpu:.2f}x", highlight=False)
