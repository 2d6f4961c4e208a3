"""The matrix and its renderings, built from real gRPC diagnostics of the pack."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import build
from rich.console import Console
from ztc_policy.catalog import CONTROL_IDS
from ztc_policy.findings import TRAILER

from zero_trust_clusters.report import (
    EXEMPT,
    FAIL,
    NOT_CHECKED,
    PASS,
    UNVERIFIABLE,
    build_matrix,
    diff_matrices,
    render_diff_markdown,
    render_html,
    render_json,
    render_markdown,
    render_terminal,
)

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _matrix(pack, estate, stack="hand"):
    result = run(pack, estate.resources)
    return build_matrix(estate.resources, result.diagnostics, stack)


@pytest.fixture(scope="module")
def clean(pack):
    return _matrix(pack, build())


@pytest.fixture(scope="module")
def broken(pack):
    e = build()
    e.named("hand-gcp").inputs["binaryAuthorization"] = {"evaluationMode": "DISABLED"}
    e.named("hand-azure").inputs["disableLocalAccounts"] = UNKNOWN
    e.resources = [r for r in e.resources if r.name != "hand-aws-sandbox"]
    return _matrix(pack, e, "broken")


def test_clean_estate_every_cell_passes_with_its_implementers(clean):
    assert [c.name for c in clean.clusters] == ["hand-aws", "hand-azure", "hand-gcp"]
    # All but ZT-MTLS-SHARED-ROOT, not verifiable on every cluster: sandboxed pods cannot join
    # the mesh (the advisory ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh says so).
    assert clean.counts() == {PASS: 54, FAIL: 0, UNVERIFIABLE: 3, NOT_CHECKED: 0,
                              EXEMPT: 0}
    for cluster in ("hand-aws", "hand-azure", "hand-gcp"):
        mesh = clean.cell("ZT-MTLS-SHARED-ROOT", cluster)
        assert mesh.status == UNVERIFIABLE and not mesh.missing
        assert [f.policy for f in mesh.findings] == ["ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh"]
    cell = clean.cell("ZT-SANDBOX", "hand-gcp")
    assert {i.name for i in cell.implemented_by} == {"hand-gcp-sandbox", "hand-gcp-sandboxed"}
    assert cell.how == "sandboxConfig GVISOR pool"
    kms = {i.type for i in clean.cell("ZT-SECRETS-KMS", "hand-aws").implemented_by}
    assert kms == {"aws:eks/cluster:Cluster", "aws:kms/key:Key"}


def test_failures_and_unknowns_land_in_the_right_cells(broken):
    assert broken.cell("ZT-IMAGE-PROVENANCE", "hand-gcp").status == FAIL
    assert broken.cell("ZT-IMAGE-PROVENANCE", "hand-aws").status == PASS
    assert broken.cell("ZT-IAM-ONLY", "hand-azure").status == UNVERIFIABLE
    sandbox = broken.cell("ZT-SANDBOX", "hand-aws")
    assert sandbox.status == FAIL and sandbox.missing
    assert broken.counts() == {PASS: 51, FAIL: 2, UNVERIFIABLE: 4, NOT_CHECKED: 0,
                               EXEMPT: 0}  # 3 of the 4: the sandbox/mesh gap


def test_markdown_html_json_terminal(broken):
    md = render_markdown(broken)
    assert "| `ZT-IMAGE-PROVENANCE`" in md and "**FAIL**" in md and "NOT VERIFIABLE" in md
    assert "binaryAuthorization.evaluationMode" in md
    page = render_html(broken)
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in (
        page.split("<body>")[0])
    assert page.count('class="fail"') == 2 and page.count('class="not-verifiable"') == 4
    assert page.count("<th>17 / 19</th>") == 3  # one cell short on each, and the mesh gap
    data = json.loads(render_json(broken))
    assert data["counts"] == {"pass": 51, "fail": 2, "not-verifiable": 4,
                              "not-checked": 0, "exempt": 0}
    assert len(data["cells"]) == 3 * len(CONTROL_IDS)
    console = Console(record=True, width=120)
    render_terminal(broken, console)
    text = console.export_text()
    assert "ZT-SANDBOX on hand-aws" in text and "✘ FAIL" in text


def test_html_escapes_resource_text(pack):
    e = build()
    e.named("hand-gcp-sandbox").name = "<img src=x onerror=alert(1)>"
    page = render_html(_matrix(pack, e))
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_diff_shows_where_two_stacks_differ(clean, broken):
    rows = diff_matrices(clean, broken)
    keys = {(r.control, r.cloud) for r in rows}
    assert keys == {("ZT-IMAGE-PROVENANCE", "gcp"), ("ZT-IAM-ONLY", "azure"),
                    ("ZT-SANDBOX", "aws")}
    assert diff_matrices(clean, clean) == []
    md = render_diff_markdown(clean, broken, rows)
    assert "| `ZT-SANDBOX` | aws | pass | fail (hand-aws) |" in md


def test_preview_report_files_and_terminal(pack):
    from zero_trust_clusters.report import build_matrix, render_terminal, report_files

    estate = build()
    analysis = run(pack, estate.resources)
    matrix = build_matrix(estate.resources, analysis.diagnostics, "hand")
    files = report_files(matrix)
    assert sorted(files) == ["report.html", "report.json", "report.md"]
    assert json.loads(files["report.json"])["counts"]["pass"] == 54
    console = Console(record=True, width=100)
    render_terminal(matrix, console)
    assert "Zero-trust posture: hand" in console.export_text()


# --- structured findings: cells come from the trailer, never from the wording ---------------
def _reworded(diagnostics):
    """The same diagnostics with every human line replaced: no control ID, no cluster name,
    no "could not be verified" phrase left outside the pack's trailer."""
    out = []
    for d in diagnostics:
        trailer = [line for line in d.message.splitlines() if line.startswith(TRAILER)]
        out.append(replace(d, message="\n".join(["Reworded description.", "Something else.",
                                                 *trailer])))
    return out


def _verdicts(m):
    return {k: (c.status, sorted(f.policy for f in c.findings)) for k, c in m.cells.items()}


def test_rewording_a_message_changes_no_cell(pack):
    e = build()
    e.named("hand-gcp").inputs["binaryAuthorization"] = {"evaluationMode": "DISABLED"}
    e.named("hand-azure").inputs["disableLocalAccounts"] = UNKNOWN
    e.named("hand-aws-sandboxed").inputs["handler"] = "gvisor"  # a stack policy's finding
    result = run(pack, e.resources)
    original = build_matrix(e.resources, result.diagnostics, "x")
    reworded = build_matrix(e.resources, _reworded(result.diagnostics), "x")
    assert _verdicts(reworded) == _verdicts(original)
    assert original.cell("ZT-SANDBOX", "hand-aws").status == FAIL
    assert original.cell("ZT-IAM-ONLY", "hand-azure").status == UNVERIFIABLE
    assert reworded.unattributed == original.unattributed == []


def _with_config(pack, estate, config):
    result = run(pack, estate.resources, config)
    return build_matrix(estate.resources, result.diagnostics, "cfg", levels=result.policies,
                        settings=result.settings)


def _every_format(m) -> dict[str, str]:
    console = Console(record=True, width=200)
    render_terminal(m, console)
    return {"md": render_markdown(m), "html": render_html(m), "json": render_json(m),
            "text": console.export_text()}


def test_every_policy_disabled_is_not_checked_in_every_format(pack):
    m = _with_config(pack, build(), {"all": "disabled"})
    assert m.counts() == {PASS: 0, FAIL: 0, UNVERIFIABLE: 0, NOT_CHECKED: 57, EXEMPT: 0}
    shown = _every_format(m)
    assert "57 pass" not in shown["md"] and "0 pass" in shown["md"]
    assert "NOT CHECKED" in shown["md"] and "57 not checked" in shown["md"]
    assert shown["html"].count('class="not-checked"') == 57
    assert json.loads(shown["json"])["counts"]["not-checked"] == 57
    assert "not checked" in shown["text"] and "57 pass" not in shown["text"]
    assert "policy ZT-API-PRIVATE, posture-evidence, not-verifiable-at-preview disabled" in (
        shown["md"])


def test_one_disabled_policy_leaves_its_control_not_checked(pack):
    m = _with_config(pack, build(), {"ZT-API-PRIVATE": "disabled"})
    cell = m.cell("ZT-API-PRIVATE", "hand-aws")
    assert cell.status == NOT_CHECKED and cell.not_checked_by == ["ZT-API-PRIVATE"]
    # 51: ZT-MTLS-SHARED-ROOT is not verifiable on every cluster (the sandbox/mesh gap).
    assert m.counts()[NOT_CHECKED] == 3 and m.counts()[PASS] == 51


def test_a_failure_another_enabled_policy_reports_still_fails_the_cell(pack):
    """posture-parity restates the control's failure with its own (mandatory) level."""
    e = build()
    e.named("hand-aws").inputs["vpcConfig"]["endpointPublicAccess"] = True
    m = _with_config(pack, e, {"ZT-API-PRIVATE": "disabled"})
    cell = m.cell("ZT-API-PRIVATE", "hand-aws")
    assert cell.status == FAIL and [f.policy for f in cell.findings] == ["posture-parity"]


def test_exempted_cell_says_until_when_in_every_format(pack):
    e = build()
    e.named("hand-aws").inputs["vpcConfig"]["endpointPublicAccess"] = True
    until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    exemption = {"resource": "hand-aws", "control": "ZT-API-PRIVATE",
                 "reason": "CHG-42 migration", "expires": until}
    # The control's policy and posture-parity (which restates the failure) both exempt it.
    m = _with_config(pack, e, {"ZT-API-PRIVATE": {"exemptions": [exemption]},
                               "posture-parity": {"exemptions": [exemption]}})
    cell = m.cell("ZT-API-PRIVATE", "hand-aws")
    assert (cell.status, cell.exempt_until, cell.exemption) == (EXEMPT, until, "CHG-42 migration")
    assert m.cell("ZT-API-PRIVATE", "hand-gcp").status == PASS
    shown = _every_format(m)
    assert f"EXEMPT until {until}" in shown["md"]
    assert f"exempt until {until}" in shown["html"]
    assert f"exempt until {until}: CHG-42 migration" in shown["text"]
    data = json.loads(shown["json"])
    assert [c["exemptUntil"] for c in data["cells"] if c["status"] == "exempt"] == [until]
