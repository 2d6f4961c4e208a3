"""`ztc render --stack NAME --out DIR`: every baseline Kubernetes object per cluster, as YAML.

Writes `DIR/<cluster>/NN-<kind>[-<namespace>]-<name>.yaml` (numbered so `kubectl apply -f`
creates namespaces first) and `DIR/<cluster>/helm/releases.yaml` (the pinned charts the
custom resources need). Secret values are masked: keys are issued by `pulumi up`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from zero_trust_clusters.cli import options
from zero_trust_clusters.cli.errors import fail, one_line
from zero_trust_clusters.components.kubernetes import (
    default_sandbox_placement,
    estate_ranges,
    mask_secrets,
    mesh_peers,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.pki.formats import trust_bundle_pem
from zero_trust_clusters.components.spec import (
    CONFIG_NAMESPACE,
    ClusterSpec,
    EstateSpec,
    SpecError,
    load_spec,
)
from zero_trust_clusters.engine.preview import uses_spec
from zero_trust_clusters.engine.stackfile import (
    PROJECT_ROOT,
    StackFileError,
    load_project,
    load_stack_config,
)

EXIT_ERROR = 2
TRUST_BUNDLE_PLACEHOLDER = "<shared root trust bundle: issued by `pulumi up` (or pass --trust-bundle)>"


def _file_name(index: int, obj: dict) -> str:
    metadata = obj["metadata"]
    parts = [f"{index:02d}", obj["kind"].lower()]
    if metadata.get("namespace"):
        parts.append(metadata["namespace"])
    parts.append(metadata["name"])
    return "-".join(parts) + ".yaml"


def _dump(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False)


def _trust_domains(spec: EstateSpec) -> tuple[str, ...]:
    return tuple(spec.trust_domain(c) for c in spec.clusters)


def render_cluster(spec: EstateSpec, cluster: ClusterSpec, trust_bundle_pem: str) -> list[dict]:
    """One cluster's baseline objects, Secrets masked, with its cloud's sandbox placement."""
    objects = render_baseline(
        cluster.cloud, spec.posture, cluster, spec.trust_domain(cluster),
        default_sandbox_placement(cluster.cloud), trust_bundle_pem,
        mesh_trust_domains=_trust_domains(spec), mesh_peers=mesh_peers(spec, cluster),
    )
    return mask_secrets(objects)


class TrustBundleError(ValueError):
    """--trust-bundle is not a PEM file of root certificates only."""


def read_trust_bundle(path: Path) -> str:
    """The roots in `path`, re-encoded: a key or anything but root certificates is refused.

    The bundle lands in a ConfigMap in every workload namespace, readable by every workload;
    re-encoding the parsed certificates means nothing else in the file can travel along.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustBundleError(f"--trust-bundle {path}: cannot be read ({exc.strerror or exc})") \
            from None
    if b"PRIVATE KEY" in data:
        raise TrustBundleError(
            f"--trust-bundle {path}: holds a private key; a trust bundle is root certificates "
            "only (it is published to every workload namespace). Give root-ca.pem, not a key"
        )
    try:
        return trust_bundle_pem(data.decode("ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrustBundleError(
            f"--trust-bundle {path}: not a PEM file of root certificates ({one_line(exc, 160)})"
        ) from None


def stack_spec(stack: str, project_dir: Path, why: str) -> EstateSpec:
    """The validated spec of `stack`; StackFileError (naming `why` the command needs it) for a
    stack that sets none of this project's config."""
    config, _secure = load_stack_config(stack, project_dir)
    project = load_project(project_dir)
    if not uses_spec(project, config):
        raise StackFileError(
            f"{project.stack_file(stack)}: sets no {CONFIG_NAMESPACE}: config (project "
            f"{project.name}); {why}")
    return load_spec(config, project_dir=project_dir)


def render_stack(stack: str, out: Path, trust_bundle: Path | None = None,
                 project_dir: Path = PROJECT_ROOT) -> dict[str, list[Path]]:
    """Render every cluster of `stack` (of the project in `project_dir`) into `out`; returns
    the files written per cluster.

    Raises StackFileError / SpecError for a missing stack, an invalid config, or a stack that
    does not use this project's config (there is no baseline to render)."""
    spec = stack_spec(stack, project_dir, "`ztc render` renders the baseline of the clusters "
                                          "such config declares")
    bundle = read_trust_bundle(trust_bundle) if trust_bundle is not None else TRUST_BUNDLE_PLACEHOLDER
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(20, "is not a directory", str(out))
    written: dict[str, list[Path]] = {}
    for cluster in spec.clusters:
        directory = out / cluster.name
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("[0-9][0-9]-*.yaml"):  # only files an earlier render wrote
            stale.unlink()
        files = []
        for index, obj in enumerate(render_cluster(spec, cluster, bundle)):
            path = directory / _file_name(index, obj)
            path.write_text(_dump(obj))
            files.append(path)
        helm = directory / "helm"
        helm.mkdir(exist_ok=True)
        releases = [
            {"name": r.name, "chart": r.chart, "version": r.version, "repo": r.repo,
             "namespace": r.namespace, "values": r.values, "after": list(r.after)}
            for r in render_charts(cluster.cloud, spec.posture, spec.trust_domain(cluster),
                                   _trust_domains(spec),
                                   estate_ranges(cluster, mesh_peers(spec, cluster)),
                                   cluster=cluster)
        ]
        (helm / "releases.yaml").write_text(_dump({"releases": releases}))
        written[cluster.name] = files
    return written


def render(
    stack: options.Stack,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write <cluster>/*.yaml into")],
    trust_bundle: Annotated[
        Path | None,
        typer.Option(help="PEM trust bundle to embed (e.g. from `ztc pki`); else a placeholder"),
    ] = None,
    project_dir: options.ProjectDir = PROJECT_ROOT,
) -> None:
    """Render the in-cluster baseline of every cluster of a stack as Kubernetes YAML.

    Exit codes: 0 written, 2 invalid stack config (each problem names its config key)."""
    console = Console()
    try:
        written = render_stack(stack, out, trust_bundle, project_dir)
    except SpecError as error:
        if len(error.problems) == 1:  # one problem: one line
            raise fail(f"{error.problems[0]}; nothing was rendered") from None
        for problem in error.problems:
            typer.echo(f"  - {one_line(problem)}", err=True)
        raise fail(f"invalid stack config ({len(error.problems)} problem(s))") from None
    except (StackFileError, TrustBundleError) as error:
        raise fail(str(error)) from None
    except OSError as error:
        where = error.filename or out
        raise fail(f"--out {out}: cannot write {where} ({error.strerror or error})") from None
    table = Table("cluster", "objects", "directory", title=f"ztc render --stack {stack}")
    for cluster, files in written.items():
        table.add_row(cluster, str(len(files)), str(out / cluster))
    console.print(table)


app = typer.Typer(help="Render the in-cluster baseline as Kubernetes YAML.")
app.command("render")(render)
