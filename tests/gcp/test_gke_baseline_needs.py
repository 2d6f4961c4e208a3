"""What the in-cluster baseline needs from the GKE cloud phase: webhook ports through the
firewall and its images admitted by Binary Authorization, both from the charts' declarations."""

from __future__ import annotations

import pytest

from zero_trust_clusters.components.gcp.binauthz import admission_patterns
from zero_trust_clusters.components.gcp.network import control_plane_ports
from zero_trust_clusters.components.kubernetes.charts import (
    chart_releases,
    image_references,
    webhook_ports,
)
from zero_trust_clusters.components.spec import load_spec
from zero_trust_clusters.engine.stackfile import load_stack_config


def _posture(mesh: bool):
    config, _ = load_stack_config("dev")
    return load_spec(config).posture.model_copy(update={"mesh": mesh})


@pytest.mark.parametrize(
    ("mesh", "ports"),
    [(False, ["443", "8443", "10250"]), (True, ["443", "8443", "10250", "15017"])],
)
def test_firewall_opens_exactly_the_charts_webhook_ports(mesh, ports) -> None:
    releases = chart_releases("gcp", _posture(mesh), "td")
    assert control_plane_ports(webhook_ports(releases)) == ports


def test_mesh_images_are_admitted_too() -> None:
    patterns = [
        p.name_pattern
        for p in admission_patterns(image_references(chart_releases("gcp", _posture(True), "td")))
    ]
    assert {"gcr.io/istio-release/pilot:1.30.3-distroless",
            "gcr.io/istio-release/install-cni:1.30.3-distroless",
            "gcr.io/istio-release/proxyv2:1.30.3-distroless"} <= set(patterns)


def test_a_wildcard_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="exact references"):
        admission_patterns(("quay.io/jetstack/*",))
