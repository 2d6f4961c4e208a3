"""Control-plane audit logs to Log Analytics and to a locked, immutable blob store."""

from __future__ import annotations

import pytest
from pulumi_azure_native import storage

from zero_trust_clusters.components.azure.immutability_lock import KIND
from zero_trust_clusters.engine.fakes import azure as fake
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import ProgramError

from .support import run_aks

CATEGORIES = {"kube-audit", "kube-audit-admin", "guard"}


def test_diagnostic_setting_sends_every_audit_category_to_both_sinks(dev):
    setting = dev.one("azure-native:monitor:DiagnosticSetting")
    inputs = dev.inputs(setting)
    assert inputs["resourceUri"] == dev.cluster.id
    assert {log["category"] for log in inputs["logs"] if log["enabled"]} == CATEGORIES
    assert inputs["storageAccountId"] == dev.one("azure-native:storage:StorageAccount").id
    assert inputs["workspaceId"] == dev.one("azure-native:operationalinsights:Workspace").id
    # Only after the WORM containers exist, so the first log line already lands in them.
    for container in dev.of_type("azure-native:storage:BlobContainer"):
        assert container.urn in setting.dependencies


def _policy(run) -> dict:
    account = run.inputs(run.one("azure-native:storage:StorageAccount"))
    assert account["immutableStorageWithVersioning"]["enabled"] is True
    return account["immutableStorageWithVersioning"]["immutabilityPolicy"]


def test_first_deployment_creates_the_time_based_policy_unlocked(dev):
    """ARM creates account-level immutability policies Disabled or Unlocked only."""
    policy = _policy(dev)
    assert policy["state"] == storage.AccountImmutabilityPolicyState.UNLOCKED.value
    assert policy["immutabilityPeriodSinceCreationInDays"] == dev.spec.posture.audit_retention_days
    # Azure Monitor appends to blobs; protected append writes allow only that.
    assert policy["allowProtectedAppendWrites"] is True


def test_the_same_deployment_locks_the_policy(dev):
    """A lock resource, after the account and naming it by its id, locks what it declares."""
    account = dev.one("azure-native:storage:StorageAccount")
    [lock] = [r for r in dev.of_type("pulumi-python:dynamic:Resource")
              if dev.inputs(r).get("ztcKind") == KIND]
    inputs = dev.inputs(lock)
    assert inputs["accountId"] == account.id
    assert account.urn in lock.dependencies
    assert lock.parent == dev.component.urn
    policy = _policy(dev)
    assert inputs["immutabilityPeriodSinceCreationInDays"] == \
        policy["immutabilityPeriodSinceCreationInDays"]
    assert inputs["allowProtectedAppendWrites"] is True
    assert "ZT-AUDIT-IMMUTABLE" in [c for c, names in unwrap(dev.outputs["controls"]).items()
                                    if lock.name in names]
    # The lock cannot read the explicit provider's arguments: it is handed the cluster's tenant.
    assert inputs["armSettings"]["tenantId"] == dev.cluster_spec.settings.tenant_id
    # The offline engine answers like the real provider: sign-in settings are no output.
    assert unwrap(lock.outputs)["state"] == "Locked" and "armSettings" not in lock.outputs


def _existing_account(worm_enabled: bool, state: str = "Unlocked"):
    def call(token, args):
        if token == "azure-native:storage:getStorageAccount":
            return {"name": args["accountName"], "immutableStorageWithVersioning": {
                "enabled": worm_enabled,
                "immutabilityPolicy": {"state": state,
                                       "immutabilityPeriodSinceCreationInDays": 90}}}
        return original(token, args)

    original = fake.call
    return call


@pytest.mark.parametrize("found", ["Locked", "Unlocked", "Disabled"])
def test_a_later_deployment_declares_the_state_the_account_has(monkeypatch, found):
    """Locked once locked, so an update of any other property never asks ARM to unlock it;
    Unlocked otherwise (ARM allows it from Disabled too), and the lock resource locks it."""
    monkeypatch.setattr(fake, "call", _existing_account(worm_enabled=True, state=found))
    policy = _policy(run_aks())
    expected = "Locked" if found == "Locked" else "Unlocked"
    assert policy["state"] == storage.AccountImmutabilityPolicyState(expected).value


def test_an_existing_account_without_worm_is_refused(monkeypatch):
    monkeypatch.setattr(fake, "call", _existing_account(worm_enabled=False))
    with pytest.raises(ProgramError, match="without version-level immutability"):
        run_aks()


def test_storage_account_is_closed(dev):
    account = dev.inputs(dev.one("azure-native:storage:StorageAccount"))
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["minimumTlsVersion"] == storage.MinimumTlsVersion.TLS1_2.value
    assert account["networkRuleSet"]["defaultAction"] == storage.DefaultAction.DENY.value
    assert account["encryption"]["requireInfrastructureEncryption"] is True


def test_audit_containers_are_version_level_worm(dev):
    containers = [dev.inputs(c) for c in dev.of_type("azure-native:storage:BlobContainer")]
    assert {c["containerName"] for c in containers} == {f"insights-logs-{c}" for c in CATEGORIES}
    for container in containers:
        assert container["immutableStorageWithVersioning"]["enabled"] is True
        assert container["publicAccess"] == storage.PublicAccess.NONE.value
    blob_service = dev.inputs(dev.one("azure-native:storage:BlobServiceProperties"))
    assert blob_service["isVersioningEnabled"] is True


def test_log_analytics_keeps_the_audit_trail_with_entra_only_access(dev):
    workspace = dev.inputs(dev.one("azure-native:operationalinsights:Workspace"))
    assert workspace["retentionInDays"] == max(30, dev.spec.posture.audit_retention_days)
    assert workspace["features"]["disableLocalAuth"] is True
