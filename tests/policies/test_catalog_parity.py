"""The pack's own catalog (it cannot import zero_trust_clusters.components) stays equal to the project's."""

from ztc_policy import catalog, clouds
from ztc_policy.pack import MULTI_CONTROL_POLICIES, all_policies
from ztc_policy.stack.evidence import requirements

from zero_trust_clusters.components.catalog import CONTROL_IDS, SANDBOX_RUNTIME_CLASS


def test_control_ids_match_components_catalog():
    assert list(catalog.CONTROL_IDS) == list(CONTROL_IDS)
    assert catalog.SANDBOX_RUNTIME_CLASS == SANDBOX_RUNTIME_CLASS


def test_every_control_has_title_principle_and_a_note_per_cloud():
    for control in catalog.CONTROLS:
        assert control.title and control.principle
        assert set(control.notes) == set(catalog.CLOUDS)


def test_every_control_has_evidence_on_every_cloud():
    """Each control's home names, for every built-in cloud, evidence (its own or the common
    in-cluster part) of known resource types, and every named predicate resolves."""
    from ztc_policy import types
    from ztc_policy.stack.evidence import part, predicate

    assert set(catalog.CLOUDS) <= set(clouds.BUILTIN)
    for control in catalog.CONTROLS:
        assert set(control.clouds) == set(catalog.CLOUDS), control.id
        for cloud in clouds.BUILTIN:
            # Exactly one source: the home's record, or (a cloud the home does not list) its entry.
            in_entry = control.id in clouds.find(cloud).controls
            assert (cloud in control.clouds) != in_entry and part(cloud, control.id), (
                cloud, control.id)
            needed = requirements(cloud, control.id)
            assert needed, (cloud, control.id)
            for evidence in needed:
                assert set(evidence.types) <= types.JUDGED_TYPES, (control.id, evidence.label)
                assert evidence.where is None or callable(predicate(evidence.where))
                if evidence.named_by:
                    assert evidence.named_by[0] in types.JUDGED_TYPES, evidence.label
                assert evidence.phase in ("cloud", "cluster")


def test_a_built_in_cloud_keeps_its_evidence_in_the_home_only():
    """One source: a registry entry of a cloud whose parts are in catalog.py may not bring its
    own; a cloud the home does not know brings them through the registry."""
    import dataclasses

    import pytest
    from ztc_policy.catalog import Evidence, Part

    aws = clouds.find("aws")
    with pytest.raises(ValueError, match="controls' home"):
        clouds.register(dataclasses.replace(aws, controls={"ZT-VERSION": Part()}))
    tiny = dataclasses.replace(aws, name="tiny", cluster_type="tiny:index:Cluster", controls={
        "ZT-VERSION": Part("tiny release channel", ("tests.architecture.test_registry:TinyCluster",),
                           (Evidence("tiny cluster", ("tiny:index:Cluster",)),))})
    clouds.register(tiny)
    try:
        assert [e.label for e in requirements("tiny", "ZT-VERSION")] == ["tiny cluster"]
        assert [e.label for e in requirements("tiny", "ZT-SANDBOX")] == [
            f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r}"]  # the common part only
    finally:
        clouds.unregister("tiny")
    assert clouds.find("tiny") is None


def test_every_policy_names_its_control_or_reports_per_control():
    for policy in all_policies():
        names_control = any(c in policy.name or c in policy.description
                            for c in catalog.CONTROL_IDS)
        assert names_control or policy.name in MULTI_CONTROL_POLICIES, policy.name


def test_pack_imports_nothing_from_the_project():
    """The CLI runs the pack in its own virtualenv: only pulumi_policy and the stdlib."""
    import subprocess
    import sys

    from zero_trust_clusters import PACK_DIR as pack_dir
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import ztc_policy.pack; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'zero_trust_clusters', 'components', 'scripts', 'tests'}))")
    out = subprocess.run([sys.executable, "-c", code, str(pack_dir)], capture_output=True,
                         text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"
    requirements = (pack_dir / "requirements.txt").read_text()
    assert "pulumi-policy==1.21.0" in requirements


def test_every_rule_type_keeps_its_properties_in_stack_rules():
    from ztc_policy import types
    from ztc_policy.rules import RULES

    assert all(types.props_needed(ty) for r in RULES for ty in r.types)


def test_every_control_home_names_the_rules_that_check_it():
    """home(id) joins the record to its `@rule` registrations and stack policies: every control
    is judged by something, and the names lead to real functions."""
    from ztc_policy.home import home

    for control in catalog.CONTROLS:
        found = home(control.id)
        assert found.control is control and set(found.parts) == set(clouds.BUILTIN)
        assert found.rules or found.stack_policies, control.id
        for cloud, rules in found.rules.items():
            assert all(r.control == control.id and r.cloud == cloud and callable(r.check)
                       for r in rules)
    assert {"aws", "azure", "gcp"} <= set(home("ZT-NODE-TRUSTED-BOOT").rules)
    assert "ZT-SANDBOX-every-cluster" in home("ZT-SANDBOX").stack_policies
