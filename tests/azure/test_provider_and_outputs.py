"""Explicit provider on every child, the kubeconfig (secret, kubelogin exec), and controls."""

from __future__ import annotations

import base64

import yaml
from cryptography import x509

from zero_trust_clusters.components.catalog import CONTROL_IDS
from zero_trust_clusters.engine.mocks import is_secret, unwrap

# Controls the AKS component implements itself; the rest come from the in-cluster baseline,
# the shared PKI and the ledger.
AKS_CONTROLS = set(CONTROL_IDS) - {
    "ZT-POD-SECURITY",
    "ZT-MTLS-SHARED-ROOT",
    "ZT-CHANGE-LEDGER",
}


def test_one_explicit_provider_pinned_to_the_spec(dev):
    providers = dev.of_type("pulumi:providers:azure-native")
    assert len(providers) == 1
    inputs = dev.inputs(providers[0])
    azure = dev.cluster_spec.settings
    assert inputs["subscriptionId"] == azure.subscription_id
    assert inputs["tenantId"] == azure.tenant_id
    assert inputs["location"] == dev.cluster_spec.region == "westeurope"
    assert providers[0].parent == dev.component.urn


def test_every_child_is_parented_and_goes_through_the_provider(dev):
    provider = dev.one("pulumi:providers:azure-native")
    children = [r for r in dev.graph.resources if r.type.startswith("azure-native:")]
    assert len(children) >= 35
    for resource in children:
        assert resource.parent == dev.component.urn, resource.name
        assert resource.provider.startswith(provider.urn + "::"), resource.name


def test_ids_are_arm_ids_in_the_spec_subscription(dev):
    prefix = f"/subscriptions/{dev.cluster_spec.settings.subscription_id}/resourceGroups/rg-dev-azure"
    for resource in dev.graph.resources:
        if resource.type.startswith("azure-native:"):
            assert resource.id.startswith(prefix), (resource.name, resource.id)


def test_kubeconfig_is_a_secret_exec_kubeconfig_without_static_credentials(dev):
    assert is_secret(dev.outputs["kubeconfig"])
    document = yaml.safe_load(unwrap(dev.outputs["kubeconfig"]))
    (user,) = document["users"]
    assert set(user["user"]) == {"exec"}  # no token, client cert, password or auth-provider
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "kubelogin"
    args = exec_["args"]
    assert args[0] == "get-token"
    assert args[args.index("--server-id") + 1] == "6dae42f8-4368-4678-94ff-3960e28e3630"
    assert args[args.index("--tenant-id") + 1] == dev.cluster_spec.settings.tenant_id
    (cluster,) = document["clusters"]
    fqdn = dev.cluster.outputs["privateFQDN"]
    assert ".privatelink.westeurope.azmk8s.io" in fqdn
    assert cluster["cluster"]["server"] == f"https://{fqdn}:443" == dev.outputs["endpoint"]
    assert cluster["cluster"]["certificate-authority-data"] == dev.outputs["certificateAuthority"]


def test_certificate_authority_is_a_real_ca_certificate(dev):
    pem = base64.b64decode(dev.outputs["certificateAuthority"])
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_controls_cover_every_cluster_side_control(dev):
    controls = unwrap(dev.outputs["controls"])
    assert set(controls) == AKS_CONTROLS
    names = {r.name for r in dev.graph.resources}
    for control, resources in controls.items():
        assert resources and set(resources) <= names, control
    assert controls["ZT-SANDBOX"] == ["dev-azure-sandbox"]
    assert "dev-azure-aks" in controls["ZT-API-PRIVATE"]
