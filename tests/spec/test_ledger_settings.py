"""posture.ledger: the store's cloud and that cloud's keys, each error naming its key."""

from __future__ import annotations

import copy

import pytest

from zero_trust_clusters.components.spec import SpecError, load_spec
from zero_trust_clusters.engine.stackfile import load_stack_config

NS = "zero-trust-clusters"
AZURE = {"cloud": "azure", "storageAccount": "acmeztcledger", "container": "ledger",
         "subscriptionId": "00000000-0000-0000-0000-000000000001",
         "tenantId": "00000000-0000-0000-0000-000000000002", "location": "westeurope"}
GCP = {"cloud": "gcp", "bucketName": "acme-ztc-ledger", "project": "acme-ledger",
       "location": "EU"}


def spec_with(ledger: dict):
    config = copy.deepcopy(load_stack_config("dev")[0])
    config[f"{NS}:posture"]["ledger"] = ledger
    return load_spec(config)


def problems(ledger: dict) -> list[str]:
    with pytest.raises(SpecError) as refused:
        spec_with(ledger)
    return refused.value.problems


def test_the_s3_form_is_unchanged():
    ledger = spec_with({"bucketName": "acme-x", "region": "eu-west-1"}).posture.ledger
    assert ledger.store_cloud() == "aws" and ledger.store_url() == "s3://acme-x"


def test_azure_and_gcp_stores():
    azure = spec_with(AZURE).posture.ledger
    assert azure.store_url() == "https://acmeztcledger.blob.core.windows.net/ledger"
    assert spec_with(GCP).posture.ledger.store_url() == "gs://acme-ztc-ledger"
    assert spec_with({}).posture.ledger.store_cloud() is None


@pytest.mark.parametrize("ledger, expected", [
    ({"bucketName": "acme-x"},
     f"{NS}:posture.ledger.region: is required for a ledger store on aws; add it"),
    ({**AZURE, "container": None},
     f"{NS}:posture.ledger.container: is required for a ledger store on azure; add it"),
    ({**GCP, "region": "eu-west-1"},
     (f"{NS}:posture.ledger.region: is not used by a ledger store on gcp (it takes bucketName, "
     "project, location); remove it")),
    ({**AZURE, "bucketName": "acme-x"},
     f"{NS}:posture.ledger.bucketName: is not used by a ledger store on azure"),
    ({"project": "acme-ledger"},
     f"{NS}:posture.ledger.project: set only with a ledger store; add cloud"),
    ({**AZURE, "storageAccount": "Acme-Ledger"},
     f"{NS}:posture.ledger.storageAccount: 'Acme-Ledger' is not a storage account name"),
    ({"cloud": "oracle"}, f"{NS}:posture.ledger.cloud: 'oracle' is not allowed"),
])
def test_each_error_names_its_key(ledger, expected):
    ledger = {k: v for k, v in ledger.items() if v is not None}
    found = problems(ledger)
    assert any(p.startswith(expected) for p in found), found
    assert all("\n" not in p for p in found)
