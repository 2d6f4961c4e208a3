"""The matrix for people: terminal (rich), Markdown, standalone HTML, and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table
from rich.text import Text

from zero_trust_clusters.report.matrix import (
    EXEMPT,
    FAIL,
    NOT_CHECKED,
    PASS,
    STATUSES,
    UNVERIFIABLE,
    Cell,
    Column,
    Matrix,
)
from zero_trust_clusters.report.rules import BY_ID, EVIDENCE_POLICY

SYMBOL = {PASS: "✔", FAIL: "✘ FAIL", UNVERIFIABLE: "? n/v", NOT_CHECKED: "- not checked",
          EXEMPT: "✔ exempt"}
STYLE = {PASS: "green", FAIL: "bold red", UNVERIFIABLE: "yellow", NOT_CHECKED: "dim",
         EXEMPT: "cyan"}
WORD = {PASS: "PASS", FAIL: "**FAIL**", UNVERIFIABLE: "NOT VERIFIABLE", NOT_CHECKED: "NOT CHECKED",
        EXEMPT: "EXEMPT"}
# The HTML page's word per status.
PLAIN = {PASS: "pass", FAIL: "fail", UNVERIFIABLE: "not verifiable", NOT_CHECKED: "not checked",
         EXEMPT: "exempt"}


def _word(cell: Cell, words: dict[str, str]) -> str:
    """The cell's status word; an exempt cell says until when."""
    if cell.status == EXEMPT:
        return f"{words[EXEMPT]} until {cell.exempt_until}"
    return words[cell.status]


EQUIVALENT = "≈"


def _mark(cell: Cell) -> str:
    return f" {EQUIVALENT}" if cell.how.startswith("equivalent:") else ""


def _headline(m: Matrix) -> str:
    c = m.counts()
    return (f"{len(m.clusters)} clusters x {len(m.controls)} controls: {c[PASS]} pass, "
            f"{c[FAIL]} fail, {c[UNVERIFIABLE]} not verifiable, {c[NOT_CHECKED]} not checked, "
            f"{c[EXEMPT]} exempt")


def _problem_cells(m: Matrix) -> list[Cell]:
    return [c for c in m.cells.values() if c.status != PASS]


def _reasons(cell: Cell) -> list[str]:
    out = [f.message + (" (advisory)" if f.level == "advisory" else "") for f in cell.findings]
    if cell.status == NOT_CHECKED:
        out.append(f"not checked: policy {', '.join(cell.not_checked_by)} disabled"
                   if cell.not_checked_by else
                   f"not checked: not in {EVIDENCE_POLICY} requiredControls")
    if cell.exempt_until:
        out.append(f"exempt until {cell.exempt_until}: {cell.exemption}")
    return out or [f"no {x} in the stack" for x in cell.missing]


# The terminal matrix shows at most this many cluster columns side by side; wider fleets are
# paged (the same control rows again for the next clusters), and a per-cluster summary leads.
MAX_COLUMNS = 10
SUMMARY_FROM = MAX_COLUMNS + 1  # clusters from which the per-cluster summary is printed
_HEADER_CAP = 16  # longer cluster names fold onto more header lines
_BORDERS = 3  # a column's padding and its rule


def _column_width(m: Matrix, col: Column) -> int:
    """Terminal columns a cluster needs: its widest cell, its header up to _HEADER_CAP."""
    cells = max(len(_cell_text(m.cell(control, col.name))) for control in m.controls)
    return max(min(max(len(col.name), len(col.cloud) + 2), _HEADER_CAP), cells)


def _cell_text(cell: Cell) -> str:
    return SYMBOL[cell.status] + _mark(cell)


def cluster_pages(m: Matrix, width: int, max_columns: int = MAX_COLUMNS) -> list[list[Column]]:
    """The clusters in pages that fit `width` terminal columns, at most `max_columns` each."""
    budget = width - (max(len(c) for c in m.controls) + _BORDERS + 1)
    pages: list[list[Column]] = []
    page: list[Column] = []
    used = 0
    for col in m.clusters:
        need = _column_width(m, col) + _BORDERS
        if page and (used + need > budget or len(page) == max_columns):
            pages.append(page)
            page, used = [], 0
        page.append(col)
        used += need
    return pages + [page] if page else pages


def _summary(m: Matrix) -> Table:
    """One row per cluster: how many controls it holds, fails, cannot prove."""
    table = Table(title=f"Per cluster: {m.stack}", caption=_headline(m))
    table.add_column("Cluster", no_wrap=True)
    table.add_column("Cloud", no_wrap=True)
    for status in STATUSES:
        table.add_column(PLAIN[status], justify="right", style=STYLE[status])
    for col in m.clusters:
        counts = dict.fromkeys(STATUSES, 0)
        for control in m.controls:
            counts[m.cell(control, col.name).status] += 1
        table.add_row(col.name, col.cloud, *(str(counts[s]) for s in STATUSES))
    return table


def render_terminal(m: Matrix, console: Console | None = None) -> None:
    """The matrix, controls as rows and clusters as columns, paged to the terminal's width (at
    most MAX_COLUMNS clusters a page; a per-cluster summary first beyond that), then every cell
    that does not pass with its reasons."""
    console = console or Console()
    if len(m.clusters) >= SUMMARY_FROM:
        console.print(_summary(m))
    pages = cluster_pages(m, console.width) or [[]]
    for number, page in enumerate(pages, 1):
        first = sum(len(p) for p in pages[: number - 1]) + 1
        where = (f" (clusters {first}-{first + len(page) - 1} of {len(m.clusters)})"
                 if len(pages) > 1 else "")
        table = Table(title=f"Zero-trust posture: {m.stack}{where}",
                      caption=_headline(m) if number == len(pages) else None)
        table.add_column("Control", no_wrap=True, overflow="ellipsis", min_width=12)
        for col in page:
            # Cells are one symbol wide; a long cluster name folds onto more header lines.
            table.add_column(f"{col.name}\n({col.cloud})", justify="center", overflow="fold",
                             max_width=_column_width(m, col))
        for control in m.controls:
            row: list[str | Text] = [control]
            for col in page:
                cell = m.cell(control, col.name)
                row.append(Text(_cell_text(cell), style=STYLE[cell.status]))
            table.add_row(*row)
        console.print(table)
    console.print(Text(f"{EQUIVALENT} = the cloud has no native form; the closest real "
                       "equivalent is checked (see the HTML/Markdown report)", style="dim"))
    # Cells failing alike (same control, status and reasons) are printed once with their
    # clusters, so that a fleet's repeated finding is one entry, not one per cluster.
    alike: dict[tuple[str, str, str, tuple[str, ...]], list[str]] = {}
    for cell in _problem_cells(m):
        key = (cell.status, _word(cell, SYMBOL), cell.control, tuple(_reasons(cell)))
        alike.setdefault(key, []).append(cell.cluster)
    for (status, word, control, reasons), clusters in alike.items():
        console.print(Text(f"{word}  {control} on {', '.join(clusters)}", style=STYLE[status]))
        for reason in reasons:
            console.print(Text(f"    {reason}"))
    for f in m.unattributed:
        console.print(Text(f"  {f.level} {f.policy}: {f.message}"))


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(m: Matrix) -> str:
    lines = [f"# Zero-trust posture: {m.stack}", "", _headline(m), ""]
    header = "| Control | " + " | ".join(f"{c.name} ({c.cloud})" for c in m.clusters) + " |"
    lines += [header, "|" + "---|" * (len(m.clusters) + 1)]
    for control in m.controls:
        cells = [_word(m.cell(control, c.name), WORD) + _mark(m.cell(control, c.name))
                 for c in m.clusters]
        lines.append(f"| `{control}` {_md(BY_ID[control].title)} | " + " | ".join(cells) + " |")
    problems = _problem_cells(m)
    lines += ["", (f"{EQUIVALENT} the cloud has no native form of the control; the closest real "
              "equivalent is checked."), "", "## Findings", ""]
    if not problems and not m.unattributed:
        lines.append("None: every cluster holds every control.")
    for cell in problems:
        lines.append(f"- **{cell.control}** on `{cell.cluster}` ({_word(cell, WORD)})")
        lines += [f"  - {_md(r)}" for r in _reasons(cell)]
    lines += [f"- {f.level} `{f.policy}`: {_md(f.message)}" for f in m.unattributed]
    lines += ["", "## Implemented by", ""]
    for control in m.controls:
        lines.append(f"### {control}: {_md(BY_ID[control].title)} "
                     f"[{_md(BY_ID[control].principle)}]")
        for col in m.clusters:
            cell = m.cell(control, col.name)
            what = ", ".join(f"`{i.name}` ({i.type})" for i in cell.implemented_by) or "nothing"
            lines.append(f"- {col.name} ({col.cloud}, {_md(cell.how)}): {what}")
        lines.append("")
    return "\n".join(lines) + "\n"


def render_json(m: Matrix) -> str:
    return json.dumps(m.to_dict(), indent=2) + "\n"


_HTML = Path(__file__).with_name("report.html.j2").read_text()
_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_html(m: Matrix) -> str:
    """One self-contained page (inline CSS, no scripts or external assets)."""
    return _ENV.from_string(_HTML).render(
        m=m, by_id=BY_ID, headline=_headline(m), counts=m.counts(), problems=_problem_cells(m),
        reasons=_reasons, word=lambda cell: _word(cell, PLAIN),
        held={c.name: sum(m.cell(x, c.name).status == PASS for x in m.controls)
              for c in m.clusters})


def report_files(matrix: Matrix) -> dict[str, str]:
    """File name -> content for `--out`: report.md, report.html (standalone), report.json."""
    return {
        "report.md": render_markdown(matrix),
        "report.html": render_html(matrix),
        "report.json": render_json(matrix),
    }
