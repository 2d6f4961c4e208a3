"""`ztc preview` over several stacks: parallel processes, one combined report, the parity
diff, one failing stack never hiding the others; the progress display; the fleet bench's
printed structure (never its timings)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import yaml
from rich.console import Console
from typer.testing import CliRunner

from zero_trust_clusters.cli import preview_cli, progress
from zero_trust_clusters.cli.main import app
from zero_trust_clusters.engine import fleet
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, load_stack_config

HERE = Path(__file__).parent
PACK = HERE / "fixture_pack"


def _project(root: Path, stacks: dict[str, dict]) -> Path:
    """The fixture program with one stack file per entry (the dev spec plus fixture: keys)."""
    shutil.copy(HERE / "fixture_program.py", root / "__main__.py")
    (root / "stacks").mkdir()
    config, _ = load_stack_config("dev")
    for name, extra in stacks.items():
        document = {**config, **{f"fixture:{k}": v for k, v in extra.items()}}
        (root / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": document}))
    return root


def _preview(project: Path, *args: str):
    return CliRunner().invoke(app, ["preview", "--project-dir", str(project), "--policy-pack",
                                    str(PACK), *args])


def test_several_stacks_make_one_report_with_the_parity_diff(tmp_path):
    project = _project(tmp_path, {"blue": {}, "green": {"forceDestroy": True}})
    out = tmp_path / "out"
    result = _preview(project, "--stack", "blue", "--stack", "green", "--jobs", "2",
                      "--out", str(out))
    assert result.exit_code == 1, result.output  # green holds a mandatory violation
    assert "Fleet: 2 stacks" in result.output
    assert "blue and green hold the same posture on every cloud" in result.output
    assert "FIXTURE-VERSIONED" in result.output
    for path in ("blue/plan.json", "green/plan.json", "report.md", "report.html",
                 "report.json", "diff-blue-green.md", "diff-blue-green.json"):
        assert (out / path).is_file(), path
    green = json.loads((out / "green" / "plan.json").read_text())
    assert green["stack"] == "green"
    assert [d["policy"] for d in green["policy"]["diagnostics"]] == ["fixture-versioned"]


def test_one_failing_stack_does_not_hide_the_others(tmp_path):
    project = _project(tmp_path, {"good": {}, "bad": {"fail": True}})
    result = _preview(project, "--stack", "good", "--stack", "bad", "--jobs", "2",
                      "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["stacks"]["good"]["policy"]["resourcesChecked"] == 4
    assert "fixture program failed on purpose" in document["stacks"]["bad"]["error"]
    assert "stack bad: the program failed" in result.output


def test_parallel_processes_give_the_in_process_results(tmp_path):
    project = _project(tmp_path, {"one": {}, "two": {"forceDestroy": True}})
    settings = fleet.PreviewOptions(project_dir=project, policy_pack=PACK)
    seen: list[tuple[str, str]] = []
    alone = fleet.run_fleet(["one", "two"], settings, jobs=1)
    apart = fleet.run_fleet(["one", "two"], settings, jobs=2,
                            on_event=lambda stack, stage: seen.append((stack, stage)))
    assert [r.stack for r in apart] == ["one", "two"]
    assert all(r.pid == os.getpid() for r in alone)
    assert all(r.pid != os.getpid() for r in apart)  # each stack ran in a worker process
    for a, b in zip(alone, apart, strict=True):
        # Registration order may differ between runs (the SDK registers asynchronously).
        assert sorted(a.plan["resources"], key=str) == sorted(b.plan["resources"], key=str)
        assert a.plan["policy"]["diagnostics"] == b.plan["policy"]["diagnostics"]
        assert a.exit_code == b.exit_code
        # Each worker accounts for its own stack's work (the bench sums it: the fork server's
        # workers are not this process's children).
        assert a.cpu_seconds > 0 and b.cpu_seconds > 0
    # The workers' stages reached this process: program, schema, policy, then done.
    for stack in ("one", "two"):
        stages = [stage for s, stage in seen if s == stack]
        assert stages[0] == f"program {stack}" and stages[-1] == fleet.DONE
        assert "schema" in stages and f"policy {stack}" in stages


def test_a_relative_project_dir_runs(tmp_path, monkeypatch):
    """The program runs in its own directory: a relative --project-dir still finds it."""
    (tmp_path / "project").mkdir()
    _project(tmp_path / "project", {"blue": {}})
    monkeypatch.chdir(tmp_path)
    result = _preview(Path("project"), "--stack", "blue", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policy"]["resourcesChecked"] == 4


def test_a_stack_given_twice_is_refused(tmp_path):
    result = _preview(_project(tmp_path, {"a": {}}), "--stack", "a", "--stack", "a")
    assert result.exit_code == 2 and "--stack a: given more than once" in result.output


def test_fleet_names_every_environment_by_its_cloud_stack():
    assert preview_cli.fleet_stacks(PROJECT_ROOT) == ["dev", "prod"]


def test_progress_is_drawn_only_for_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress.wanted(quiet=False, stdout=Tty())
    assert not progress.wanted(quiet=True, stdout=Tty())
    assert not progress.wanted(quiet=False, stdout=io.StringIO())


def test_progress_shows_each_stack_stage():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, color_system=None)
    with progress.StageProgress(["dev", "prod"], enabled=True, console=console) as shown:
        shown.event("dev", "program dev-cluster")
        shown.event("prod", "policy prod")
        shown._progress.refresh()
        drawn = screen.getvalue()
        shown.event("dev", fleet.DONE)
    assert "dev" in drawn and "program dev-cluster" in drawn and "policy prod" in drawn


def test_progress_off_draws_nothing():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with progress.StageProgress(["dev"], enabled=False, console=console) as shown:
        shown.event("dev", "schema")
    assert screen.getvalue() == ""


def test_the_fleet_bench_prints_both_times_side_by_side(tmp_path, monkeypatch):
    """The bench's structure at a tiny size, on the fixture program (its timings are never
    asserted)."""
    project = _project(tmp_path, {"fleet-1": {}, "fleet-2": {}})

    @contextmanager
    def tiny_fleet(clusters: int, stacks: int):
        assert (clusters, stacks) == (2, 2)
        yield project, ["fleet-1", "fleet-2"]

    monkeypatch.setattr(preview_cli, "bench_fleet_project", tiny_fleet)
    result = CliRunner().invoke(app, ["bench", "preview", "--fleet", "--clusters", "2",
                                      "--stacks", "2", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert re.search(r"2 clusters in 2 stacks: 1 process [0-9.]+ s, 2 processes [0-9.]+ s: "
                     r"parallel / single [0-9.]+ \(speed-up [0-9.]+x\); CPU [0-9.]+ s / [0-9.]+ s",
                     flat), flat
    assert "ztc bench preview --fleet" in flat
    assert "The same plans and verdicts either way: yes" in flat
