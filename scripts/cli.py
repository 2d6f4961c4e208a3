"""`ztc`: the Zero-Trust Clusters command line."""

from __future__ import annotations

import typer

from scripts import ledger_cli, pki_cli, preview_cli, render_cli, report_cli, validate_cli

app = typer.Typer(
    name="ztc",
    help="Zero-Trust Clusters: plan, check and operate EKS/AKS/GKE with one posture.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
bench = typer.Typer(help="Benchmarks that print rates and ratios (never pass/fail).")
app.add_typer(bench, name="bench")

app.command("preview")(preview_cli.preview)
app.command("validate")(validate_cli.validate)
app.command("render")(render_cli.render)
app.command("report")(report_cli.report)
app.add_typer(pki_cli.app, name="pki")
app.add_typer(ledger_cli.app, name="ledger")
bench.command("preview")(preview_cli.bench_preview)
bench.command("pki")(pki_cli.bench_pki)
bench.command("ledger")(ledger_cli.bench_ledger)
bench.command("policy")(report_cli.bench_policy)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
