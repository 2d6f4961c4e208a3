"""The offline engine captures the full graph the way the real engine would see it."""

from pathlib import Path

import pytest

from zero_trust_clusters.engine.mocks import is_secret, unwrap
from zero_trust_clusters.engine.preview import Capture, mask, plan_document
from zero_trust_clusters.engine.runner import ProgramError, run_program

FIXTURE = Path(__file__).with_name("fixture_program.py")


def _run(config=None, preview=False):
    import runpy

    return run_program(
        lambda: runpy.run_path(str(FIXTURE), run_name="__main__"),
        config=config or {},
        stack="fixture",
        preview=preview,
    )


@pytest.fixture(scope="module")
def graph():
    return _run()


def test_graph_has_types_names_urns_parents(graph):
    by_name = {r.name: r for r in graph.resources}
    assert set(by_name) == {"store", "store-aws", "store-token", "store-key", "store-bucket"}
    component = by_name["store"]
    assert component.type == "fixture:index:Storage" and not component.custom
    assert component.urn == "urn:pulumi:fixture::zero-trust-clusters::fixture:index:Storage::store"
    for child in ("store-aws", "store-token", "store-key", "store-bucket"):
        assert by_name[child].parent == component.urn
    assert by_name["store-bucket"].urn.endswith("fixture:index:Storage$aws:s3/bucket:Bucket::store-bucket")


def test_provider_references_and_dependencies(graph):
    by_name = {r.name: r for r in graph.resources}
    provider = by_name["store-aws"]
    bucket, key = by_name["store-bucket"], by_name["store-key"]
    assert bucket.provider.startswith(provider.urn + "::") and key.provider == bucket.provider
    assert key.urn in bucket.dependencies
    assert by_name["store-token"].urn in key.property_dependencies["description"]


def test_dynamic_resource_create_runs_for_real(graph):
    token = next(r for r in graph.resources if r.name == "store-token")
    assert token.type == "pulumi-python:dynamic:Resource"
    assert token.id == "token-8" and token.outputs["token"] == "tttttttt"
    key = next(r for r in graph.resources if r.name == "store-key")
    assert key.inputs["description"] == "tttttttt"


def test_secrets_stay_wrapped_and_are_masked(graph):
    bucket = next(r for r in graph.resources if r.name == "store-bucket")
    # A secret inside a map makes the whole map secret on the wire, as in the SDK.
    assert is_secret(bucket.inputs["tags"])
    assert unwrap(bucket.inputs["tags"])["password"] == "hunter2"
    document = plan_document(Capture("fixture", None, graph), None)  # type: ignore[arg-type]
    text = str(document)
    assert "hunter2" not in text and "tttttttt" not in str(document["exports"])
    assert mask(bucket.inputs)["tags"] == "[secret]"


def test_config_reaches_the_program():
    graph = _run({"fixture:forceDestroy": "true"})
    bucket = next(r for r in graph.resources if r.name == "store-bucket")
    assert bucket.inputs["forceDestroy"] is True


def test_preview_mode_leaves_computed_outputs_unknown():
    graph = _run(preview=True)
    key = next(r for r in graph.resources if r.name == "store-key")
    assert mask(key.inputs)["description"] == "[unknown]"
    token = next(r for r in graph.resources if r.name == "store-token")
    assert "token" not in token.outputs  # a preview never runs a dynamic provider's create


def test_program_failure_carries_what_was_registered():
    with pytest.raises(ProgramError, match="failed on purpose") as caught:
        _run({"fixture:fail": "true"})
    assert caught.value.graph.resources == []


def test_runs_are_independent(graph):
    again = _run()
    assert sorted(r.urn for r in again.resources) == sorted(r.urn for r in graph.resources)
