"""The control x cluster report: build the matrix, render it, compare two stacks.

`ztc preview` calls `build_matrix(graph.resources, analysis.diagnostics, stack,
levels=analysis.policies, settings=analysis.settings)` and the renderers below; `ztc report --stack A --stack B` adds `diff_matrices`.
"""

from zero_trust_clusters.report.diff import (
    diff_matrices,
    render_diff_json,
    render_diff_markdown,
    render_diff_terminal,
)
from zero_trust_clusters.report.matrix import (
    EXEMPT,
    FAIL,
    NOT_CHECKED,
    PASS,
    UNVERIFIABLE,
    Cell,
    Matrix,
    build_matrix,
    combine,
)
from zero_trust_clusters.report.render import (
    render_html,
    render_json,
    render_markdown,
    render_terminal,
    report_files,
)

__all__ = [
    "EXEMPT", "FAIL", "NOT_CHECKED", "PASS", "UNVERIFIABLE", "Cell", "Matrix", "build_matrix", "combine", "diff_matrices",
    "render_diff_json", "render_diff_markdown", "render_diff_terminal", "render_html",
    "render_json", "render_markdown", "render_terminal", "report_files",
]
