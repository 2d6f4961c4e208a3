"""Each cluster's audit source reaches a locked sink through every link, each retention at
least the posture's, over the pack's real gRPC (ZT-AUDIT-IMMUTABLE-chain): removing or
redirecting one link, shortening one retention (in the provider's own unit) or unlocking the
store is a violation naming the cluster."""

from __future__ import annotations

import copy

import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import build

CHAIN = "ZT-AUDIT-IMMUTABLE-chain"
PENDING = "ZT-AUDIT-IMMUTABLE-lock-pending"


def _chain(pack, estate, config=None) -> list[str]:
    return [d.message for d in run(pack, estate.resources, config).mandatory
            if d.policy_name == CHAIN]


def _without(estate, name: str):
    estate.resources = [r for r in estate.resources if r.name != name]
    return estate


def _set(estate, name: str, path: str, value):
    r = estate.named(name)
    r.inputs = copy.deepcopy(r.inputs)
    node = r.inputs
    *keys, last = path.split(".")
    for k in keys:
        node = node.setdefault(k, {})
    node[last] = value
    return estate


def test_the_complete_chains_pass(pack):
    result = run(pack, build().resources)
    assert CHAIN in result.policies and PENDING in result.policies
    assert [d for d in result.diagnostics if d.policy_name in (CHAIN, PENDING)] == []


@pytest.mark.parametrize("cluster,change", [
    # EKS: every link of log types -> log group -> subscription -> Firehose -> locked bucket.
    ("hand-aws", lambda e: _set(e, "hand-aws", "enabledClusterLogTypes", ["api"])),
    ("hand-aws", lambda e: _without(e, "hand-aws-audit-sub")),
    ("hand-aws", lambda e: _set(e, "hand-aws-audit-sub", "logGroup", "/aws/eks/other/cluster")),
    ("hand-aws", lambda e: _set(e, "hand-aws-audit-sub", "filterPattern", "{ $.verb = \"get\" }")),
    ("hand-aws", lambda e: _without(e, "hand-aws-audit-stream")),
    ("hand-aws", lambda e: _set(e, "hand-aws-audit-sub", "destinationArn",
                                "arn:aws:lambda:eu-west-1:1:function:drop")),
    ("hand-aws", lambda e: _set(e, "hand-aws-audit-stream", "extendedS3Configuration.bucketArn",
                                "arn:aws:s3:::someone-elses-bucket")),
    ("hand-aws", lambda e: _without(e, "hand-aws-audit-lock")),
    ("hand-aws", lambda e: _set(e, "hand-aws-audit", "objectLockEnabled", "false")),
    # AKS: diagnostic setting (kube-audit) -> storage account with a Locked policy.
    ("hand-azure", lambda e: _without(e, "hand-azure-audit-setting")),
    ("hand-azure", lambda e: _set(e, "hand-azure-audit-setting", "logs",
                                  [{"category": "guard", "enabled": True}])),
    ("hand-azure", lambda e: _set(e, "hand-azure-audit-setting", "storageAccountId",
                                  "/subscriptions/s/resourceGroups/rg/providers/"
                                  "Microsoft.Storage/storageAccounts/elsewhere")),
    ("hand-azure", lambda e: _set(e, "hand-azure-audit-setting", "resourceUri",
                                  "/subscriptions/s/resourceGroups/rg/providers/"
                                  "Microsoft.ContainerService/managedClusters/another")),
    ("hand-azure", lambda e: _set(e, "hand-azure-audit-account",
                                  "immutableStorageWithVersioning.immutabilityPolicy.state",
                                  "Disabled")),
    # GKE: sink -> locked bucket.
    ("hand-gcp", lambda e: _without(e, "hand-gcp-audit-sink")),
    ("hand-gcp", lambda e: _set(e, "hand-gcp-audit-sink", "filter",
                                'logName:"cloudaudit.googleapis.com" AND '
                                'resource.labels.cluster_name="hand-aws"')),
    ("hand-gcp", lambda e: _set(e, "hand-gcp-audit-sink", "destination",
                                "storage.googleapis.com/unlocked-bucket")),
    ("hand-gcp", lambda e: _set(e, "hand-gcp-audit", "retentionPolicy.isLocked", "false")),
    ("hand-gcp", lambda e: _set(e, "hand-gcp-audit-sink", "exclusions",
                                [{"name": "drop", "filter": "protoPayload.methodName:get"}])),
])
def test_removing_or_redirecting_one_link_breaks_the_chain(pack, cluster, change):
    messages = _chain(pack, change(build()))
    assert any(f"(cluster {cluster}) audit chain broken" in m for m in messages), messages
    assert all(f"(cluster {cluster})" in m for m in messages)


@pytest.mark.parametrize("name,path,value,unit", [
    ("hand-aws-audit-lock", "rule.defaultRetention", {"mode": "COMPLIANCE", "days": 30}, "days"),
    ("hand-aws-audit-lock", "rule.defaultRetention", {"mode": "GOVERNANCE", "days": 90}, "mode"),
    ("hand-aws-audit-lock", "rule.defaultRetention", {"mode": "compliance", "days": 90}, "mode"),
    ("hand-aws-logs", "retentionInDays", 30, "days"),
    ("hand-azure-audit-account", ("immutableStorageWithVersioning.immutabilityPolicy."
                                  "immutabilityPeriodSinceCreationInDays"), 7, "days"),
    # GCS counts seconds: 89 days is 7689600 s.
    ("hand-gcp-audit", "retentionPolicy.retentionPeriod", "7689600", "seconds"),
])
def test_a_retention_below_the_posture_or_a_weak_mode_is_a_violation(pack, name, path, value,
                                                                    unit):
    cluster = name.split("-audit")[0].split("-logs")[0]
    messages = _chain(pack, _set(build(), name, path, value))
    assert any(f"(cluster {cluster})" in m for m in messages), (unit, messages)


def test_units_are_converted_years_and_seconds_and_never_expire(pack):
    """1 year >= 90 days; 0 days on a log group means never expire; 7776000 s = 90 days."""
    e = _set(build(), "hand-aws-audit-lock", "rule.defaultRetention",
             {"mode": "COMPLIANCE", "years": 1})
    e = _set(e, "hand-aws-logs", "retentionInDays", 0)
    assert _chain(pack, e) == []
    # A posture of 400 days: one year (365) is short; so are the 90-day GCS and Azure stores.
    messages = _chain(pack, e, {CHAIN: {"minRetentionDays": 400}})
    assert any("(cluster hand-aws)" in m and "365 days" in m for m in messages), messages
    assert any("(cluster hand-gcp)" in m and "90 days" in m for m in messages), messages
    assert any("(cluster hand-azure)" in m for m in messages), messages


def test_locked_states_are_read_as_the_provider_coerces_them(pack):
    """"true" is GCS's true; Azure states in any case; Unlocked is advisory until locked."""
    e = _set(build(), "hand-gcp-audit", "retentionPolicy.isLocked", "true")
    e = _set(e, "hand-azure-audit-account",
             "immutableStorageWithVersioning.immutabilityPolicy.state", "locked")
    assert _chain(pack, e) == []
    e = _set(build(), "hand-azure-audit-account",
             "immutableStorageWithVersioning.immutabilityPolicy.state", "Unlocked")
    result = run(pack, e.resources)
    assert [d for d in result.mandatory if d.policy_name == CHAIN] == []
    pending = [d for d in result.diagnostics if d.policy_name == PENDING]
    assert [d.enforcement_level for d in pending] == ["advisory"]
    assert "(cluster hand-azure)" in pending[0].message


@pytest.mark.parametrize("value", ["ninety", True, {"days": 90}])
def test_a_retention_of_the_wrong_type_fails_closed_naming_the_field(pack, value):
    messages = _chain(pack, _set(build(), "hand-aws-logs", "retentionInDays", value))
    assert any("retentionInDays" in m and "not a number of days" in m for m in messages)


def test_unknown_link_is_followed_through_its_property_dependency(pack):
    """At a first preview the stream's ARN is unknown: the dependency on it is the link."""
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    e = _set(build(), "hand-aws-audit-sub", "destinationArn", unknown)
    stream = e.named("hand-aws-audit-stream").urn
    e.named("hand-aws-audit-sub").property_dependencies = {"destinationArn": [stream]}
    assert _chain(pack, e) == []
    e.named("hand-aws-audit-sub").property_dependencies = {}
    assert any("(cluster hand-aws)" in m for m in _chain(pack, e))


# --- the change ledger's WORM store: the same coercions and units ------------------------------
LEDGER = "ZT-CHANGE-LEDGER-worm"


def _ledger(pack, estate) -> list[str]:
    return [d.message for d in run(pack, estate.resources).mandatory if d.policy_name == LEDGER]


def test_ledger_lock_read_as_the_provider_coerces_it_and_years_count_as_days(pack):
    """pulumi-aws takes objectLockEnabled "true" as true; 7 years cover 2555 days."""
    e = _set(build(), "ledger-bucket", "objectLockEnabled", "true")
    e = _set(e, "ledger-object-lock", "rule.defaultRetention", {"mode": "COMPLIANCE", "years": 7})
    assert _ledger(pack, e) == []
    e = _set(e, "ledger-object-lock", "rule.defaultRetention", {"mode": "COMPLIANCE", "years": 6})
    assert any("2190 days, shorter than the posture's 2555" in m for m in _ledger(pack, e))
    e = _set(e, "ledger-object-lock", "rule.defaultRetention",
             {"mode": "COMPLIANCE", "days": 2555, "years": 7})
    assert any("both days and years" in m for m in _ledger(pack, e))


def test_an_organization_sink_counts_only_with_include_children(pack):
    e = build()
    sink = e.named("hand-gcp-audit-sink")
    sink.type = "gcp:logging/organizationSink:OrganizationSink"
    sink.urn = sink.urn.replace("gcp:logging/projectSink:ProjectSink",
                                "gcp:logging/organizationSink:OrganizationSink")
    assert any("(cluster hand-gcp)" in m and "includeChildren" in m for m in _chain(pack, e))
    _set(e, "hand-gcp-audit-sink", "includeChildren", True)
    assert _chain(pack, e) == []


# --- an Unlocked Azure policy locked by a lock resource of the stack (same deployment) -----------
LOCK_KIND = "azure-native:account-immutability-lock"  # ztc_policy/types.py
ACCOUNTS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _unlocked_with_lock(account_id: str, *, kind: str = LOCK_KIND, days=90,
                        dep_on: str | None = None):
    e = _set(build(), "hand-azure-audit-account",
             "immutableStorageWithVersioning.immutabilityPolicy.state", "Unlocked")
    deps = {"accountId": [e.named(dep_on).urn]} if dep_on else None
    e.add("pulumi-python:dynamic:Resource", "hand-azure-audit-lock", {
        "ztcKind": kind, "accountId": account_id,
        "immutabilityPeriodSinceCreationInDays": days, "allowProtectedAppendWrites": True},
        prop_deps=deps)
    return e


def _chain_and_pending(pack, estate) -> tuple[list[str], list[str]]:
    result = run(pack, estate.resources)
    return ([d.message for d in result.mandatory if d.policy_name == CHAIN],
            [d.message for d in result.diagnostics if d.policy_name == PENDING])


def test_the_components_lock_kind_is_the_packs():
    from ztc_policy import types as t

    from zero_trust_clusters.components.azure.immutability_lock import KIND
    assert KIND == LOCK_KIND == t.AZURE_IMMUTABILITY_LOCK_KIND


@pytest.mark.parametrize("estate", [
    lambda: _unlocked_with_lock(f"{ACCOUNTS}/handazureaudit"),
    lambda: _unlocked_with_lock(f"{ACCOUNTS}/HandAzureAudit/"),  # ARM ids: any case
    # A first preview: the account's id is unknown, the property dependency is the link.
    lambda: _unlocked_with_lock(UNKNOWN, dep_on="hand-azure-audit-account"),
], ids=["by-id", "by-id-any-case", "by-dependency"])
def test_an_unlocked_account_with_its_lock_resource_counts_as_locked(pack, estate):
    assert _chain_and_pending(pack, estate()) == ([], [])


@pytest.mark.parametrize("estate", [
    lambda: _set(build(), "hand-azure-audit-account",
                 "immutableStorageWithVersioning.immutabilityPolicy.state", "Unlocked"),
    lambda: _unlocked_with_lock(f"{ACCOUNTS}/elsewhere"),
    lambda: _unlocked_with_lock(UNKNOWN, dep_on="hand-azure-audit-setting"),
    lambda: _unlocked_with_lock(f"{ACCOUNTS}/handazureaudit", kind="pki-root"),
], ids=["no-lock", "lock-on-another-account", "dependency-on-another-resource", "other-kind"])
def test_without_a_lock_resource_on_that_account_the_lock_is_pending(pack, estate):
    chain, pending = _chain_and_pending(pack, estate())
    assert chain == []
    assert len(pending) == 1 and "(cluster hand-azure)" in pending[0]
    assert "no lock resource of this stack locks it" in pending[0]


def test_a_lock_shorter_than_the_posture_breaks_the_chain(pack):
    chain, pending = _chain_and_pending(pack, _unlocked_with_lock(f"{ACCOUNTS}/handazureaudit",
                                                                  days=30))
    assert pending == []
    assert any("(cluster hand-azure)" in m and "immutability lock hand-azure-audit-lock period "
               "is 30 days" in m for m in chain), chain
