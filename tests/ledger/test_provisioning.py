"""The ledger's WORM store per cloud, provisioned through one dispatch table, under the mocks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi_azure_native import storage

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.azure.immutability_lock import KIND
from zero_trust_clusters.components.ledger.provisioning import STORE_BUILDERS, ledger_store
from zero_trust_clusters.components.spec import LedgerSettings
from zero_trust_clusters.engine.fakes import azure as azure_fake
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import run_program

ROOT = Path(__file__).resolve().parents[2]
AZURE = {"cloud": "azure", "storageAccount": "acmeztcledger", "container": "ledger",
         "subscriptionId": "00000000-0000-0000-0000-000000000001",
         "tenantId": "00000000-0000-0000-0000-000000000002", "location": "westeurope",
         "retentionDays": 400}
GCP = {"cloud": "gcp", "bucketName": "acme-ztc-ledger", "project": "acme-ledger",
       "location": "eu", "retentionDays": 400}


def provision(settings: dict):
    import pulumi

    def program():
        store = ledger_store("dev", LedgerSettings.model_validate(settings),
                             pulumi.ComponentResource("test:index:Parent", "parent"))
        pulumi.export("location", store.location)

    return run_program(program)


def one(graph, type_: str) -> dict:
    [found] = [unwrap(r.inputs) for r in graph.of_type(type_)]
    return found


def test_every_cloud_has_a_store_builder():
    assert set(STORE_BUILDERS) == set(clouds.BUILTIN)  # a ledger store on every built-in cloud


def test_no_store_without_a_ledger_cloud():
    assert LedgerSettings().store_cloud() is None
    assert LedgerSettings(bucket_name="acme-x", region="eu-west-1").store_cloud() == "aws"


def test_azure_store_is_a_version_level_worm_container():
    graph = provision(AZURE)
    account = one(graph, "azure-native:storage:StorageAccount")
    worm = account["immutableStorageWithVersioning"]
    assert worm["enabled"] is True
    policy = worm["immutabilityPolicy"]
    assert policy["immutabilityPeriodSinceCreationInDays"] == 400
    assert policy["allowProtectedAppendWrites"] is False
    # ARM creates the policy Unlocked; the next `pulumi up` locks it (see the next test).
    assert policy["state"] == storage.AccountImmutabilityPolicyState.UNLOCKED.value
    assert account["allowSharedKeyAccess"] is False and account["allowBlobPublicAccess"] is False
    assert account["accountName"] == "acmeztcledger"
    container = one(graph, "azure-native:storage:BlobContainer")
    assert container["containerName"] == "ledger"
    assert container["immutableStorageWithVersioning"] == {"enabled": True}
    assert container["publicAccess"] == storage.PublicAccess.NONE.value
    assert one(graph, "azure-native:storage:BlobServiceProperties")["isVersioningEnabled"] is True
    [component] = graph.of_type("ztc:ledger:LedgerContainer")
    assert unwrap(component.inputs)["retentionDays"] == 400
    provider = one(graph, "pulumi:providers:azure-native")
    assert provider["subscriptionId"] == AZURE["subscriptionId"]
    assert graph.exports["location"] == "https://acmeztcledger.blob.core.windows.net/ledger/ledger/"


def test_the_azure_store_locks_its_policy_in_the_deployment_that_creates_it():
    """ARM creates the policy Unlocked; the store's lock resource locks it in the same run."""
    graph = provision(AZURE)
    [account] = graph.of_type("azure-native:storage:StorageAccount")
    [lock] = [r for r in graph.of_type("pulumi-python:dynamic:Resource")
              if unwrap(r.inputs).get("ztcKind") == KIND]
    inputs = unwrap(lock.inputs)
    assert inputs["accountId"] == account.id  # by reference to the account's output
    assert inputs["immutabilityPeriodSinceCreationInDays"] == 400
    assert inputs["allowProtectedAppendWrites"] is False
    assert account.urn in lock.dependencies
    [component] = graph.of_type("ztc:ledger:LedgerContainer")
    assert lock.parent == component.urn
    # What the lock reads back (the offline engine answers as ARM would).
    assert unwrap(lock.outputs)["state"] == "Locked"


@pytest.mark.parametrize("found, declared", [("Locked", "Locked"), ("Unlocked", "Unlocked")])
def test_a_later_azure_deployment_declares_the_state_the_account_has(monkeypatch, found,
                                                                       declared):
    """Locked once locked (an update of any other property resends it); still Unlocked if an
    earlier lock failed, and the lock resource locks it in this run."""
    original = azure_fake.call

    def existing(token, args):
        if token == "azure-native:storage:getStorageAccount":
            return {"name": args["accountName"], "immutableStorageWithVersioning": {
                "enabled": True, "immutabilityPolicy": {"state": found}}}
        return original(token, args)

    monkeypatch.setattr(azure_fake, "call", existing)
    account = one(provision(AZURE), "azure-native:storage:StorageAccount")
    policy = account["immutableStorageWithVersioning"]["immutabilityPolicy"]
    assert policy["state"] == declared


def test_an_existing_resource_group_is_used_not_created():
    graph = provision({**AZURE, "resourceGroup": "rg-shared"})
    assert graph.of_type("azure-native:resources:ResourceGroup") == []
    assert one(graph, "azure-native:storage:StorageAccount")["resourceGroupName"] == "rg-shared"


def test_gcs_store_is_a_bucket_with_a_locked_retention_policy():
    graph = provision(GCP)
    bucket = one(graph, "gcp:storage/bucket:Bucket")
    assert bucket["retentionPolicy"] == {"retentionPeriod": str(400 * 86400), "isLocked": True}
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["name"] == "acme-ztc-ledger" and bucket["project"] == "acme-ledger"
    assert bucket["location"] == "EU"
    assert graph.exports["location"] == "gs://acme-ztc-ledger/ledger/"


@pytest.mark.parametrize("settings, unwanted", [(AZURE, "pulumi_aws"), (GCP, "pulumi_aws"),
                                                (GCP, "pulumi_azure_native")])
def test_a_store_loads_only_its_own_cloud_sdk(settings, unwanted):
    code = "\n".join([
        "import json, sys, pulumi",
        "from zero_trust_clusters.components.ledger.provisioning import ledger_store",
        "from zero_trust_clusters.components.spec import LedgerSettings",
        "from zero_trust_clusters.engine.runner import run_program",
        "settings = LedgerSettings.model_validate(json.loads(sys.argv[1]))",
        ("run_program(lambda: ledger_store('dev', settings, "
         "pulumi.ComponentResource('test:index:Parent', 'parent')))"),
        f"assert {unwanted!r} not in sys.modules, '{unwanted} was imported'",
    ])
    result = subprocess.run([sys.executable, "-c", code, json.dumps(settings)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_estate_loads_no_cloud_sdk_before_it_knows_the_clouds():
    """It used to import the S3 ledger bucket (so pulumi-aws) for every estate."""
    code = ("import sys, zero_trust_clusters.components.estate; loaded = [m for m in ('pulumi_aws', "
            "'pulumi_azure_native', 'pulumi_gcp') if m in sys.modules]; assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("settings", [
    {"bucketName": "acme-ztc-ledger", "region": "eu-west-1", "retentionDays": 400},
    AZURE, GCP, {**AZURE, "resourceGroup": "rg-shared"}], ids=["aws", "azure", "gcp", "azure-rg"])
def test_every_store_passes_the_schema_stage(settings):
    """The SDK schemas and documented API rules (`ztc preview`'s schema stage); the dev and
    prod stacks only hold an S3 ledger, so the other clouds' stores are checked here."""
    from zero_trust_clusters.engine.schema import check_graph

    report = check_graph(provision(settings))
    assert report.findings == [] and report.resources_checked > 1
    # The Azure store's immutability lock is a dynamic resource (no provider schema); its ARM
    # request is checked against azure-mgmt-storage in tests/azure/test_immutability_lock.py.
    assert set(report.unchecked_types) <= {"test:index:Parent", "pulumi-python:dynamic:Resource"}, \
        report.unchecked_types
