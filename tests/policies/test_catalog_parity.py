"""The pack's own catalog (it cannot import components) stays equal to the project's."""

from ztc_policy import catalog, clouds
from ztc_policy.pack import MULTI_CONTROL_POLICIES, all_policies
from ztc_policy.stack.evidence import requirements

from components.catalog import CONTROL_IDS, SANDBOX_RUNTIME_CLASS


def test_control_ids_match_components_catalog():
    assert list(catalog.CONTROL_IDS) == list(CONTROL_IDS)
    assert catalog.SANDBOX_RUNTIME_CLASS == SANDBOX_RUNTIME_CLASS


def test_every_control_has_title_principle_and_a_note_per_cloud():
    for control in catalog.CONTROLS:
        assert control.title and control.principle
        assert set(control.notes) == set(catalog.CLOUDS)


def test_every_control_has_evidence_on_every_cloud():
    """Each cloud's registry entry (rules/<cloud>.py CLOUD) plus the common in-cluster evidence
    covers every control, and names nothing but catalog controls."""
    assert [e.name for e in clouds.entries()] == list(catalog.CLOUDS)
    for entry in clouds.entries():
        assert set(entry.evidence) <= set(catalog.CONTROL_IDS), entry.name
        for control in catalog.CONTROL_IDS:
            assert requirements(entry.name, control), (entry.name, control)


def test_every_policy_names_its_control_or_reports_per_control():
    for policy in all_policies():
        names_control = any(c in policy.name or c in policy.description
                            for c in catalog.CONTROL_IDS)
        assert names_control or policy.name in MULTI_CONTROL_POLICIES, policy.name


def test_pack_imports_nothing_from_the_project():
    """The CLI runs the pack in its own virtualenv: only pulumi_policy and the stdlib."""
    import subprocess
    import sys
    from pathlib import Path

    pack_dir = Path(__file__).resolve().parents[2] / "policies"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import ztc_policy.pack; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'components', 'scripts', 'tests'}))")
    out = subprocess.run([sys.executable, "-c", code, str(pack_dir)], capture_output=True,
                         text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"
    requirements = (pack_dir / "requirements.txt").read_text()
    assert "pulumi-policy==1.21.0" in requirements


def test_every_rule_type_keeps_its_properties_in_stack_rules():
    from ztc_policy import types
    from ztc_policy.rules import RULES

    assert all(types.props_needed(ty) for r in RULES for ty in r.types)
