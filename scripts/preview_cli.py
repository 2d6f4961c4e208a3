"""`ztc preview` and `ztc bench preview`."""

from __future__ import annotations

import contextlib
import json
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

from components.spec import SpecError
from scripts import report
from scripts.engine import preview as engine
from scripts.engine import schema
from scripts.engine.analyzer import AnalysisResult, PolicyPackError, load_pack_config
from scripts.engine.stackfile import StackFileError, load_stack_config, plaintext_secrets
from scripts.errors import fail, one_line, warn
from scripts.report.matrix import message_text
from scripts.validate_cli import print_findings

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class Format(StrEnum):
    text = "text"
    json = "json"
    md = "md"
    html = "html"


def _fail(console: Console, reason: str) -> typer.Exit:
    """One line on stderr, printed as-is (no Rich markup), exit 2."""
    return fail(reason)


def _one_line(error: BaseException, limit: int = 600) -> str:
    """The error's message on one line (whitespace folded), cut at `limit` characters."""
    return one_line(error, limit) or type(error).__name__


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


def preview(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml")
    ],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="What to print on stdout")
    ] = Format.text,
    out: Annotated[
        Path | None, typer.Option(help="Also write plan.json and the reports here")
    ] = None,
    preview_mode: Annotated[
        bool, typer.Option("--preview", help="Computed outputs unknown, as in a first real preview")
    ] = False,
    policy_pack: Annotated[
        Path, typer.Option(help="Policy pack directory")
    ] = engine.POLICY_PACK_DIR,
    policy_pack_config: Annotated[
        Path | None, typer.Option(help="Policy pack config JSON (the CLI's --policy-pack-config)")
    ] = None,
    project_dir: Annotated[
        Path, typer.Option(help="Project directory (holds __main__.py and stacks/)")
    ] = engine.PROJECT_ROOT,
    no_schema_check: Annotated[
        bool,
        typer.Option(
            "--no-schema-check",
            help="Skip the schema stage (inputs against the providers' schemas and API rules)",
        ),
    ] = False,
) -> None:
    """Plan the whole estate offline, check every input against the providers' schemas and
    documented API rules, then check it with the policy pack over gRPC.

    Exit codes: 0 clean, 1 mandatory violations, 2 schema findings, invalid config or
    program error.
    """
    console = Console(stderr=fmt is not Format.text, emoji=False, highlight=False)
    if out is not None:
        check_output_dir(out)
    try:
        for problem in plaintext_secrets(*load_stack_config(stack, project_dir)):
            warn(problem)
    except StackFileError:
        pass  # capture_stack reports it
    try:
        config = load_pack_config(policy_pack_config)
    except PolicyPackError as error:
        raise _fail(console, f"--policy-pack-config: {error}") from None
    try:
        capture = engine.capture_stack(stack, preview=preview_mode, root=project_dir)
    except SpecError as error:
        if len(error.problems) == 1:  # one problem: one line
            raise _fail(console, f"{error.problems[0]}; nothing was planned") from None
        for problem in error.problems:
            typer.echo(f"  - {one_line(problem)}", err=True)
        raise _fail(
            console, f"invalid stack config ({len(error.problems)} problem(s)); nothing was planned"
        ) from None
    except StackFileError as error:
        raise _fail(console, str(error)) from None
    except Exception as error:  # noqa: BLE001 - any program failure is exit 2 with its reason
        raise _fail(console, f"the program failed: {_one_line(error)}") from None
    # The schema stage: between the program and the policy pack (scripts/engine/schema).
    checked = None if no_schema_check else schema.check_graph(capture.graph)
    try:
        analysis = engine.check_policies(capture, policy_pack, config)
    except PolicyPackError as error:
        raise _fail(console, f"policy pack: {_one_line(error)}") from None

    plan = engine.plan_document(capture, analysis, engine.ledger_entries(capture))
    plan["schema"] = None if checked is None else checked.to_json()
    matrix = report.build_matrix(capture.graph.resources, analysis.diagnostics, capture.stack,
                                 levels=analysis.policies, settings=analysis.settings)
    reports = report.report_files(matrix)
    if out is not None:
        write_outputs(
            {out / "plan.json": json.dumps(plan, indent=2) + "\n"}
            | {out / name: text for name, text in reports.items()}
        )
    if fmt is Format.json:
        typer.echo(json.dumps(plan, indent=2))
    elif fmt is Format.md:
        typer.echo(reports["report.md"])
    elif fmt is Format.html:
        typer.echo(reports["report.html"])
    else:
        _print_text(console, capture, analysis, matrix, plan)
    if out is not None:
        console.print(
            f"wrote {out}/plan.json and {', '.join(sorted(reports))}", markup=False
        )
    if checked is not None:
        print_findings(console, checked)
    mandatory = analysis.mandatory
    if mandatory:
        console.print(
            f"[bold red]{len(mandatory)} mandatory violation(s)[/]: the stack would be blocked"
        )
    if checked is not None and checked.findings:
        console.print(
            f"[bold red]{len(checked.findings)} schema finding(s)[/]: the providers would "
            "reject these inputs (`--no-schema-check` skips the stage)"
        )
        raise typer.Exit(EXIT_ERROR)
    if mandatory:
        raise typer.Exit(EXIT_VIOLATIONS)


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
        f"({summary['custom']} cloud/Kubernetes resources) across {len(capture.spec.clusters)} "
        f"cluster(s); stacks: {phases}"
    )
    table = Table(title="Resources per cluster and provider package")
    for column in ("cluster", "cloud", "region"):
        table.add_column(column, no_wrap=True)
    for package in summary["perPackage"]:
        table.add_column(package, justify="right")
    clouds = {c.name: (c.cloud, c.region) for c in capture.spec.clusters}
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


@contextlib.contextmanager
def bench_project(clusters: int) -> Iterator[Path]:
    """A throw-away project holding a `bench` environment of `clusters` clusters: both phases'
    stack files and the real program (which reads stacks/ next to itself)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "stacks").mkdir()
        (root / "stacks" / "Pulumi.bench.yaml").write_text(
            yaml.safe_dump({"config": synthetic_config(clusters)})
        )
        (root / "stacks" / "Pulumi.bench-cluster.yaml").write_text(yaml.safe_dump({"config": {
            engine.PHASE_KEY: engine.CLUSTER_PHASE, engine.CLOUD_STACK_KEY: "bench"}}))
        shutil.copy(engine.PROJECT_ROOT / "__main__.py", root / "__main__.py")
        yield root


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
    sizes: Annotated[list[int] | None, typer.Option("--clusters", help="Estate sizes")] = None,
) -> None:
    """Wall time of the offline preview (program under mocks + schema stage + policy gRPC)
    per estate size, with the schema stage's share next to the preview's."""
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
