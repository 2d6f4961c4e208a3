"""Chart pins: published versions, values keys the pinned charts read, webhook ports and images
declared in one place, and the RuntimeClass overhead per sandbox handler."""

from __future__ import annotations

import re

import kubernetes_validate
import pytest

from zero_trust_clusters.components.kubernetes import default_sandbox_placement
from zero_trust_clusters.components.kubernetes.charts import (
    CERT_MANAGER,
    ISTIOD_WEBHOOK_PORT,
    POLICY_CONTROLLER,
    ChartImage,
    baseline_webhook_ports,
    chart_releases,
    image_references,
    istio_releases,
    webhook_ports,
)
from zero_trust_clusters.components.kubernetes.runtime import (
    SANDBOX_OVERHEAD,
    runtime_class,
    sandbox_overhead,
)
from zero_trust_clusters.engine.schema.helm import is_published

from .support import stack_spec

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def test_versions_are_published_ones():
    # policy-controller's published index ends at 0.10.6 (0.10.7/0.10.8 were never released).
    assert POLICY_CONTROLLER.version == "0.10.6"
    assert CERT_MANAGER.version == "v1.19.1"
    # Istio 1.30.3, in the vendored index (1.27 and 1.28 are out of support).
    assert {r.version for r in istio_releases("gcp", "td")} == {"1.30.3"}
    for release in istio_releases("gcp", "td"):
        assert is_published(release.repo, release.chart, release.version), release.name


def test_values_use_keys_the_pinned_charts_read():
    # cert-manager v1.19.1: crds.enabled/keep (installCRDs is deprecated), webhook.securePort.
    values = CERT_MANAGER.values
    assert values["crds"] == {"enabled": True, "keep": True}
    assert "installCRDs" not in values
    assert values["webhook"]["securePort"] == 10250
    # policy-controller 0.10.6: top-level installCRDs; configData lands in its ConfigMap.
    pc = POLICY_CONTROLLER.values
    assert pc["installCRDs"] is True
    assert pc["webhook"]["configData"] == {"no-match-policy": "deny"}
    # istiod 1.30: cni at the top level; the release hub, tag and variant, never the dev
    # defaults; the sidecar's seccomp profile (PSA restricted); the estate's trust domains.
    istiod = next(r for r in istio_releases("azure", "a.td", ("b.td",)) if r.name == "istiod")
    assert istiod.values["cni"] == {"enabled": True} and "pilot" not in istiod.values
    assert istiod.values["global"] == {
        "hub": "gcr.io/istio-release", "tag": "1.30.3", "variant": "distroless",
        "proxy": {"seccompProfile": {"type": "RuntimeDefault"}}}
    assert istiod.values["meshConfig"] == {
        "trustDomain": "a.td", "caCertificates": [{"trustDomains": ["a.td", "b.td"]}]}
    assert "trustDomainAliases" not in istiod.values["meshConfig"]
    cni = next(r for r in istio_releases("azure", "td") if r.name == "istio-cni")
    assert cni.values["ambient"] == {"enabled": False}


def test_webhook_ports_come_from_the_releases():
    posture = stack_spec("dev").posture
    assert CERT_MANAGER.webhook_ports == (10250,)
    assert POLICY_CONTROLLER.webhook_ports == (8443,)
    plain = chart_releases("gcp", posture.model_copy(update={"mesh": False}), "td")
    meshed = chart_releases("gcp", posture.model_copy(update={"mesh": True}), "td")
    assert webhook_ports(plain) == (8443, 10250)
    assert webhook_ports(meshed) == (8443, 10250, ISTIOD_WEBHOOK_PORT)


def test_every_image_is_pinned_and_the_values_render_it():
    posture = stack_spec("dev").posture.model_copy(update={"mesh": True})
    releases = chart_releases("gcp", posture, "td")
    for release in releases:
        assert release.images or release.name == "istio-base", release.name
        for image in release.images:
            assert image.source.startswith("https://"), image
            assert image.digest is None or DIGEST.match(image.digest), image
            assert "*" not in image.reference
    # The policy-controller webhook runs by its chart-published digest.
    webhook = POLICY_CONTROLLER.values["webhook"]["image"]
    assert f"{webhook['repository']}@{webhook['version']}" in image_references(releases)
    # cert-manager's four images (controller, webhook, cainjector, startupapicheck hook).
    cm = CERT_MANAGER.values
    rendered = {f"{v['image']['repository']}:{v['image']['tag']}"
                for v in (cm, cm["webhook"], cm["cainjector"], cm["startupapicheck"])}
    assert rendered == {i.reference for i in CERT_MANAGER.images} and len(rendered) == 4
    refs = image_references(releases)
    assert "gcr.io/istio-release/proxyv2:1.30.3-distroless" in refs  # in every meshed pod
    assert refs == tuple(sorted(set(refs)))


def test_istiod_installs_after_the_plugged_in_ca_secret():
    """istiod keeps a self-signed root if it starts before `cacerts` exists."""
    istiod = next(r for r in istio_releases("gcp", "td") if r.name == "istiod")
    assert istiod.requires == ("Secret/istio-system/cacerts",)


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_every_cloud_reads_the_same_webhook_ports(cloud):
    posture = stack_spec("dev").posture
    assert posture.mesh  # on by default
    assert baseline_webhook_ports(cloud, posture) == (8443, 10250, ISTIOD_WEBHOOK_PORT)
    plain = posture.model_copy(update={"mesh": False})
    assert ISTIOD_WEBHOOK_PORT not in baseline_webhook_ports(cloud, plain)


def test_an_image_pins_exactly_one_of_tag_or_digest():
    with pytest.raises(ValueError, match="exactly one"):
        ChartImage("quay.io/x/y")
    with pytest.raises(ValueError, match="exactly one"):
        ChartImage("quay.io/x/y", tag="v1", digest="sha256:" + "0" * 64)


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_runtime_class_declares_the_sandbox_overhead(cloud):
    placement = default_sandbox_placement(cloud)
    runtime = runtime_class(placement)
    overhead = runtime["overhead"]["podFixed"]
    assert overhead == SANDBOX_OVERHEAD[placement.handler]
    assert set(overhead) == {"cpu", "memory"}
    kubernetes_validate.validate(runtime, stack_spec("dev").posture.kubernetes_version, strict=True)


def test_overhead_per_handler_is_the_documented_figure():
    assert sandbox_overhead("kata")["memory"] == "600Mi"  # AKS kata-vm-isolation default
    assert sandbox_overhead("gvisor") == sandbox_overhead("runsc")
    with pytest.raises(ValueError, match="no pod overhead is known for sandbox handler 'kata-qemu'"):
        sandbox_overhead("kata-qemu")
