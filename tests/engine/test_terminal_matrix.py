"""The terminal matrix stays readable for a fleet: pages of clusters that fit the terminal's
width (at most MAX_COLUMNS each), a per-cluster summary beyond ten clusters, and cells failing
alike listed once with their clusters. Rendered on a fixed-width console: deterministic."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from zero_trust_clusters.report import Cell, Matrix, combine, render_terminal
from zero_trust_clusters.report.matrix import FAIL, PASS, UNVERIFIABLE, Column, Finding
from zero_trust_clusters.report.render import MAX_COLUMNS, cluster_pages
from zero_trust_clusters.report.rules import CONTROL_IDS

CLOUDS = ("aws", "azure", "gcp")


def _matrix(clusters: int, stack: str = "fleet", name_length: int = 8) -> Matrix:
    columns = [Column(f"c{i:03d}-{CLOUDS[i % 3]}".ljust(name_length, "x"), CLOUDS[i % 3],
                      f"urn:{i}") for i in range(clusters)]
    cells = {}
    for col in columns:
        for control in CONTROL_IDS:
            status = PASS
            findings = []
            if control == "ZT-SANDBOX":
                status = UNVERIFIABLE
                findings = [Finding("sandbox", "advisory", "sandbox mesh cannot be proven",
                                    control=control, status=UNVERIFIABLE)]
            cells[(control, col.name)] = Cell(control, col.name, col.cloud, status,
                                              findings=findings)
    cells[("ZT-API-PRIVATE", columns[-1].name)].status = FAIL
    return Matrix(stack, columns, cells)


def _render(m: Matrix, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    render_terminal(m, console)
    return console.export_text()


@pytest.mark.parametrize(("clusters", "width", "name_length"),
                         [(30, 100, 8), (30, 160, 8), (12, 80, 40), (3, 120, 8)])
def test_every_line_fits_and_every_cluster_is_shown(clusters, width, name_length):
    m = _matrix(clusters, name_length=name_length)
    text = _render(m, width)
    assert max(len(line) for line in text.splitlines()) <= width
    pages = cluster_pages(m, width)
    assert [c.name for page in pages for c in page] == [c.name for c in m.clusters]
    assert all(1 <= len(page) <= MAX_COLUMNS for page in pages)
    for col in m.clusters:
        assert col.name[:8] in text
    titled = [line for line in text.splitlines() if "Zero-trust posture: fleet" in line]
    assert len(titled) == len(pages)


def test_a_fleet_is_paged_with_a_summary_first():
    m = _matrix(30)
    text = _render(m, 120)
    pages = cluster_pages(m, 120)
    assert len(pages) >= 3
    assert "(clusters 1-" in text and "of 30)" in text
    assert text.index("Per cluster: fleet") < text.index("Zero-trust posture: fleet")
    # The summary has one row per cluster with its counts: 18 pass and 1 not verifiable ...
    row = next(line for line in text.splitlines() if "c001-azure" in line and "│" in line)
    assert "18" in row and " 1 " in row


def test_small_estates_are_one_table_without_summary():
    text = _render(_matrix(3), 120)
    assert "Per cluster" not in text and "(clusters" not in text


def test_cells_failing_alike_are_listed_once_with_their_clusters():
    m = _matrix(30)
    text = _render(m, 200)
    flat = " ".join(text.split())
    assert flat.count("ZT-SANDBOX on") == 1
    listed = flat.split("? n/v ZT-SANDBOX on ", 1)[1].split(" sandbox mesh", 1)[0]
    assert listed.split(", ") == [c.name for c in m.clusters]
    assert flat.count("sandbox mesh cannot be proven") == 1
    assert "✘ FAIL ZT-API-PRIVATE on c029-gcp" in flat


def test_combine_names_clusters_by_stack():
    a, b = _matrix(2, "dev"), _matrix(2, "prod")
    both = combine([a, b])
    assert [c.name for c in both.clusters] == ["dev/c000-aws", "dev/c001-azure",
                                                "prod/c000-aws", "prod/c001-azure"]
    assert both.cell("ZT-SANDBOX", "prod/c001-azure").status == UNVERIFIABLE
    assert both.counts()["pass"] == a.counts()["pass"] + b.counts()["pass"]
    assert both.stack == "dev + prod"
