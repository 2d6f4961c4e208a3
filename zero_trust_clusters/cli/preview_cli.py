"""`ztc preview` and `ztc bench preview`."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from zero_trust_clusters import report
from zero_trust_clusters.cli import errors, options, progress
from zero_trust_clusters.cli.errors import fail, warn
from zero_trust_clusters.cli.validate_cli import print_findings
from zero_trust_clusters.engine import fleet as fleet_engine
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine import schema
from zero_trust_clusters.engine.analyzer import AnalysisResult, PolicyPackError, load_pack_config
from zero_trust_clusters.engine.stackfile import (
    StackFileError,
    load_project,
    load_stack_config,
    plaintext_secrets,
)
from zero_trust_clusters.report.matrix import message_text

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class Format(StrEnum):
    text = "text"
    json = "json"
    md = "md"
    html = "html"


def check_output_dir(out: Path, flag: str = "--out") -> None:
    """Refuse an --out that cannot take files, before any work is done."""
    if out.exists() and not out.is_dir():
        raise fail(f"{flag} {out}: is not a directory")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise fail(f"{flag} {out}: {existing} is not a writable directory")


def write_outputs(files: dict[Path, str], flag: str = "--out") -> None:
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    except OSError as exc:
        raise fail(f"{flag}: cannot write {exc.filename or path} ({exc.strerror or exc})") from None


def fleet_stacks(project_dir: Path) -> list[str]:
    """Every environment of the project, by its cloud stack: each stack file in the stack
    config directory except cluster-phase stacks (previewed with their cloud stack)."""
    project = load_project(project_dir)
    names = sorted(p.name[len("Pulumi."):-len(".yaml")]
                   for p in project.stacks_dir.glob("Pulumi.*.yaml"))
    out = []
    for name in names:
        try:
            config, _ = load_stack_config(name, project_dir)
        except StackFileError:
            out.append(name)  # its preview reports the error
            continue
        if config.get(engine.PHASE_KEY) != engine.CLUSTER_PHASE:
            out.append(name)
    return out


def preview(
    stacks: options.Stacks = None,  # type: ignore[assignment] - Typer: None when not given
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="What to print on stdout")
    ] = Format.text,
    out: Annotated[
        Path | None, typer.Option(help="Also write plan.json and the reports here")
    ] = None,
    preview_mode: options.PreviewMode = False,
    policy_pack: options.PolicyPack = options.POLICY_PACK_DIR,
    policy_pack_config: options.PolicyPackConfig = None,
    project_dir: options.ProjectDir = engine.PROJECT_ROOT,
    no_schema_check: Annotated[
        bool,
        typer.Option(
            "--no-schema-check",
            help="Skip the schema stage (inputs against the providers' schemas and API rules)",
        ),
    ] = False,
    fleet: Annotated[
        bool, typer.Option("--fleet", help="Every environment of the project (its stack files)")
    ] = False,
    jobs: options.Jobs = None,
    quiet: options.Quiet = False,
) -> None:
    """Plan the whole estate offline, check every input against the providers' schemas and
    documented API rules, then check it with the policy pack over gRPC.

    Any Pulumi Python program previews: its Pulumi.yaml names the project, program and stack
    config directory. Several --stack (or --fleet) preview in parallel processes (--jobs) into
    one combined report with the parity differences between the stacks.

    Exit codes: 0 clean, 1 mandatory violations, 2 schema findings, invalid config, program
    error, or a stack whose resources the engine cannot see.
    """
    console = Console(stderr=fmt is not Format.text, emoji=False, highlight=False)
    if out is not None:
        check_output_dir(out)
    try:
        names = list(stacks or []) or (fleet_stacks(project_dir) if fleet else [])
    except StackFileError as error:
        raise fail(str(error)) from None
    if not names:
        raise fail("--stack: name a stack (repeat it for several), or give --fleet")
    repeated = sorted({s for s in names if names.count(s) > 1})
    if repeated:
        raise fail(f"--stack {repeated[0]}: given more than once")
    for name in names:
        try:
            for problem in plaintext_secrets(*load_stack_config(name, project_dir)):
                warn(problem)
        except StackFileError:
            pass  # its preview reports it
    try:
        config = load_pack_config(policy_pack_config)
    except PolicyPackError as error:
        raise fail(f"--policy-pack-config: {error}") from None
    settings = fleet_engine.PreviewOptions(
        project_dir=project_dir, preview_mode=preview_mode, policy_pack=policy_pack,
        policy_pack_config=config, schema_check=not no_schema_check)
    with progress.StageProgress(names, enabled=progress.wanted(quiet)) as shown:
        runs = fleet_engine.run_fleet(names, settings, jobs,
                                      on_event=shown.event if shown.enabled else None)
    if len(runs) == 1:
        _report_one(console, runs[0], fmt, out)
    else:
        _report_fleet(console, runs, fmt, out)
    code = max(run.exit_code for run in runs)
    if code:
        raise typer.Exit(code)


def _report_one(console: Console, run: fleet_engine.StackRun, fmt: Format,
                out: Path | None) -> None:
    """What `ztc preview --stack X` prints and writes."""
    if run.error is not None:
        if len(run.problems) > 1:
            for problem in run.problems:
                typer.echo(f"  - {problem}", err=True)
        raise fail(run.error)
    assert run.capture is not None and run.analysis is not None and run.matrix is not None
    reports = report.report_files(run.matrix)
    if out is not None:
        write_outputs(
            {out / "plan.json": json.dumps(run.plan, indent=2) + "\n"}
            | {out / name: text for name, text in reports.items()}
        )
    if fmt is Format.json:
        typer.echo(json.dumps(run.plan, indent=2))
    elif fmt is Format.md:
        typer.echo(reports["report.md"])
    elif fmt is Format.html:
        typer.echo(reports["report.html"])
    else:
        _print_text(console, run.capture, run.analysis, run.matrix, run.plan)
    if out is not None:
        console.print(
            f"wrote {out}/plan.json and {', '.join(sorted(reports))}", markup=False
        )
    _print_verdict(console, run)


def _print_verdict(console: Console, run: fleet_engine.StackRun) -> None:
    """Schema findings, mandatory violations and blind spots of one stack, as the last lines."""
    if run.checked is not None:
        print_findings(console, run.checked)
    mandatory = run.analysis.mandatory if run.analysis is not None else []
    if mandatory:
        console.print(
            f"[bold red]{len(mandatory)} mandatory violation(s)[/]: the stack would be blocked"
        )
    if run.checked is not None and run.checked.findings:
        console.print(
            f"[bold red]{len(run.checked.findings)} schema finding(s)[/]: the providers would "
            "reject these inputs (`--no-schema-check` skips the stage)"
        )
    for blind in run.blind_spots:
        errors.echo_error(blind)


def _report_fleet(console: Console, runs: list[fleet_engine.StackRun], fmt: Format,
                  out: Path | None) -> None:
    """Several stacks: one line each, one combined matrix, the parity differences against the
    first stack, then each stack's errors and verdict."""
    planned = [run for run in runs if run.matrix is not None]
    combined = report.combine([run.matrix for run in planned if run.matrix is not None])
    base = planned[0] if planned else None
    parity = [(base, other, report.diff_matrices(base.matrix, other.matrix))
              for other in planned[1:] if base is not None
              and base.matrix is not None and other.matrix is not None]
    if out is not None:
        files: dict[Path, str] = {}
        for run in planned:
            assert run.matrix is not None
            files[out / run.stack / "plan.json"] = json.dumps(run.plan, indent=2) + "\n"
            files |= {out / run.stack / name: text
                      for name, text in report.report_files(run.matrix).items()}
        files |= {out / name: text for name, text in report.report_files(combined).items()}
        for a, b, rows in parity:
            assert a.matrix is not None and b.matrix is not None
            files[out / f"diff-{a.stack}-{b.stack}.md"] = report.render_diff_markdown(
                a.matrix, b.matrix, rows)
            files[out / f"diff-{a.stack}-{b.stack}.json"] = report.render_diff_json(
                a.matrix, b.matrix, rows)
        write_outputs(files)
    if fmt is Format.json:
        typer.echo(json.dumps({
            "stacks": {run.stack: run.plan if run.error is None else {"error": run.error}
                       for run in runs},
            "parity": [json.loads(report.render_diff_json(a.matrix, b.matrix, rows))
                       for a, b, rows in parity if a.matrix is not None
                       and b.matrix is not None],
        }, indent=2))
    elif fmt is Format.md:
        typer.echo(report.render_markdown(combined) + "".join(
            "\n" + report.render_diff_markdown(a.matrix, b.matrix, rows)
            for a, b, rows in parity if a.matrix is not None and b.matrix is not None))
    elif fmt is Format.html:
        typer.echo(report.render_html(combined))
    else:
        console.print(_fleet_table(runs))
        if planned:
            report.render_terminal(combined, console)
        for a, b, rows in parity:
            assert a.matrix is not None and b.matrix is not None
            report.render_diff_terminal(a.matrix, b.matrix, rows, console)
    if out is not None:
        console.print(f"wrote {out}/report.* (all stacks), {out}/<stack>/ and the parity "
                      "diffs", markup=False)
    for run in runs:
        if run.error is not None:
            errors.echo_error(f"stack {run.stack}: {run.error}")
            continue
        console.print(f"[bold]stack {escape(run.stack)}[/]:")
        _print_verdict(console, run)


def _fleet_table(runs: list[fleet_engine.StackRun]) -> Table:
    table = Table("stack", "resources", "checked", "mandatory", "other", "schema", "seconds",
                  "result", title=f"Fleet: {len(runs)} stacks")
    for run in runs:
        if run.error is not None or run.analysis is None:
            table.add_row(run.stack, "-", "-", "-", "-", "-", f"{run.seconds:.1f}",
                          Text("error", style="bold red"))
            continue
        mandatory = len(run.analysis.mandatory)
        findings = "-" if run.checked is None else str(len(run.checked.findings))
        word = {0: ("clean", "green"), 1: ("blocked", "bold red"),
                2: ("error", "bold red")}[run.exit_code]
        table.add_row(run.stack, str(run.plan["summary"]["resources"]),
                      str(run.analysis.resources_checked), str(mandatory),
                      str(len(run.analysis.diagnostics) - mandatory), findings,
                      f"{run.seconds:.1f}", Text(word[0], style=word[1]))
    return table


def _print_text(
    console: Console,
    capture: engine.Capture,
    analysis: AnalysisResult,
    matrix: report.Matrix,
    plan: dict[str, Any],
) -> None:
    summary = plan["summary"]
    phases = ", ".join(f"{graph.stack} ({phase} phase, {len(graph.resources)})"
                       for phase, graph in capture.phases.items())
    console.print(
        f"[bold]Stack {capture.stack}[/]: {summary['resources']} resources "
        f"({summary['custom']} cloud/Kubernetes resources) across {len(matrix.clusters)} "
        f"cluster(s); stacks: {phases}"
    )
    table = Table(title="Resources per cluster and provider package")
    for column in ("cluster", "cloud", "region"):
        table.add_column(column, no_wrap=True)
    for package in summary["perPackage"]:
        table.add_column(package, justify="right")
    clusters = capture.spec.clusters if capture.spec is not None else []
    clouds = {c.name: (c.cloud, c.region) for c in clusters}
    for cluster, counts in summary["perCluster"].items():
        cloud, region = clouds.get(cluster, ("-", "-"))
        table.add_row(
            cluster, cloud, region, *(str(counts.get(p, 0)) for p in summary["perPackage"])
        )
    console.print(table)
    report.render_terminal(matrix, console)
    for stack, entry in plan["ledgerEntries"].items():
        code = entry["code"]
        console.print(
            f"ledger entry `pulumi up -s {stack}` would append: state "
            f"{entry['state']['digest']} ({entry['state']['resources']} resources, "
            f"{entry['state']['secrets']} secrets masked), code {code.get('commit') or 'n/a'}"
            f"{' (dirty tree)' if code.get('dirty') else ''}; record it after that "
            "`pulumi up` with `ztc ledger record`"
        )
    if analysis.diagnostics:
        violations = Table("level", "policy", "resource", "message", title="Policy diagnostics")
        for d in analysis.diagnostics:
            violations.add_row(  # messages quote config values: never read them as markup
                *(escape(v) for v in (d.enforcement_level, d.policy_name,
                                      d.urn.rsplit("::", 1)[-1], message_text(d)))
            )
        console.print(violations)
    console.print(
        f"policy pack {analysis.pack_name}@{analysis.pack_version}: "
        f"{analysis.resources_checked} resources checked over gRPC, "
        f"{len(analysis.mandatory)} mandatory and "
        f"{len(analysis.diagnostics) - len(analysis.mandatory)} other diagnostic(s)"
    )


def synthetic_config(clusters: int, base_stack: str = "dev") -> dict[str, Any]:
    """A valid estate of `clusters` clusters (clouds in turn) built on a stack's posture."""
    config, _ = engine.load_stack_config(base_stack)
    template = {c["cloud"]: c for c in config[f"{engine.CONFIG_NAMESPACE}:clusters"]}
    generated = []
    for i in range(clusters):
        cloud = list(template)[i % len(template)]  # the base stack's clouds in turn
        cluster = dict(template[cloud])
        cluster.update(
            name=f"c{i:03d}-{cloud}",
            nodeCidr=f"10.{i + 1}.0.0/20",
            serviceCidr=f"10.{i + 1}.16.0/20",
            podCidr=f"10.{i + 1}.32.0/20",
        )
        generated.append(cluster)
    return {**config, f"{engine.CONFIG_NAMESPACE}:clusters": generated}


def _write_environment(root: Path, name: str, config: dict[str, Any]) -> None:
    """Both phases' stack files of environment `name` in `root`/stacks."""
    (root / "stacks").mkdir(exist_ok=True)
    (root / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))
    (root / "stacks" / f"Pulumi.{name}-cluster.yaml").write_text(yaml.safe_dump({"config": {
        engine.PHASE_KEY: engine.CLUSTER_PHASE, engine.CLOUD_STACK_KEY: name}}))


@contextlib.contextmanager
def bench_project(clusters: int) -> Iterator[Path]:
    """A throw-away project holding a `bench` environment of `clusters` clusters: both phases'
    stack files and the real program (which reads stacks/ next to itself)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_environment(root, "bench", synthetic_config(clusters))
        shutil.copy(engine.PROJECT_ROOT / "__main__.py", root / "__main__.py")
        yield root


@contextlib.contextmanager
def bench_fleet_project(clusters: int, stacks: int) -> Iterator[tuple[Path, list[str]]]:
    """A throw-away project holding a fleet: `clusters` clusters (the same generated estate as
    `bench_project`, so CIDRs and names stay distinct) split into `stacks` environments of
    nearly equal size, `fleet-1` ... `fleet-<stacks>`, each with both phases' stack files."""
    config = synthetic_config(clusters)
    key = f"{engine.CONFIG_NAMESPACE}:clusters"
    every = config[key]
    stacks = max(1, min(stacks, clusters))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = []
        for k in range(stacks):
            name = f"fleet-{k + 1}"
            share = every[k * len(every) // stacks:(k + 1) * len(every) // stacks]
            _write_environment(root, name, {**config, key: share})
            names.append(name)
        shutil.copy(engine.PROJECT_ROOT / "__main__.py", root / "__main__.py")
        yield root, names


def _timed_preview(clusters: int) -> tuple[int, float, float, float]:
    """Resources, program, schema-stage and policy seconds of one offline preview."""
    with bench_project(clusters) as root:
        started = time.perf_counter()
        capture = engine.capture_stack("bench", root=root)
        program_s = time.perf_counter() - started
        started = time.perf_counter()
        schema.check_graph(capture.graph)
        schema_s = time.perf_counter() - started
        started = time.perf_counter()
        engine.check_policies(capture)
        return len(capture.graph.resources), program_s, schema_s, time.perf_counter() - started


def bench_preview(
    sizes: Annotated[list[int] | None, typer.Option(
        "--clusters", help="Estate sizes (with --fleet: the fleet's size, default 30)")] = None,
    fleet: Annotated[bool, typer.Option(
        "--fleet", help="A fleet split into stacks: one process, then parallel processes")
    ] = False,
    stacks: Annotated[int, typer.Option(
        "--stacks", min=1, help="With --fleet: how many environments the fleet is split into")
    ] = 6,
    jobs: options.Jobs = None,
) -> None:
    """Wall time of the offline preview (program under mocks + schema stage + policy gRPC)
    per estate size, with the schema stage's share next to the preview's; with --fleet, the
    wall time of a fleet previewed in one process next to parallel processes."""
    if fleet:
        _bench_fleet((sizes or [30])[0], stacks, jobs or fleet_engine.default_jobs())
        return
    sizes = sizes or [3, 30, 90]
    console = Console()
    table = Table(
        "clusters",
        "resources",
        "program s",
        "schema s",
        "policy s",
        "total s",
        "schema % of rest",
        "ms/cluster",
        "marginal ms/cluster",
        title="ztc bench preview",
    )
    previous: tuple[int, float] | None = None
    # Warm-up: imports and caches would otherwise bill the first size. Its schema time is the
    # stage's cold cost (SDK type hints, schemas, botocore models, parliament's IAM database).
    _, cold_program, cold_schema, cold_policy = _timed_preview(sizes[0])
    for size in sizes:
        resources, program_s, schema_s, policy_s = _timed_preview(size)
        total = program_s + schema_s + policy_s
        # The cost each added cluster brings, free of the fixed start-up cost.
        marginal = (
            f"{(total - previous[1]) / (size - previous[0]) * 1000:.0f}"
            if previous and size != previous[0]
            else "-"
        )
        previous = (size, total)
        table.add_row(
            str(size),
            str(resources),
            f"{program_s:.2f}",
            f"{schema_s:.2f}",
            f"{policy_s:.2f}",
            f"{total:.2f}",
            f"{schema_s / (program_s + policy_s) * 100:.1f}",
            f"{total / size * 1000:.0f}",
            marginal,
        )
    console.print(table)
    console.print(
        f"cold (first run in this process, {sizes[0]} clusters): schema stage "
        f"{cold_schema:.2f}s next to program {cold_program:.2f}s + policy {cold_policy:.2f}s "
        f"= {cold_schema / (cold_program + cold_policy) * 100:.1f}% added"
    )
    console.print(
        "A steady marginal cost per cluster means the preview grows linearly with the estate."
    )


def _bench_fleet(clusters: int, stacks: int, jobs: int) -> None:
    """The same fleet previewed twice, each time as a fresh `ztc preview` would run it: every
    stack one after the other in one new process (`--jobs 1`), then the stacks in `jobs`
    parallel processes (`--jobs N`, forked from a server that imported the engine once). Both
    pay start-up (imports, the schema stage's first loads), so neither is timed warm. The CPU
    seconds of the stacks' work (the packs included) are printed too: on a loaded machine they
    tell work from waiting."""
    console = Console()
    with bench_fleet_project(clusters, stacks) as (root, names):
        settings = fleet_engine.PreviewOptions(project_dir=root)
        context = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as one:
            single = one.submit(fleet_engine.run_fleet, names, settings, 1).result()
        single_s = time.perf_counter() - started
        started = time.perf_counter()
        parallel = fleet_engine.run_fleet(names, settings, jobs=jobs)
        parallel_s = time.perf_counter() - started
    # The stacks' own work (each worker measures its stack and its pack process; the workers of
    # the parallel run are the fork server's children, which this process cannot account).
    single_cpu, parallel_cpu = (sum(run.cpu_seconds for run in runs)
                                for runs in (single, parallel))
    failed = [run for run in single + parallel if run.error is not None]
    if failed:
        raise fail(f"stack {failed[0].stack}: {failed[0].error}")
    workers = len({run.pid for run in parallel})
    resources = sum(run.plan["summary"]["resources"] for run in single)
    table = Table("clusters", "stacks", "resources", "1 process s", f"{jobs} processes s",
                  "parallel / single", "speed-up", "work CPU s (1 / parallel)",
                  title=f"ztc bench preview --fleet ({os.cpu_count()} CPUs)")
    table.add_row(str(clusters), str(len(names)), str(resources), f"{single_s:.2f}",
                  f"{parallel_s:.2f}", f"{parallel_s / single_s:.2f}",
                  f"{single_s / parallel_s:.2f}x", f"{single_cpu:.1f} / {parallel_cpu:.1f}")
    console.print(table)
    console.print(
        f"{clusters} clusters in {len(names)} stacks: 1 process {single_s:.2f} s, {jobs} "
        f"processes {parallel_s:.2f} s: parallel / single {parallel_s / single_s:.2f} "
        f"(speed-up {single_s / parallel_s:.2f}x); CPU {single_cpu:.1f} s / "
        f"{parallel_cpu:.1f} s", highlight=False)
    console.print(
        f"{workers} worker processes ran the {len(names)} stacks, forked from a server that "
        "imported the engine once (the single process imports it once too). The same plans and "
        "verdicts either way: "
        f"{'yes' if _verdicts(single) == _verdicts(parallel) else 'NO'}", highlight=False)


def _verdicts(runs: list[fleet_engine.StackRun]) -> list[tuple[str, int, int]]:
    return [(run.stack, run.plan["summary"]["resources"], run.exit_code) for run in runs]
