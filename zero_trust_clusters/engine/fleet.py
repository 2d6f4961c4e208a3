"""One environment's whole offline preview as one picklable result, and a fleet of them in
parallel processes.

`run_stack` is what `ztc preview --stack X` does (program under mocks, schema stage, pack over
gRPC, plan, matrix); `run_fleet` runs it for several stacks, in a `ProcessPoolExecutor` when
more than one job is asked for. Every failure a user can cause comes back as the result's
`error` (one line, the same as the single-stack command prints), never as an exception, so
one bad stack does not hide the others' results.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import multiprocessing
import os
import queue
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zero_trust_clusters import report
from zero_trust_clusters.cli.errors import one_line
from zero_trust_clusters.components.spec import SpecError
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine import schema
from zero_trust_clusters.engine.analyzer import AnalysisResult, PolicyPackError
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, StackFileError

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
# Called with (stack, stage) as each stage of each stack starts; "done" when a stack ends.
EventCallback = Callable[[str, str], None]
DONE = "done"


@dataclass(frozen=True)
class PreviewOptions:
    project_dir: Path = PROJECT_ROOT
    preview_mode: bool = False
    policy_pack: Path = engine.POLICY_PACK_DIR
    policy_pack_config: dict[str, Any] | None = None
    schema_check: bool = True
    plan: bool = True  # the plan document and ledger entries (`ztc report` needs neither)


@dataclass
class StackRun:
    """One environment's preview: what ran, what it found, or the one line it failed with."""

    stack: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this stack's work: its process and the pack's, no start-up
    pid: int = field(default_factory=os.getpid)  # the process that ran it
    error: str | None = None  # nothing was planned or checked (exit 2)
    problems: list[str] = field(default_factory=list)  # the config problems behind `error`
    capture: engine.Capture | None = None
    analysis: AnalysisResult | None = None
    checked: schema.SchemaReport | None = None  # None: --no-schema-check
    plan: dict[str, Any] = field(default_factory=dict)
    matrix: report.Matrix | None = None

    @property
    def blind_spots(self) -> list[str]:
        """Why the result cannot be called clean although the pack found nothing: resources
        the engine cannot see (multi-language components) or no resource checked at all."""
        if self.capture is None or self.analysis is None:
            return []
        out = [
            f"{r.type} {r.name!r} is a multi-language component: its provider plugin creates "
            "its children, which the offline engine cannot run; check this stack with "
            "`pulumi preview --policy-pack`"
            for r in self.capture.remote_components
        ]
        if self.analysis.resources_checked == 0:
            out.append(f"stack {self.stack}: no resource reached the policy pack (0 checked); "
                       "nothing was proven")
        return out

    @property
    def exit_code(self) -> int:
        if self.error is not None or self.blind_spots:
            return EXIT_ERROR
        if self.checked is not None and self.checked.findings:
            return EXIT_ERROR
        if self.analysis is not None and self.analysis.mandatory:
            return EXIT_VIOLATIONS
        return EXIT_CLEAN


def run_stack(stack: str, options: PreviewOptions,
              on_stage: engine.StageCallback = engine._no_stage) -> StackRun:
    """Plan `stack`'s environment offline, check it against the providers' schemas and with the
    policy pack over gRPC, and build its matrix."""
    started, cpu = time.perf_counter(), _cpu()
    result = StackRun(stack)
    _run_into(result, options, on_stage)
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = _cpu() - cpu
    return result


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the policy pack's process)."""
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run_into(result: StackRun, options: PreviewOptions,
              on_stage: engine.StageCallback) -> None:
    stack = result.stack
    try:
        capture = engine.capture_stack(stack, preview=options.preview_mode,
                                       root=options.project_dir, on_stage=on_stage)
    except SpecError as error:
        result.problems = [one_line(p) for p in error.problems]
        result.error = (f"{error.problems[0]}; nothing was planned" if len(error.problems) == 1
                        else f"invalid stack config ({len(error.problems)} problem(s)); "
                             "nothing was planned")
        return
    except StackFileError as error:
        result.error = str(error)
        return
    except Exception as error:  # noqa: BLE001 - any program failure is exit 2 with its reason
        result.error = f"the program failed: {one_line(error) or type(error).__name__}"
        return
    result.capture = capture
    if options.schema_check:
        on_stage("schema")
        result.checked = schema.check_graph(capture.graph)
    try:
        analysis = engine.check_policies(capture, options.policy_pack,
                                         options.policy_pack_config, on_stage=on_stage)
    except PolicyPackError as error:
        result.error = f"policy pack: {one_line(error)}"
        return
    result.analysis = analysis
    if options.plan:
        result.plan = engine.plan_document(
            capture, analysis, engine.ledger_entries(capture, options.project_dir))
        result.plan["schema"] = None if result.checked is None else result.checked.to_json()
    result.matrix = report.build_matrix(capture.graph.resources, analysis.diagnostics,
                                        capture.stack, levels=analysis.policies,
                                        settings=analysis.settings)


def _worker(stack: str, options: PreviewOptions, events: Any) -> StackRun:
    """A pool process's job: one stack, its stages reported through `events` (a queue)."""
    def on_stage(stage: str) -> None:
        if events is not None:
            events.put((stack, stage))

    return run_stack(stack, options, on_stage)


def default_jobs() -> int:
    return os.cpu_count() or 1


def run_fleet(stacks: Sequence[str], options: PreviewOptions, jobs: int | None = None,
              on_event: EventCallback | None = None) -> list[StackRun]:
    """`run_stack` for every stack, in the order given. With more than one job and stack, each
    stack runs in a process of its own (at most `jobs` at once, default the CPU count): the
    program under mocks is CPU-bound Python, which threads would serialize on the GIL."""
    jobs = min(jobs or default_jobs(), len(stacks))
    notify = on_event or (lambda _stack, _stage: None)
    if jobs <= 1:
        runs = []
        for stack in stacks:
            runs.append(run_stack(stack, options, lambda stage, s=stack: notify(s, stage)))
            notify(stack, DONE)
        return runs
    # forkserver, not fork: the parent may hold threads (gRPC channels of an earlier preview,
    # the progress display's refresher) that a forked child would inherit mid-lock; the fork
    # server is a fresh process with no such threads, which imports the engine and the
    # components once (`_PRELOAD`) and forks every worker from there, so the workers do not each
    # pay those imports (https://docs.python.org/3/library/multiprocessing.html
    # #contexts-and-start-methods, `set_forkserver_preload`).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload())
    with context.Manager() as manager, concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, mp_context=context
    ) as pool:
        events = manager.Queue() if on_event is not None else None
        futures = {pool.submit(_worker, stack, options, events): stack for stack in stacks}
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(
                pending, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED)
            _drain(events, notify)
            for future in done:
                notify(futures[future], DONE)
        by_stack = {futures[f]: f.result() for f in futures}
    return [by_stack[stack] for stack in stacks]


def _preload() -> list[str]:
    """What every worker imports anyway: the engine, the baseline and each installed cloud's
    component (its SDK modules with it); a cloud whose SDK is not installed is left out."""
    from zero_trust_clusters.components import clouds

    modules = ["zero_trust_clusters.engine.preview", "zero_trust_clusters.engine.schema",
               "zero_trust_clusters.components.kubernetes.component"]
    for entry in clouds.entries():
        sdk = "pulumi_" + entry.provider_package.replace("-", "_")
        if importlib.util.find_spec(sdk) is not None:
            modules.append(entry.component.partition(":")[0])
    return modules


def _drain(events: Any, notify: EventCallback) -> None:
    while events is not None:
        try:
            stack, stage = events.get_nowait()
        except queue.Empty:
            return
        notify(stack, stage)
