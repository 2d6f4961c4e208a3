"""Control-plane audit logs to Log Analytics and to a locked, immutable blob store."""

from __future__ import annotations

from pulumi_azure_native import storage

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


def test_storage_account_has_a_locked_time_based_immutability_policy(dev):
    account = dev.inputs(dev.one("azure-native:storage:StorageAccount"))
    worm = account["immutableStorageWithVersioning"]
    assert worm["enabled"] is True
    policy = worm["immutabilityPolicy"]
    assert policy["state"] == storage.AccountImmutabilityPolicyState.LOCKED.value
    assert policy["immutabilityPeriodSinceCreationInDays"] == dev.spec.posture.audit_retention_days
    # Azure Monitor appends to blobs; protected append writes allow only that.
    assert policy["allowProtectedAppendWrites"] is True


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
