"""The schema Pulumi's component analyzer infers from the facades (zero_trust_clusters/components/provider): every
component has one, its inputs are the config models field for field (names, descriptions,
required, types), its outputs are declared, and the plugin serves it over gRPC."""

import ast
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import grpc
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pydantic import BaseModel

import zero_trust_clusters.components.provider
from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.provider import PACKAGE_NAME, type_token
from zero_trust_clusters.components.provider.host import COMPONENTS, VERSION
from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, Posture

ROOT = Path(__file__).resolve().parents[2]
FACADES = Path(zero_trust_clusters.components.provider.__file__).parent
PLUGIN = ROOT / "provider"

# Each component's inputs -> the config model each one mirrors.
INPUT_MODELS: dict[str, dict[str, type[BaseModel]]] = {
    "ZeroTrustEstate": {"posture": Posture, "clusters": ClusterSpec},
    "ZeroTrustCluster": {"posture": Posture, "cluster": ClusterSpec},
    "ZeroTrustClusterPhase": {"posture": Posture, "clusters": ClusterSpec},
}
# Inputs that are not config: the cluster phase's reading of the cloud phase.
OTHER_INPUTS: dict[str, dict[str, tuple]] = {
    "ZeroTrustClusterPhase": {"cloudPhase": ("map", ("any",)), "cloudStack": ("scalar", "string")},
}
# What each component must expose: the HardenedCluster contract, per cluster for the estate.
OUTPUTS: dict[str, set[str]] = {
    "ZeroTrustEstate": {"clouds", "regions", "trustDomains", "endpoints", "oidcIssuers",
                        "kubeconfigs", "controls", "postureSummary", "rootCertificatePem",
                        "trustBundlePem", "ledgerStore", "clusterPhase"},
    "ZeroTrustCluster": {"cloud", "region", "trustDomain", "endpoint", "certificateAuthority",
                         "kubeconfig", "oidcIssuer", "sandboxHandler", "controls",
                         "clusterName", "oidcProviderArn", "auditBucket", "auditAlarmTopic",
                         "workloadPool"},
    "ZeroTrustClusterPhase": {"controls"},
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(ComponentProvider(COMPONENTS, PACKAGE_NAME, None, VERSION).schema)


def _resource(schema: dict[str, Any], component: str) -> dict[str, Any]:
    return schema["resources"][type_token(component)]


def test_every_facade_has_a_schema(schema):
    assert set(schema["resources"]) == {type_token(c.__name__) for c in COMPONENTS}
    assert set(INPUT_MODELS) == set(OUTPUTS) == {c.__name__ for c in COMPONENTS}
    for component in INPUT_MODELS:
        resource = _resource(schema, component)
        assert resource["isComponent"] is True
        assert resource["description"].strip()
    assert schema["name"] == PACKAGE_NAME and schema["version"] == VERSION


# --- the config models and the schema, reduced to one comparable shape --------------------

def _model_shape(annotation: Any) -> tuple:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _model_shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return _model_shape(inner)
    if origin is Literal:
        return ("enum", tuple(sorted(get_args(annotation))))
    if origin is list:
        return ("array", _model_shape(get_args(annotation)[0]))
    if origin is dict:
        return ("map", _model_shape(get_args(annotation)[1]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("object", annotation)
    return ("scalar", {str: "string", int: "integer", bool: "boolean"}[annotation])


def _schema_shape(prop: dict[str, Any], schema: dict[str, Any]) -> tuple:
    if prop.get("$ref") == "pulumi.json#/Any":
        return ("any",)
    if "$ref" in prop:
        typ = schema["types"][prop["$ref"].removeprefix("#/types/")]
        if "enum" in typ:
            return ("enum", tuple(sorted(e["value"] for e in typ["enum"])))
        return ("object", typ)
    if prop["type"] == "array":
        return ("array", _schema_shape(prop["items"], schema))
    if prop["type"] == "object":
        return ("map", _schema_shape(prop["additionalProperties"], schema))
    return ("scalar", prop["type"])


def _fields(model: type[BaseModel]) -> dict[str, tuple[Any, bool]]:
    """A model's fields by config key: (annotation, required). A cluster's `settings` is, in
    the stack file, one block per cloud, named after the cloud."""
    fields = {f.alias or name: (f.annotation, f.is_required())
              for name, f in model.model_fields.items()}
    if model is ClusterSpec:
        del fields["settings"]
        for cloud in clouds.BUILTIN:
            settings = clouds.get(cloud).settings
            if settings is not None:
                fields[cloud] = (settings, False)  # required or not per cloud: load_spec checks
    return fields


def _compare_object(model: type[BaseModel], typ: dict[str, Any], schema: dict[str, Any],
                    path: str) -> None:
    fields = _fields(model)
    properties = typ.get("properties", {})
    assert set(properties) == set(fields), path
    required = set(typ.get("required", ()))
    for key, (annotation, is_required) in fields.items():
        where = f"{path}.{key}"
        prop = properties[key]
        assert prop.get("description", "").strip(), f"{where}: no description"
        assert (key in required) == is_required, f"{where}: required should be {is_required}"
        _compare(_model_shape(annotation), _schema_shape(prop, schema), schema, where)


def _compare(expected: tuple, found: tuple, schema: dict[str, Any], path: str) -> None:
    assert expected[0] == found[0], f"{path}: {expected[0]} in the model, {found[0]} in the schema"
    if expected[0] == "object":
        _compare_object(expected[1], found[1], schema, path)
    elif expected[0] in ("array", "map"):
        _compare(expected[1], found[1], schema, f"{path}[]")
    else:
        assert expected == found, path


@pytest.mark.parametrize("component", sorted(INPUT_MODELS))
def test_inputs_are_the_config_models_field_for_field(schema, component):
    """Every field of the config models, with its camelCase key, a description, whether it is
    required, and its type (enums for Literal fields), down to the cloud blocks."""
    resource = _resource(schema, component)
    inputs = resource["inputProperties"]
    others = OTHER_INPUTS.get(component, {})
    assert set(inputs) == set(INPUT_MODELS[component]) | set(others)
    assert set(resource["requiredInputs"]) == set(inputs)
    for key, shape in others.items():
        assert inputs[key].get("description", "").strip(), key
        assert _schema_shape(inputs[key], schema) == shape, key
    for key, model in INPUT_MODELS[component].items():
        assert inputs[key].get("description", "").strip(), key
        found = _schema_shape(inputs[key], schema)
        if found[0] == "array":  # the estate's list of clusters
            assert EstateSpec.model_fields[key].is_required()
            found = found[1]
        _compare(("object", model), found, schema, key)


def test_a_missing_field_fails_the_comparison(schema):
    """The comparison above sees a model field the facade lacks."""
    class Wider(BaseModel):
        trust_domain: str
        not_in_the_facade: int

    posture_type = schema["types"][f"{PACKAGE_NAME}:index:Posture"]
    with pytest.raises(AssertionError):
        _compare_object(Wider, posture_type, schema, "posture")


@pytest.mark.parametrize("component", sorted(OUTPUTS))
def test_outputs_are_declared_with_descriptions(schema, component):
    properties = _resource(schema, component)["properties"]
    assert set(properties) == OUTPUTS[component]
    for key, prop in properties.items():
        assert prop.get("description", "").strip(), key


def test_no_facade_module_postpones_annotations():
    """`from __future__ import annotations` leaves annotations as strings, which the analyzer
    cannot read: no module of the facades may use it."""
    modules = sorted(FACADES.glob("*.py"))
    assert {m.name for m in modules} >= {"config.py", "estate.py", "clusters.py",
                                         "cluster_phase.py"}
    for module in modules:
        tree = ast.parse(module.read_text())
        postponed = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and node.module == "__future__"
                     and any(alias.name == "annotations" for alias in node.names)]
        assert not postponed, module


def test_the_plugin_manifest_runs_python():
    manifest = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert (PLUGIN / "__main__.py").is_file()
    assert "-e .." in (PLUGIN / "requirements.txt").read_text().splitlines()


def test_the_plugin_serves_the_schema_over_grpc(schema):
    """provider/__main__.py started as a plugin: it prints its port and answers GetSchema with
    the schema inferred in-process."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    plugin = subprocess.Popen([sys.executable, "__main__.py", "127.0.0.1:1"], cwd=PLUGIN,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert plugin.stdout is not None
        port = plugin.stdout.readline().decode().strip()
        assert port.isdigit(), plugin.stderr.read().decode() if plugin.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            reply = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        assert json.loads(reply.schema) == schema
    finally:
        plugin.kill()
        plugin.wait(timeout=30)
