"""The gcp fakes answer like the Google APIs, deterministically."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from zero_trust_clusters.engine.fakes import gcp


def test_cluster_ca_is_a_deterministic_parseable_ca() -> None:
    first = gcp.cluster_ca_certificate("acme-zt-dev", "europe-west1", "dev-gcp")
    gcp.cluster_ca_certificate.cache_clear()
    assert gcp.cluster_ca_certificate("acme-zt-dev", "europe-west1", "dev-gcp") == first
    certificate = x509.load_pem_x509_certificate(base64.b64decode(first))
    assert certificate.issuer == certificate.subject
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    other = gcp.cluster_ca_certificate("acme-zt-dev", "europe-west1", "other")
    assert other != first


def test_kms_key_version_invoke_returns_a_real_public_key() -> None:
    crypto_key = "projects/p/locations/global/keyRings/r/cryptoKeys/k"
    answer = gcp.call(
        "gcp:kms/getKMSCryptoKeyVersion:getKMSCryptoKeyVersion", {"cryptoKey": crypto_key}
    )
    assert answer["name"] == f"{crypto_key}/cryptoKeyVersions/1"
    assert answer["id"] == f"//cloudkms.googleapis.com/v1/{crypto_key}/cryptoKeyVersions/1"
    serialization.load_pem_public_key(answer["publicKeys"][0]["pem"].encode())


def test_project_invokes_and_unknown_invoke() -> None:
    project = gcp.call("gcp:organizations/getProject:getProject", {"projectId": "acme-zt-dev"})
    assert project["number"].isdigit() and len(project["number"]) == 12
    storage = gcp.call(
        "gcp:storage/getProjectServiceAccount:getProjectServiceAccount", {"project": "acme-zt-dev"}
    )
    assert storage["emailAddress"] == (
        f"service-{project['number']}@gs-project-accounts.iam.gserviceaccount.com"
    )
    client = gcp.call("gcp:organizations/getClientConfig:getClientConfig", {})
    assert client["accessToken"] == ""
    assert gcp.call("gcp:compute/getZones:getZones", {}) is None


def test_resource_ids_and_outputs_follow_api_formats() -> None:
    sa = gcp.outputs("gcp:serviceaccount/account:Account", "x", {"accountId": "n", "project": "p"})
    assert sa["email"] == "n@p.iam.gserviceaccount.com"
    key = gcp.resource_id(
        "gcp:kms/cryptoKey:CryptoKey",
        "k",
        {"name": "k", "keyRing": "projects/p/locations/l/keyRings/r"},
    )
    assert key == "projects/p/locations/l/keyRings/r/cryptoKeys/k"
    cluster = gcp.outputs(
        "gcp:container/cluster:Cluster",
        "c",
        {
            "name": "c",
            "project": "p",
            "location": "europe-west1",
            "privateClusterConfig": {
                "enablePrivateEndpoint": True,
                "masterIpv4CidrBlock": "10.30.128.0/28",
            },
        },
    )
    assert cluster["endpoint"] == "10.30.128.2"
    assert cluster["selfLink"] == (
        "https://container.googleapis.com/v1/projects/p/locations/europe-west1/clusters/c"
    )
