"""Helm releases: the chart version is published in its repository's index, and the values
validate against the chart's `values.schema.json` where the chart has one.

Indexes are vendored under data/helm/ (one file per repository URL), chart files under
data/charts/<chart>/<version>/ (values.yaml and values.schema.json, or a NO-VALUES-SCHEMA note
for a chart that ships none); data/SOURCES.md says where each came from and when.
Helm validates the chart's defaults coalesced with the release's values, so the check does too
(https://helm.sh/docs/topics/charts/#schema-files).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from zero_trust_clusters.engine.schema.findings import Finding, show
from zero_trust_clusters.engine.schema.plan import PlanResource, join, opaque

DATA = Path(__file__).parent / "data"
INDEX_DIR = DATA / "helm"
CHART_DIR = DATA / "charts"
RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release",)


def handles(resource: PlanResource) -> bool:
    return resource.type in RELEASE_TYPES


def index_file(repo: str) -> Path:
    """https://sigstore.github.io/helm-charts/ -> data/helm/sigstore.github.io_helm-charts.yaml"""
    bare = re.sub(r"^[a-z]+://", "", repo).strip("/")
    return INDEX_DIR / f"{bare.replace('/', '_')}.yaml"


@cache
def published(repo: str) -> tuple[dict[str, list[str]], str] | None:
    """chart -> published versions (newest first) and the index's date, or None if not vendored."""
    path = index_file(repo)
    if not path.is_file():
        return None
    index = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    entries = {
        chart: [str(e["version"]) for e in versions]
        for chart, versions in (index.get("entries") or {}).items()
    }
    kind = "index derived from release tags" if index.get("derivedFrom") else "index"
    return entries, f"{kind} {path.relative_to(DATA).as_posix()} of {index.get('generated')}"


@cache
def chart_files(chart: str, version: str) -> tuple[dict | None, dict | None, str | None]:
    """(values.schema.json, values.yaml, note) vendored for the chart version."""
    directory = CHART_DIR / chart / version
    schema_path, values_path = directory / "values.schema.json", directory / "values.yaml"
    note = directory / "NO-VALUES-SCHEMA"
    schema = json.loads(schema_path.read_text()) if schema_path.is_file() else None
    defaults = (
        yaml.load(values_path.read_text(), Loader=yaml.CSafeLoader) if values_path.is_file() else None
    )
    return schema, defaults, note.read_text().strip() if note.is_file() else None


def is_published(repo: str, chart: str, version: str) -> bool | None:
    """Whether the index vendored for `repo` lists the chart version (None: no index)."""
    index = published(repo)
    return None if index is None else version in index[0].get(chart, [])


def coalesce(defaults: Any, values: Any) -> Any:
    """Helm's merge of user values over chart defaults (a null value deletes the key)."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return copy.deepcopy(values)
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = coalesce(merged.get(key), value)
    return merged


@cache
def _validator(chart: str, version: str) -> jsonschema.Validator | None:
    schema, _, _ = chart_files(chart, version)
    if schema is None:
        return None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def check(resource: PlanResource) -> Iterator[Finding]:
    inputs = resource.inputs
    chart, version = inputs.get("chart"), inputs.get("version")
    repo = (inputs.get("repositoryOpts") or {}).get("repo")
    if not all(isinstance(v, str) and not opaque(v) for v in (chart, version, repo)):
        return  # a chart from a local path or OCI, or unknown at preview: nothing to look up
    chart = chart.rsplit("/", 1)[-1]
    index = published(repo)
    if index is None:
        yield Finding(resource.urn, "repositoryOpts.repo", repo,
                      f"a repository whose index is vendored ({INDEX_DIR.name}/: "
                      f"{', '.join(sorted(p.stem for p in INDEX_DIR.glob('*.yaml')))})",
                      "zero_trust_clusters/engine/schema/data/helm", "helm")
        return
    entries, index_source = index
    if chart not in entries:
        yield Finding(resource.urn, "chart", chart,
                      f"a chart published in {repo} ({', '.join(sorted(entries))})",
                      index_source, "helm")
        return
    if version not in entries[chart]:
        yield Finding(resource.urn, "version", version,
                      f"a version of {chart} published in {repo} (newest: "
                      f"{', '.join(entries[chart][:5])})", index_source, "helm")
        return
    yield from _check_values(resource, chart, version)


def _check_values(resource: PlanResource, chart: str, version: str) -> Iterator[Finding]:
    schema, defaults, note = chart_files(chart, version)
    if schema is None:
        if note is None:
            yield Finding(resource.urn, "values", f"{chart} {version}",
                          "values.schema.json (or a NO-VALUES-SCHEMA note) vendored under "
                          f"zero_trust_clusters/engine/schema/data/charts/{chart}/{version}",
                          "zero_trust_clusters/engine/schema/data/charts", "helm")
        return
    values = resource.inputs.get("values") or {}
    if opaque(values):
        return
    merged = coalesce(defaults or {}, values)
    source = f"values.schema.json of {chart} {version}"
    for error in _validator(chart, version).iter_errors(merged):
        if opaque(error.instance):
            continue
        path = "values"
        for part in error.absolute_path:
            path = join(path, part)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                yield Finding(resource.urn, join(path, key), show(error.instance[key]),
                              f"a value the chart defines (one of: {', '.join(allowed)})",
                              source, "helm")
        else:
            yield Finding(resource.urn, path, show(error.instance), error.message, source, "helm")
