"""Where two stacks' postures differ, compared per control and cloud (cluster names differ)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from rich.console import Console
from rich.table import Table

from zero_trust_clusters.components import clouds
from zero_trust_clusters.report.matrix import FAIL, PASS, UNVERIFIABLE, Matrix
from zero_trust_clusters.report.rules import CONTROL_IDS

_ORDER = {PASS: 0, UNVERIFIABLE: 1, FAIL: 2}


@dataclass
class Side:
    status: str  # worst status over the stack's clusters on that cloud, or "absent"
    clusters: list[str]
    implementers: list[str]  # resource types implementing the control


@dataclass
class DiffRow:
    control: str
    cloud: str
    a: Side
    b: Side


def _side(m: Matrix, control: str, cloud: str) -> Side:
    cells = [m.cell(control, c.name) for c in m.clusters if c.cloud == cloud]
    if not cells:
        return Side("absent", [], [])
    worst = max((c.status for c in cells), key=_ORDER.__getitem__)
    types = sorted({i.type for c in cells for i in c.implemented_by})
    return Side(worst, [c.cluster for c in cells if c.status != PASS], types)


def diff_matrices(a: Matrix, b: Matrix) -> list[DiffRow]:
    rows = []
    for control in CONTROL_IDS:
        for cloud in clouds.names():
            sa, sb = _side(a, control, cloud), _side(b, control, cloud)
            if "absent" in (sa.status, sb.status):
                if sa.status != sb.status:
                    rows.append(DiffRow(control, cloud, sa, sb))
                continue
            if sa.status != sb.status or sa.implementers != sb.implementers:
                rows.append(DiffRow(control, cloud, sa, sb))
    return rows


def _describe(side: Side) -> str:
    if side.status in (PASS, "absent"):
        return side.status
    return f"{side.status} ({', '.join(side.clusters)})"


def render_diff_terminal(a: Matrix, b: Matrix, rows: list[DiffRow],
                         console: Console | None = None) -> None:
    console = console or Console()
    if not rows:
        console.print(f"[green]{a.stack} and {b.stack} hold the same posture on every cloud[/]")
        return
    table = Table(title=f"Posture differences: {a.stack} vs {b.stack}")
    for name in ("Control", "Cloud", a.stack, b.stack, "Implementers differ"):
        table.add_column(name)
    for r in rows:
        table.add_row(r.control, r.cloud, _describe(r.a), _describe(r.b),
                      "yes" if r.a.implementers != r.b.implementers else "")
    console.print(table)


def render_diff_markdown(a: Matrix, b: Matrix, rows: list[DiffRow]) -> str:
    lines = [f"# Posture differences: {a.stack} vs {b.stack}", ""]
    if not rows:
        return "\n".join(lines + ["No differences on any cloud.", ""])
    lines += [f"| Control | Cloud | {a.stack} | {b.stack} | Implementers |", "|---|---|---|---|---|"]
    for r in rows:
        impl = "same" if r.a.implementers == r.b.implementers else (
            f"{', '.join(r.a.implementers) or '-'} vs {', '.join(r.b.implementers) or '-'}")
        lines.append(f"| `{r.control}` | {r.cloud} | {_describe(r.a)} | {_describe(r.b)} | "
                     f"{impl} |")
    return "\n".join(lines) + "\n"


def render_diff_json(a: Matrix, b: Matrix, rows: list[DiffRow]) -> str:
    return json.dumps({"a": a.stack, "b": b.stack, "differences": [asdict(r) for r in rows]},
                      indent=2) + "\n"
