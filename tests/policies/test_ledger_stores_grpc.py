"""ZT-CHANGE-LEDGER-worm over the pack's real gRPC, for the ledger store of each cloud as the
components register it: WORM only when locked, for at least the posture's retention."""

from __future__ import annotations

import pulumi
import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import PROJECT, STACK, build

from zero_trust_clusters.components.ledger.provisioning import ledger_store
from zero_trust_clusters.components.spec import LedgerSettings
from zero_trust_clusters.engine.fakes import azure as azure_fake
from zero_trust_clusters.engine.mocks import CapturedResource
from zero_trust_clusters.engine.runner import run_program

POLICY = "ZT-CHANGE-LEDGER-worm"
SETTINGS = {
    "aws": {"bucketName": "acme-ztc-ledger", "region": "eu-west-1", "retentionDays": 400},
    "azure": {"cloud": "azure", "storageAccount": "acmeztcledger", "container": "ledger",
              "subscriptionId": "00000000-0000-0000-0000-000000000001",
              "tenantId": "00000000-0000-0000-0000-000000000002", "location": "westeurope",
              "retentionDays": 400},
    "gcp": {"cloud": "gcp", "bucketName": "acme-ztc-ledger", "project": "acme-ledger",
            "location": "EU", "retentionDays": 400},
}
# The S3 ledger of the hand-built estate, replaced by each cloud's store here.
HAND_LEDGER = ("ledger", "ledger-bucket", "ledger-object-lock")


@pytest.fixture
def later_azure_run(monkeypatch):
    """The account exists (any run after the first): the policy is asked to be Locked."""
    original = azure_fake.call

    def call(token, args):
        if token == "azure-native:storage:getStorageAccount":
            return {"name": args["accountName"], "immutableStorageWithVersioning": {
                "enabled": True, "immutabilityPolicy": {"state": "Unlocked"}}}
        return original(token, args)

    monkeypatch.setattr(azure_fake, "call", call)


def store_resources(cloud: str) -> list[CapturedResource]:
    settings = LedgerSettings.model_validate(SETTINGS[cloud])
    graph = run_program(lambda: ledger_store(
        "dev", settings, pulumi.ComponentResource("test:index:Parent", "parent")),
        stack=STACK, project=PROJECT)
    return graph.resources


def estate_with(resources: list[CapturedResource]) -> list[CapturedResource]:
    hand = [r for r in build().resources if r.name not in HAND_LEDGER]
    return hand + resources


def named(resources, type_: str) -> CapturedResource:
    [found] = [r for r in resources if r.type == type_]
    return found


def worm_messages(pack, resources) -> list[str]:
    return [d.message for d in run(pack, resources).mandatory if d.policy_name == POLICY]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_a_locked_store_passes(pack, cloud):
    assert worm_messages(pack, estate_with(store_resources(cloud))) == []


def test_a_locked_azure_store_passes(pack, later_azure_run):
    assert worm_messages(pack, estate_with(store_resources("azure"))) == []


def _azure_lock(resources) -> CapturedResource:
    [lock] = [r for r in resources if r.type == "pulumi-python:dynamic:Resource"
              and r.inputs.get("ztcKind") == "azure-native:account-immutability-lock"]
    return lock


def test_the_first_azure_deployment_is_worm_through_its_lock_resource(pack):
    """ARM creates the policy Unlocked; the store's lock resource locks it in the same run."""
    assert worm_messages(pack, estate_with(store_resources("azure"))) == []


def test_an_unlocked_azure_policy_without_its_lock_is_not_worm(pack):
    resources = store_resources("azure")
    lock = _azure_lock(resources)
    messages = worm_messages(pack, estate_with([r for r in resources if r is not lock]))
    assert len(messages) == 1 and "immutability policy is Unlocked, not Locked" in messages[0]
    # ...nor with a lock of another account.
    lock.inputs["accountId"] = lock.inputs["accountId"].replace("acmeztcledger", "other")
    lock.property_dependencies = {}
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "immutability policy is Unlocked, not Locked" in messages[0]


def test_an_azure_lock_shorter_than_the_posture_is_not_enough(pack):
    resources = store_resources("azure")
    _azure_lock(resources).inputs["immutabilityPeriodSinceCreationInDays"] = 30
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "period is 30 days, shorter than the posture's 400" \
        in messages[0]


def test_an_azure_policy_shorter_than_the_posture_is_not_enough(pack, later_azure_run):
    resources = store_resources("azure")
    account = named(resources, "azure-native:storage:StorageAccount")
    account.inputs["immutableStorageWithVersioning"]["immutabilityPolicy"][
        "immutabilityPeriodSinceCreationInDays"] = 30
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "immutability period is 30 days, shorter than the " \
        "posture's 400" in messages[0]


def test_an_azure_account_without_version_level_immutability_is_not_worm(pack, later_azure_run):
    resources = store_resources("azure")
    named(resources, "azure-native:storage:StorageAccount").inputs[
        "immutableStorageWithVersioning"]["enabled"] = False
    messages = worm_messages(pack, estate_with(resources))
    assert any("without version-level immutability" in m for m in messages)


def test_an_unlocked_gcs_retention_policy_is_not_worm(pack):
    resources = store_resources("gcp")
    named(resources, "gcp:storage/bucket:Bucket").inputs["retentionPolicy"]["isLocked"] = False
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "retention policy is not locked" in messages[0]


def test_a_gcs_retention_shorter_than_the_posture_is_not_enough(pack):
    resources = store_resources("gcp")
    named(resources, "gcp:storage/bucket:Bucket").inputs["retentionPolicy"][
        "retentionPeriod"] = str(30 * 86400)
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "retention period is 30 days, shorter" in messages[0]


def test_s3_without_object_lock_or_compliance_or_long_enough_retention_fails(pack):
    resources = store_resources("aws")
    lock = named(resources,
                 "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    lock.inputs["rule"]["defaultRetention"]["days"] = 30
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "Object Lock default retention is 30 days" in messages[0]
    lock.inputs["rule"]["defaultRetention"] = {"mode": "GOVERNANCE", "days": 400}
    named(resources, "aws:s3/bucket:Bucket").inputs["objectLockEnabled"] = False
    messages = worm_messages(pack, estate_with(resources))
    assert any("bucket without Object Lock" in m for m in messages)
    assert any("not locked in COMPLIANCE mode" in m for m in messages)


def test_a_store_that_declares_no_retention_is_not_checked_blindly(pack):
    resources = store_resources("gcp")
    named(resources, "ztc:ledger:LedgerGcsBucket").inputs.pop("retentionDays")
    messages = worm_messages(pack, estate_with(resources))
    assert len(messages) == 1 and "declares no retentionDays" in messages[0]
