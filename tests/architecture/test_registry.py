"""The layout holds: a cloud is one package plus one registry line, no import cycle, and a
one-cloud stack loads one provider SDK."""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pulumi
import pytest
from pydantic import Field

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import HardenedCluster, SandboxPlacement, Toleration
from zero_trust_clusters.components.estate import cluster_component
from zero_trust_clusters.components.kubernetes import default_sandbox_placement, render_baseline
from zero_trust_clusters.components.spec import (
    ClusterSpec,
    SpecError,
    SpecModel,
    cluster_key,
    load_spec,
)
from zero_trust_clusters.engine.runner import run_program
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, load_stack_config, to_pulumi_config

NS = "zero-trust-clusters"
SOURCE_PACKAGES = ("components", "scripts", "zero_trust_clusters/policies/ztc_policy")


# ------------------------------------------------------------------ a fourth cloud, tests only

class TinySettings(SpecModel):
    """The `tiny:` block of a cluster on the test cloud."""

    account: Annotated[str, Field(pattern=r"^acct-[0-9]{4}$")]


class TinyCluster(HardenedCluster):
    """A cluster component of the test cloud: the contract, one child resource."""

    def __init__(self, name: str, args, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ztc:tiny:TinyCluster", name, args, opts)
        self.cloud = "tiny"
        child = pulumi.CustomResource("tiny:index:Cluster", f"{name}-cp",
                                      {"account": args.cluster.settings.account},
                                      opts=pulumi.ResourceOptions(parent=self))
        self.implements(child, *[])
        self.endpoint = pulumi.Output.from_input(f"https://{name}.tiny.test")
        self.certificate_authority = pulumi.Output.from_input("Y2E=")
        self.kubeconfig = pulumi.Output.secret(f"kubeconfig for {name}")
        self.oidc_issuer = pulumi.Output.from_input(f"https://oidc.tiny.test/{name}")
        self.sandbox = TINY.sandbox
        self.register_outputs({"endpoint": self.endpoint})


def _tiny_regions(cluster: ClusterSpec, index: int | None) -> list[str]:
    if cluster.region.startswith("tiny-"):
        return []
    return [(f"{cluster_key(cluster.name, index, 'region')}: {cluster.region!r} is not a tiny "
             "region; use tiny-1")]


TINY = clouds.CloudEntry(
    name="tiny",
    title="TKS",
    provider_package="tiny",
    component_type="ztc:tiny:TinyCluster",
    settings=TinySettings,
    settings_required=True,
    sandbox=SandboxPlacement("kata", {"sandbox.tiny/runtime": "kata"},
                             (Toleration("sandbox.tiny/runtime", "kata"),)),
    group_identity=lambda group: group.kubernetes_group,
    group_identity_key="kubernetesGroup",
    component=f"{__name__}:TinyCluster",
    checks=(_tiny_regions,),
)


@pytest.fixture
def tiny_cloud():
    clouds.register(TINY)
    yield TINY
    clouds.unregister("tiny")


def _tiny_config(**cluster_changes) -> dict:
    config, _ = load_stack_config("dev")
    config = json.loads(json.dumps(config))
    posture = config[f"{NS}:posture"]
    posture.pop("ledger")  # no S3 ledger store: nothing of AWS in this estate
    aws = next(c for c in config[f"{NS}:clusters"] if c["cloud"] == "aws")
    tiny = {k: v for k, v in aws.items() if k != "aws"}
    tiny.update(name="dev-tiny", cloud="tiny", region="tiny-1", tiny={"account": "acct-0001"})
    tiny.update(cluster_changes)
    config[f"{NS}:clusters"] = [tiny]
    return config


def test_a_fourth_cloud_is_one_registry_entry(tiny_cloud):
    spec = load_spec(_tiny_config())
    (cluster,) = spec.clusters
    assert cluster.settings == TinySettings(account="acct-0001")
    assert cluster_component("tiny") is TinyCluster
    assert default_sandbox_placement("tiny") == TINY.sandbox
    objects = render_baseline("tiny", spec.posture, cluster, spec.trust_domain(cluster),
                              default_sandbox_placement("tiny"), "bundle")
    runtime = next(o for o in objects if o["kind"] == "RuntimeClass")
    assert runtime["handler"] == "kata"
    graph = run_program(lambda: runpy.run_path(str(PROJECT_ROOT / "__main__.py"),
                                               run_name="__main__"),
                        config=to_pulumi_config(_tiny_config()))
    assert [r.name for r in graph.of_type("ztc:tiny:TinyCluster")] == ["dev-tiny"]
    assert graph.of_type("tiny:index:Cluster")[0].inputs == {"account": "acct-0001"}


def test_the_fourth_clouds_settings_and_checks_name_the_keys(tiny_cloud):
    with pytest.raises(SpecError) as bad_block:
        load_spec(_tiny_config(tiny={"account": "nope"}))
    assert any(p.startswith(f"{NS}:clusters[0].tiny.account:") for p in bad_block.value.problems)
    with pytest.raises(SpecError) as bad_region:
        load_spec(_tiny_config(region="eu-west-1"))
    assert bad_region.value.problems == [
        f"{NS}:clusters[0].region: 'eu-west-1' is not a tiny region; use tiny-1"]
    with pytest.raises(SpecError, match="needs a `tiny` block with account"):
        config = _tiny_config()
        config[f"{NS}:clusters"][0].pop("tiny")
        load_spec(config)


def test_the_ledger_store_cloud_is_a_registered_cloud_with_a_store(tiny_cloud):
    """posture.ledger.cloud is read against the registry: a registered cloud without a ledger
    store and an unknown cloud are told apart, each naming the clouds that have one."""
    for cloud, expected in (("tiny", "'tiny' has no ledger store; use"),
                            ("oracle", "'oracle' is not allowed: use")):
        config = _tiny_config()
        config[f"{NS}:posture"]["ledger"] = {"cloud": cloud}
        with pytest.raises(SpecError) as caught:
            load_spec(config)
        assert f"{NS}:posture.ledger.cloud: {expected} 'aws', 'azure' or 'gcp'" in \
            caught.value.problems


def test_an_unknown_cloud_is_an_error_not_a_default():
    with pytest.raises(clouds.UnknownCloudError, match="'aws', 'azure' or 'gcp'"):
        cluster_component("tiny")
    config = _tiny_config()
    with pytest.raises(SpecError) as caught:
        load_spec(config)
    assert caught.value.problems[0] == (
        f"{NS}:clusters[0].cloud: 'tiny' is not allowed: use 'aws', 'azure' or 'gcp'")


# ------------------------------------------------------------------------------ import graph

def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    parts = parts[1:] if parts[0] == "policies" else parts  # the pack's package is ztc_policy
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Every project module `module` imports, at import time or later inside a function: a
    deferred import is still a dependency (only `if TYPE_CHECKING:` blocks are left out, and the
    registry's look-ups by name, which are not import statements)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skipped = {id(n) for node in ast.walk(tree)
               if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            # `from pkg import submodule` imports the submodule; `from pkg import name`, pkg.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known}
    return found


def test_no_import_cycle():
    files = {
        _module_name(p): p
        for package in SOURCE_PACKAGES
        for p in (PROJECT_ROOT / package).rglob("*.py")
    }
    known = set(files)
    # Explicit imports only: a submodule's implicit import of its own package is no cycle.
    graph = {m: _imports(p, m, known) - {m} for m, p in files.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):] + [dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


# ---------------------------------------------------------------------- one SDK per cloud

SDKS = {"aws": "pulumi_aws", "azure": "pulumi_azure_native", "gcp": "pulumi_gcp"}
_PROBE = """
import json, runpy, sys
from zero_trust_clusters.engine.runner import run_program
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, to_pulumi_config
from zero_trust_clusters.components.spec import load_spec
config = json.loads(sys.argv[1])
load_spec(config)
validated = sorted(m for m in sys.modules if m in {sdks})
run_program(lambda: runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__"),
            config=to_pulumi_config(config))
built = sorted(m for m in sys.modules if m in {sdks})
print(json.dumps([validated, built]))
"""


@pytest.mark.parametrize("cloud", sorted(SDKS))
def test_a_one_cloud_stack_imports_one_sdk(cloud):
    config, _ = load_stack_config("dev")
    config[f"{NS}:posture"].pop("ledger")  # the S3 ledger store would bring AWS in
    config[f"{NS}:clusters"] = [c for c in config[f"{NS}:clusters"] if c["cloud"] == cloud]
    probe = _PROBE.replace("{sdks}", repr(set(SDKS.values())))
    result = subprocess.run([sys.executable, "-c", probe, json.dumps(config)],
                            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    validated, built = json.loads(result.stdout.strip().splitlines()[-1])
    assert validated == []  # validating a stack loads no provider SDK at all
    assert built == [SDKS[cloud]]
