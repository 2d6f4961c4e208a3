"""Every control has one home (zero_trust_clusters/policies/ztc_policy/catalog.py) and its ID leads, by `grep -r`,
straight to its implementation, its rule and its tests."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

import pulumi
import pytest

from zero_trust_clusters.components.catalog import CONTROL_IDS, UnknownControlError, control_id
from zero_trust_clusters.components.cluster import ClusterArgs, HardenedCluster
from zero_trust_clusters.components.kubernetes.names import meta

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "zero_trust_clusters" / "policies"))
from ztc_policy import catalog  # the pack's package lives under zero_trust_clusters/policies/

HOMES = {ROOT / "zero_trust_clusters" / "components" / "catalog.py", ROOT / "zero_trust_clusters" / "policies" / "ztc_policy" / "catalog.py"}


def _files(tree: str) -> dict[Path, str]:
    return {p: p.read_text() for p in (ROOT / tree).rglob("*.py") if p not in HOMES}


@pytest.fixture(scope="module")
def sources() -> dict[str, dict[Path, str]]:
    return {tree: _files(tree) for tree in (
        "zero_trust_clusters/components", "zero_trust_clusters/policies", "tests")}


@pytest.mark.parametrize("control", CONTROL_IDS)
def test_the_id_leads_to_implementation_rule_and_tests(control, sources):
    """`grep -r <ID>` lands, beyond the two catalogs, in component code (the `implements` /
    `meta` call), in the pack (the `@rule` or stack policy) and in the tests."""
    pattern = re.compile(rf'"{re.escape(control)}"')
    for tree, files in sources.items():
        hits = [p for p, text in files.items() if pattern.search(text)
                and p != Path(__file__).resolve()]
        assert hits, f"{control} is named in no {tree}/ file outside the catalogs"


def test_the_pack_home_holds_exactly_the_projects_controls():
    assert catalog.CONTROL_IDS == CONTROL_IDS


def _aliases(module_source: str, control: str) -> set[str]:
    """Module-level names bound to the ID string (`_C = "ZT-MTLS-SHARED-ROOT"`)."""
    tree = ast.parse(module_source)
    return {t.id for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and node.value.value == control
            for t in node.targets if isinstance(t, ast.Name)}


def _records(module, name: str, control: str) -> bool:
    """The builder's body names the ID (or a module alias of it), itself or in a module-level
    helper it calls (`network_policies` -> `_policy` -> `meta(..., "ZT-...")`)."""
    module_source = inspect.getsource(module)
    words = {f'"{control}"', *_aliases(module_source, control)}
    source = inspect.getsource(getattr(module, name))
    called = {n.func.id for n in ast.walk(ast.parse(textwrap.dedent(source)))
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    bodies = [source] + [inspect.getsource(obj) for c in called
                         if inspect.isfunction(obj := getattr(module, c, None))
                         and obj.__module__ == module.__name__]
    return any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", body)
               for body in bodies for w in words)


def _builders() -> list[tuple[str, str, str]]:
    return [(c.id, where, builder) for c in catalog.CONTROLS
            for where, part in [*c.clouds.items(), ("common", c.common)]
            for builder in part.builders]


@pytest.mark.parametrize(("control", "where", "builder"), _builders())
def test_every_builder_the_home_names_exists_and_records_the_id(control, where, builder):
    module_name, _, name = builder.partition(":")
    assert where == "common" or module_name.startswith(f"zero_trust_clusters.components.{where}."), builder
    module = importlib.import_module(module_name)
    assert callable(getattr(module, name, None)), f"{builder} does not exist"
    assert _records(module, name, control), f"{builder} does not record {control}"


def test_a_builder_that_does_not_record_the_id_is_refused():
    netpol = importlib.import_module("zero_trust_clusters.components.kubernetes.netpol")
    assert _records(netpol, "network_policies", "ZT-NETPOL-DEFAULT-DENY")
    assert not _records(netpol, "network_policies", "ZT-SANDBOX")


def test_every_control_names_a_builder():
    for control in catalog.CONTROLS:
        assert control.common.builders or all(p.builders for p in control.clouds.values()), \
            control.id


def test_an_unknown_control_id_is_refused_where_it_is_recorded():
    with pytest.raises(UnknownControlError, match="ZT-NODE-TRUSTED-BOT"):
        control_id("ZT-NODE-TRUSTED-BOT")
    with pytest.raises(UnknownControlError):
        meta("x", "ZT-POD-SECURTY")  # type: ignore[arg-type]  # the typo a checker catches
    assert meta("x", "ZT-POD-SECURITY")["annotations"] == {"ztc.io/controls": "ZT-POD-SECURITY"}

    class Bare(HardenedCluster):
        def __init__(self):  # the contract's bookkeeping only: no resource is registered
            self._controls = {}

    resource = pulumi.Resource.__new__(pulumi.Resource)
    resource._name = "r"
    with pytest.raises(UnknownControlError):
        Bare().implements(resource, "ZT-NODE-TRUSTED-BOT")  # type: ignore[arg-type]
    assert ClusterArgs  # the contract's arguments stay importable next to it
