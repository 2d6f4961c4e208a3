"""Fake kubernetes provider answers for the offline engine (see fakes/__init__.py for the contract).

What the API server and Helm would hand back: metadata.uid / resourceVersion /
creationTimestamp / generation on every object, the namespaced id `<ns>/<name>`, and a
deployed Helm release status.
"""

from __future__ import annotations

import uuid
from typing import Any

from zero_trust_clusters.engine.fakes.ids import stable_digits, stable_hex

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
# A fixed instant: outputs must not change between runs.
CREATION_TIMESTAMP = "2026-01-01T00:00:00Z"
# App versions of the charts the baseline pins (what `helm status` reports).
_APP_VERSIONS = {
    ("cert-manager", "v1.19.1"): "v1.19.1",
    ("policy-controller", "0.10.6"): "0.13.1",  # sigstore helm-charts index.yaml
}


def _metadata(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("name", name)
    metadata["uid"] = str(uuid.UUID(stable_hex(type_, name, length=32)))
    metadata["resourceVersion"] = stable_digits(type_, name, "rv", length=6)
    metadata["creationTimestamp"] = CREATION_TIMESTAMP
    metadata["generation"] = 1
    return metadata


def _release_status(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    chart = str(inputs.get("chart", ""))
    version = str(inputs.get("version", ""))
    return {
        "name": inputs.get("name", name),
        "namespace": inputs.get("namespace", "default"),
        "chart": chart,
        "version": version,
        "appVersion": _APP_VERSIONS.get((chart, version), version),
        "revision": 1,
        "status": "deployed",
    }


def outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if type_ == RELEASE_TYPE:
        return {"status": _release_status(name, inputs)}
    if type_.startswith("kubernetes:"):
        return {"metadata": _metadata(type_, name, inputs)}
    return {}


def resource_id(type_: str, name: str, inputs: dict[str, Any]) -> str | None:
    if type_ == RELEASE_TYPE:
        return f"{inputs.get('namespace', 'default')}/{inputs.get('name', name)}"
    metadata = inputs.get("metadata") or {}
    if not isinstance(metadata, dict) or "name" not in metadata:
        return None
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def call(token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    return None
