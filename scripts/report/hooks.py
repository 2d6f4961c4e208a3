"""Drop-in bodies for `ztc preview`'s report hooks (scripts/engine/preview.py).

    from scripts.report.hooks import print_matrix, reports
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from scripts.report.matrix import Matrix, build_matrix
from scripts.report.render import render_html, render_json, render_markdown, render_terminal


def matrix_of(capture: Any, analysis: Any) -> Matrix:
    """The matrix for a `Capture` (graph) and an `AnalysisResult` (gRPC diagnostics)."""
    return build_matrix(capture.graph.resources, analysis.diagnostics, capture.stack)


def reports(capture: Any, analysis: Any) -> dict[str, str]:
    """File name -> content: report.md, report.html (standalone), report.json."""
    m = matrix_of(capture, analysis)
    return {"report.md": render_markdown(m), "report.html": render_html(m),
            "report.json": render_json(m)}


def print_matrix(console: Console, capture: Any, analysis: Any) -> None:
    render_terminal(matrix_of(capture, analysis), console)
