"""The pack's own catalog (it cannot import components) stays equal to the project's."""

from ztc_policy import catalog
from ztc_policy.pack import MULTI_CONTROL_POLICIES, all_policies
from ztc_policy.stack.evidence import EVIDENCE

from components.catalog import SANDBOX_RUNTIME_CLASS, ControlId


def test_control_ids_match_components_catalog():
    assert list(catalog.CONTROL_IDS) == [c.value for c in ControlId]
    assert catalog.SANDBOX_RUNTIME_CLASS == SANDBOX_RUNTIME_CLASS


def test_every_control_has_title_principle_and_a_note_per_cloud():
    for control in catalog.CONTROLS:
        assert control.title and control.principle
        assert set(control.notes) == set(catalog.CLOUDS)


def test_every_control_has_evidence_on_every_cloud():
    for cloud in catalog.CLOUDS:
        assert set(EVIDENCE[cloud]) == set(catalog.CONTROL_IDS)
        assert all(EVIDENCE[cloud][c] for c in catalog.CONTROL_IDS)


def test_every_policy_names_its_control_or_reports_per_control():
    for policy in all_policies():
        names_control = any(c in policy.name or c in policy.description
                            for c in catalog.CONTROL_IDS)
        assert names_control or policy.name in MULTI_CONTROL_POLICIES, policy.name
