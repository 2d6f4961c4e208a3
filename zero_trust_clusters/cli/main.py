"""`ztc`: the Zero-Trust Clusters command line.

Every command ends through `run`, the one error path (exit codes in zero_trust_clusters/cli/errors.py): an
expected failure is one line naming the file, key or flag, exit 2; an unexpected exception
is one line plus the file its full trace was written to, exit 2. Exit 1 only ever means
"the check found something" (a mandatory violation, a broken ledger, a refused chain).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

# The ClickException family Typer raises for usage errors (Typer vendors Click).
from typer._click.exceptions import ClickException

from zero_trust_clusters import PACK_DIR
from zero_trust_clusters.cli import (
    errors,
    ledger_cli,
    options,
    pki_cli,
    preview_cli,
    render_cli,
    report_cli,
    validate_cli,
    version,
)
from zero_trust_clusters.components.spec import SpecError
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, StackFileError

app = typer.Typer(
    name="ztc",
    help="Zero-Trust Clusters: plan, check and operate EKS/AKS/GKE with one posture.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ztc {version()}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version (pyproject.toml's, the policy pack's too) and exit")] = False,
) -> None:
    """Zero-Trust Clusters: plan, check and operate EKS/AKS/GKE with one posture."""


bench = typer.Typer(help="Benchmarks that print rates and ratios (never pass/fail).")
app.add_typer(bench, name="bench")

app.command("preview")(preview_cli.preview)
app.command("validate")(validate_cli.validate)
app.command("render")(render_cli.render)
app.command("report")(report_cli.report)


@app.command("pack-dir")
def pack_dir() -> None:
    """Print the policy pack's directory (installed with the package), for
    `pulumi preview --policy-pack "$(ztc pack-dir)"` from the virtualenv ztc is installed in."""
    typer.echo(str(PACK_DIR))


@app.command("pack-config")
def pack_config(stack: options.Stack, project_dir: options.ProjectDir = PROJECT_ROOT) -> None:
    """Print the policy pack settings the stack's posture decides (e.g. the audit chain's
    minimum retention), as JSON for `pulumi preview --policy-pack-config` (`ztc preview`
    applies them itself). A cluster-phase stack gets its cloud stack's."""
    from zero_trust_clusters.engine import preview as engine

    try:
        cloud_stack, _, _ = engine.phase_stacks(stack, project_dir)
        spec = render_cli.stack_spec(cloud_stack, project_dir,
                                     "the pack's posture settings come from such config")
    except (StackFileError, SpecError) as error:
        raise errors.fail(errors.one_line(str(error), 400)) from None
    typer.echo(json.dumps(engine.posture_pack_config(spec), indent=2))
app.add_typer(pki_cli.app, name="pki")
app.add_typer(ledger_cli.app, name="ledger")
bench.command("preview")(preview_cli.bench_preview)
bench.command("pki")(pki_cli.bench_pki)
bench.command("ledger")(ledger_cli.bench_ledger)
bench.command("policy")(report_cli.bench_policy)


def run(argv: Sequence[str] | None = None) -> int:
    """Run `ztc` with `argv` (default: the process arguments); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="ztc", standalone_mode=False)
    except ClickException as error:  # usage: unknown option, missing value, bad choice
        hint = "" if "--help" in args else " (see --help)"
        errors.echo_error(f"{error.format_message()}{hint}")
        return errors.EXIT_ERROR
    except typer.Abort:  # end of input at a prompt
        errors.echo_error("aborted: no input where a value was expected")
        return errors.EXIT_ERROR
    except OSError as error:  # the file system refused a path the user gave (too long, loop...)
        where = error.filename if error.filename is not None else "a file"
        errors.echo_error(f"{errors.one_line(where, 200)}: {error.strerror or error}")
        return errors.EXIT_ERROR
    except KeyboardInterrupt:
        errors.echo_error("interrupted")
        return 130
    except Exception as error:  # noqa: BLE001 - the one place unexpected errors end
        errors.echo_error(errors.crash_line(error))
        return errors.EXIT_ERROR
    # Non-standalone Typer returns the exit code of a typer.Exit, else the command's result.
    return result if isinstance(result, int) else errors.EXIT_OK


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
