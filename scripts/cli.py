"""`ztc`: the Zero-Trust Clusters command line."""

from __future__ import annotations

import typer

from scripts import preview_cli

app = typer.Typer(
    name="ztc",
    help="Zero-Trust Clusters: plan, check and operate EKS/AKS/GKE with one posture.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
bench = typer.Typer(help="Benchmarks that print rates and ratios (never pass/fail).")
app.add_typer(bench, name="bench")

app.command("preview")(preview_cli.preview)
bench.command("preview")(preview_cli.bench_preview)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
