"""Each cluster's audit source followed link by link to a locked sink (ZT-AUDIT-IMMUTABLE).

A cluster holds the control only if its audit events reach write-once storage through a chain
of resources that name each other, and every retention on the way is at least the posture's
(`ZT-AUDIT-IMMUTABLE.minRetentionDays`):
- EKS: `enabledClusterLogTypes` has `audit` -> the log group EKS writes (`/aws/eks/<name>/cluster`)
  -> a subscription filter on it -> a Firehose delivery stream -> an S3 bucket with Object Lock,
  default retention COMPLIANCE;
- AKS: a diagnostic setting of the cluster sending kube-audit -> a storage account whose
  version-level immutability policy is Locked (and its Log Analytics workspace's retention);
- GKE: a log sink whose filter covers the cluster's audit logs -> a Cloud Storage bucket with a
  locked retention policy, or a locked log bucket.

A link is a property naming the next resource: the same name/ARN/ID string, or (a value still
unknown at preview) a property dependency on it (graph.Node.prop_deps).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import types as t
from ..values import MISSING, as_bool, as_list, is_unknown, lookup
from .graph import Node

SECONDS_PER_DAY = 86400
# Problem kinds: a failed link; a value unknown at preview; an Azure policy Unlocked that no lock
# resource of this stack locks (ARM creates policies Unlocked only).
FAIL, UNKNOWN, PENDING = "fail", "unknown", "pending"


@dataclass(frozen=True)
class Problem:
    kind: str
    text: str


Problems = list[Problem]


def _name(n: Node, key: str = "name") -> str | None:
    value = lookup(n.props, key)
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def points_to(src: Node, field: str, target: Node,
              match: Callable[[str, Node], bool | None]) -> bool:
    """`src.<field>` refers to `target`: a known string `match`es it (None: the target's own
    name is not known, so it cannot be compared), else a property dependency on it."""
    value = lookup(src.props, field)
    if value is MISSING or not (is_unknown(value) or isinstance(value, str)):
        return False  # no reference at all
    if isinstance(value, str) and not is_unknown(value):
        same = match(value, target)
        if same is not None:
            return same
    return target.urn in src.prop_deps.get(field.split(".", 1)[0], [])


CHAIN_SETTING = "policy config ZT-AUDIT-IMMUTABLE-chain.minRetentionDays"


def days_at_least(found: Any, want: int | None, what: str, *, zero_means: str | None = None,
                  default: Any = MISSING, source: str = CHAIN_SETTING) -> Problems:
    """`found` days of `what` against the posture's `want` (numbers travel as doubles; a
    numeric string is read as the provider would read it)."""
    if is_unknown(found):
        return [Problem(UNKNOWN, what)]
    if found is MISSING:
        found = default
    if isinstance(found, str):
        try:
            found = float(found)
        except ValueError:
            return [Problem(FAIL, f"{what} is {found!r}, not a number of days")]
    if not isinstance(found, int | float) or isinstance(found, bool) or math.isnan(found):
        return [Problem(FAIL, f"{what} is {found!r}, not a number of days")]
    if found == 0 and zero_means == "forever":
        return []
    if found < 1 and zero_means is None:
        return [Problem(FAIL, f"{what} is {found!r}, not a positive number of days")]
    if want is not None and found < want:
        return [Problem(FAIL, f"{what} is {found:g} days, shorter than the posture's {want} "
                        f"({source})")]
    return []


def _locked(value: Any, what: str) -> Problems:
    if is_unknown(value):
        return [Problem(UNKNOWN, what)]
    if as_bool(value) is not True:
        return [Problem(FAIL, f"{what} is {'unset' if value is MISSING else repr(value)}, so the "
                        "retention can be shortened or removed and the logs deleted")]
    return []


# --- S3 Object Lock ---------------------------------------------------------------------------
# DefaultRetention: mode GOVERNANCE | COMPLIANCE and exactly one of Days / Years
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html); GOVERNANCE can be
# bypassed with s3:BypassGovernanceRetention. A year is counted as 365 days (a lower bound).
def object_lock_problems(lock: Node, want: int | None,
                         source: str = CHAIN_SETTING) -> Problems:
    rule = "rule.defaultRetention"
    mode = lookup(lock.props, f"{rule}.mode")
    out: Problems = []
    if is_unknown(mode):
        out.append(Problem(UNKNOWN, f"{rule}.mode"))
    elif mode != "COMPLIANCE":
        out.append(Problem(FAIL, f"Object Lock {rule}.mode is "
                           f"{'unset' if mode is MISSING else repr(mode)}, not COMPLIANCE, so "
                           "locked objects can be deleted or rewritten"))
    return out + lock_retention_problems(lock, want, source)


def lock_retention_problems(lock: Node, want: int | None,
                            source: str = CHAIN_SETTING) -> Problems:
    """The default retention's Days, or Years counted as 365 days, against `want`."""
    rule = "rule.defaultRetention"
    days, years = lookup(lock.props, f"{rule}.days"), lookup(lock.props, f"{rule}.years")
    if days is not MISSING and years is not MISSING:
        return [Problem(FAIL, f"Object Lock {rule} sets both days and years (S3 refuses it)")]
    if years is not MISSING and not is_unknown(years):
        try:
            days = float(years) * 365
        except (TypeError, ValueError):
            return [Problem(FAIL, f"Object Lock {rule}.years is {years!r}, not a number")]
    elif years is not MISSING:
        days = years
    if days is MISSING:
        return [Problem(FAIL, f"Object Lock {rule} has no days or years")]
    return days_at_least(days, want, "Object Lock default retention", source=source)


# --- EKS ----------------------------------------------------------------------------------------
def _firehose_match(value: str, stream: Node) -> bool | None:
    name = _name(stream)
    return None if name is None else value.endswith(f":deliverystream/{name}")


def _s3_match(value: str, bucket: Node) -> bool | None:
    name = _name(bucket, "bucket")
    return None if name is None else value.rsplit(":::", 1)[-1] == name


def _bucket_name_match(value: str, bucket: Node) -> bool | None:
    name = _name(bucket, "bucket")
    return None if name is None else value in (name, f"arn:aws:s3:::{name}")


def eks_chain(cluster: Node, nodes: list[Node], want: int) -> Problems:
    """EKS -> /aws/eks/<name>/cluster -> subscription -> Firehose -> Object Lock bucket."""
    # Log types and the log group name: https://docs.aws.amazon.com/eks/latest/userguide/
    # control-plane-logs.html; subscription filters to Firehose: https://docs.aws.amazon.com/
    # AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample
    types_ = lookup(cluster.props, "enabledClusterLogTypes")
    if is_unknown(types_):
        return [Problem(UNKNOWN, "enabledClusterLogTypes")]
    if "audit" not in as_list(types_):
        return [Problem(FAIL, "enabledClusterLogTypes has no audit: the API server's audit "
                        "events are never written")]
    group_name = f"/aws/eks/{_name(cluster) or cluster.name}/cluster"
    groups = [n for n in nodes if n.type == t.LOG_GROUP and _name(n) == group_name]
    out: Problems = []
    for g in groups:  # 0 = never expire (pulumi-aws LogGroup.retention_in_days)
        out += days_at_least(lookup(g.props, "retentionInDays"), want,
                             f"log group {group_name} retentionInDays", zero_means="forever",
                             default=0)
    subs = [s for s in nodes if s.type == t.LOG_SUBSCRIPTION and (
        lookup(s.props, "logGroup") == group_name
        or any(g.urn in s.prop_deps.get("logGroup", []) for g in groups))]
    if not subs:
        return out + [Problem(FAIL, f"no subscription filter on log group {group_name} copies "
                              "the audit events to write-once storage")]
    paths = [_subscription_path(s, nodes, want) for s in subs]
    return out + _best(paths)


def _subscription_path(sub: Node, nodes: list[Node], want: int) -> Problems:
    where = f"subscription filter {sub.name}"
    pattern = lookup(sub.props, "filterPattern")
    if is_unknown(pattern):
        return [Problem(UNKNOWN, f"{where} filterPattern")]
    if isinstance(pattern, str) and pattern.strip():
        return [Problem(FAIL, f"{where} filterPattern {pattern!r} copies only matching events; "
                        "use \"\" (every event)")]
    streams = [n for n in nodes if n.type == t.FIREHOSE
               and points_to(sub, "destinationArn", n, _firehose_match)]
    if not streams:
        return [Problem(FAIL, f"{where} destinationArn "
                        f"{lookup(sub.props, 'destinationArn')!r} is no Firehose delivery "
                        "stream in this stack")]
    return _best([_stream_path(s, nodes, want) for s in streams])


def _stream_path(stream: Node, nodes: list[Node], want: int) -> Problems:
    where = f"delivery stream {stream.name}"
    destination = lookup(stream.props, "destination")
    if is_unknown(destination):
        return [Problem(UNKNOWN, f"{where} destination")]
    if destination != "extended_s3":
        return [Problem(FAIL, f"{where} destination is {destination!r}, not extended_s3")]
    buckets = [n for n in nodes if n.type in (t.S3_BUCKET, t.S3_BUCKET_V2)
               and points_to(stream, "extendedS3Configuration.bucketArn", n, _s3_match)]
    if not buckets:
        return [Problem(FAIL, f"{where} writes to no S3 bucket of this stack")]
    return _best([_bucket_path(b, nodes, want) for b in buckets])


def _bucket_path(bucket: Node, nodes: list[Node], want: int) -> Problems:
    where = f"bucket {_name(bucket, 'bucket') or bucket.name}"
    out: Problems = []
    enabled = lookup(bucket.props, "objectLockEnabled")
    if is_unknown(enabled):
        out.append(Problem(UNKNOWN, f"{where} objectLockEnabled"))
    elif as_bool(enabled) is not True:
        out.append(Problem(FAIL, f"{where} has objectLockEnabled={enabled!r}: no Object Lock"))
    locks = [n for n in nodes if n.type in (t.S3_OBJECT_LOCK, t.S3_OBJECT_LOCK_V2)
             and points_to(n, "bucket", bucket, _bucket_name_match)]
    if not locks:
        return out + [Problem(FAIL, f"{where} has no Object Lock configuration (default "
                              "retention)")]
    return out + _best([object_lock_problems(lock, want) for lock in locks])


# --- AKS --------------------------------------------------------------------------------------
# AKS diagnostic categories kube-audit / kube-audit-admin, or the category groups audit /
# allLogs (https://learn.microsoft.com/en-us/azure/aks/monitor-aks-reference#resource-logs);
# ARM compares names case-insensitively.
AKS_AUDIT_CATEGORIES = ("kube-audit", "kube-audit-admin")
AKS_AUDIT_GROUPS = ("audit", "alllogs")
LOG_ANALYTICS_MAX_DAYS = 730  # interactive retention cap (zero_trust_clusters/components/azure/audit.py)


def _arm_match(segment: str, key: str) -> Callable[[str, Node], bool | None]:
    def match(value: str, target: Node) -> bool | None:
        name = _name(target, key)
        return None if name is None else value.casefold().rstrip("/").endswith(
            f"/{segment}/{name}".casefold())
    return match


def _sends_audit(setting: Node) -> bool | None:
    logs = lookup(setting.props, "logs")
    if is_unknown(logs):
        return None
    for log in as_list(logs):
        if not isinstance(log, dict) or as_bool(log.get("enabled")) is not True:
            continue
        category, group = log.get("category"), log.get("categoryGroup")
        if (isinstance(category, str) and category.casefold() in AKS_AUDIT_CATEGORIES) or (
                isinstance(group, str) and group.casefold() in AKS_AUDIT_GROUPS):
            return True
    return False


def aks_chain(cluster: Node, nodes: list[Node], want: int) -> Problems:
    settings = [n for n in nodes if n.type in (t.DIAGNOSTIC_SETTING, t.DIAGNOSTIC_SETTING_INSIGHTS)
                and points_to(n, "resourceUri", cluster,
                              _arm_match("managedClusters", "resourceName"))]
    audit = [s for s in settings if _sends_audit(s) is not False]
    if not audit:
        return [Problem(FAIL, "no diagnostic setting of the cluster sends kube-audit (or the "
                        "audit category group) anywhere")]
    return _best([_setting_path(s, nodes, want) for s in audit])


def _setting_path(setting: Node, nodes: list[Node], want: int) -> Problems:
    where = f"diagnostic setting {setting.name}"
    if _sends_audit(setting) is None:
        return [Problem(UNKNOWN, f"{where} logs")]
    out: Problems = []
    workspaces = [n for n in nodes if n.type == t.LOG_ANALYTICS and points_to(
        setting, "workspaceId", n, _arm_match("workspaces", "workspaceName"))]
    for w in workspaces:  # the workspace default is 30 days
        out += days_at_least(lookup(w.props, "retentionInDays"),
                             min(want, LOG_ANALYTICS_MAX_DAYS),
                             f"Log Analytics workspace {w.name} retentionInDays", default=30)
    accounts = [n for n in nodes if n.type == t.STORAGE_ACCOUNT and points_to(
        setting, "storageAccountId", n, _arm_match("storageAccounts", "accountName"))]
    if not accounts:
        return out + [Problem(FAIL, f"{where} sends the audit logs to no storage account of "
                              "this stack (storageAccountId), so no immutable copy exists")]
    return out + _best([account_worm(a, want, nodes) for a in accounts])


def immutability_locks(account: Node, nodes: list[Node]) -> list[Node]:
    """The lock resources (ztcKind AZURE_IMMUTABILITY_LOCK_KIND) whose `accountId` is `account`'s
    ARM id, or (unknown at a first preview) a property dependency on it."""
    return [n for n in nodes if n.type == t.DYNAMIC
            and lookup(n.props, "ztcKind") == t.AZURE_IMMUTABILITY_LOCK_KIND
            and points_to(n, "accountId", account, _arm_match("storageAccounts", "accountName"))]


def lock_holds(account: Node, nodes: list[Node], want: int | None,
                source: str = CHAIN_SETTING) -> Problems | None:
    """None when no lock resource targets `account`; else the best lock's problems (its period,
    which the lock PATCHes and then requires to read back, against `want`)."""
    locks = immutability_locks(account, nodes)
    if not locks:
        return None
    return _best([days_at_least(lookup(lock.props, "immutabilityPeriodSinceCreationInDays"), want,
                                f"immutability lock {lock.name} period", source=source)
                  for lock in locks])


def account_worm(account: Node, want: int, nodes: list[Node]) -> Problems:
    """Account-level version immutability: enabled, policy Locked, period >= want
    (AccountImmutabilityPolicyState: a policy is created Unlocked and only Locked is final:
    https://learn.microsoft.com/en-us/rest/api/storagerp/storage-accounts/create#accountimmutabilitypolicystate).
    An Unlocked policy counts as Locked when a lock resource of this stack targets the account:
    it locks the policy in the deployment that creates it and fails that deployment unless the
    policy reads back Locked. A container-level BlobContainerImmutabilityPolicy has no state
    input in azure-native 3.x (it is created Unlocked and stays so), so it does not count."""
    worm = "immutableStorageWithVersioning"
    where = f"storage account {_name(account, 'accountName') or account.name}"
    enabled = lookup(account.props, f"{worm}.enabled")
    if is_unknown(enabled):
        return [Problem(UNKNOWN, f"{where} {worm}.enabled")]
    if as_bool(enabled) is not True:
        return [Problem(FAIL, f"{where} has no version-level immutability ({worm}.enabled is "
                        f"{'unset' if enabled is MISSING else repr(enabled)})")]
    out: Problems = []
    state = lookup(account.props, f"{worm}.immutabilityPolicy.state")
    if is_unknown(state):
        out.append(Problem(UNKNOWN, f"{where} immutability policy state"))
    elif isinstance(state, str) and state.casefold() == "unlocked":
        locked = lock_holds(account, nodes, want)
        if locked is None:
            out.append(Problem(PENDING, f"{where} immutability policy is Unlocked and no lock "
                               "resource of this stack locks it: until it is Locked an account "
                               "owner can shorten or disable it (ARM creates it Unlocked)"))
        else:
            out += locked
    elif not (isinstance(state, str) and state.casefold() == "locked"):
        out.append(Problem(FAIL, f"{where} immutability policy state is "
                           f"{'unset' if state is MISSING else repr(state)}, not Locked"))
    return out + days_at_least(
        lookup(account.props, f"{worm}.immutabilityPolicy.immutabilityPeriodSinceCreationInDays"),
        want, f"{where} immutability period")


# --- GKE --------------------------------------------------------------------------------------
def _sink_covers(sink: Node, cluster_name: str) -> Problems:
    """The sink's filter lets the cluster's audit entries through (an empty filter exports
    everything: https://cloud.google.com/logging/docs/export/configure_export_v2)."""
    where = f"log sink {sink.name}"
    text = lookup(sink.props, "filter")
    if is_unknown(text):
        return [Problem(UNKNOWN, f"{where} filter")]
    if isinstance(text, str) and text.strip():
        names = re.findall(r'cluster_name\s*[:=]\s*"?([A-Za-z0-9_-]+)"?', text)
        if names and cluster_name not in names:
            return [Problem(FAIL, f"{where} filter selects cluster(s) {', '.join(names)}, "
                            f"not {cluster_name}")]
        if "logName" in text and "cloudaudit.googleapis.com" not in text:
            return [Problem(FAIL, f"{where} filter selects log names without "
                            "cloudaudit.googleapis.com: no audit entry is exported")]
    out: Problems = []
    if as_bool(lookup(sink.props, "disabled")) is True:
        out.append(Problem(FAIL, f"{where} is disabled"))
    for i, ex in enumerate(as_list(lookup(sink.props, "exclusions"))):
        if not (isinstance(ex, dict) and as_bool(ex.get("disabled")) is True):
            out.append(Problem(FAIL, f"{where} exclusions[{i}] may drop audit entries; "
                               "remove it or disable it"))
    return out


def _gcs_match(value: str, bucket: Node) -> bool | None:
    name = _name(bucket)
    return None if name is None else value.rstrip("/") == f"storage.googleapis.com/{name}"


def _log_bucket_match(value: str, bucket: Node) -> bool | None:
    name = _name(bucket, "bucketId")
    return None if name is None else value.rstrip("/").endswith(f"/buckets/{name}")


def gke_chain(cluster: Node, nodes: list[Node], want: int) -> Problems:
    cluster_name = _name(cluster) or cluster.name
    sinks = [n for n in nodes if n.type in (t.PROJECT_SINK, t.FOLDER_SINK, t.ORGANIZATION_SINK)]
    paths = []
    for sink in sinks:
        covers = _sink_covers(sink, cluster_name)
        # A folder or organization sink sees a project's logs only with includeChildren
        # (pulumi-gcp FolderSink/OrganizationSink include_children, default false).
        if sink.type != t.PROJECT_SINK and as_bool(lookup(sink.props, "includeChildren")) \
                is not True:
            covers = covers + [Problem(FAIL, f"log sink {sink.name} has includeChildren unset "
                                       "or false: it exports none of the cluster project's logs")]
        if any(p.kind == FAIL and "selects cluster" in p.text for p in covers):
            continue  # another cluster's sink
        paths.append(covers + _sink_destination(sink, nodes, want))
    if not paths:
        return [Problem(FAIL, f"no log sink exports the audit logs of {cluster_name} to "
                        "write-once storage")]
    return _best(paths)


def _sink_destination(sink: Node, nodes: list[Node], want: int) -> Problems:
    buckets = [n for n in nodes if n.type == t.GCS_BUCKET
               and points_to(sink, "destination", n, _gcs_match)]
    log_buckets = [n for n in nodes if n.type == t.LOG_BUCKET
                   and points_to(sink, "destination", n, _log_bucket_match)]
    if not buckets and not log_buckets:
        return [Problem(FAIL, f"log sink {sink.name} destination "
                        f"{lookup(sink.props, 'destination')!r} is no bucket of this stack")]
    paths = [gcs_worm(b, want) for b in buckets]
    # Log bucket: `locked` and `retentionDays` (0 at creation means the default 30 days).
    paths += [_locked(lookup(b.props, "locked"), f"log bucket {b.name} locked")
              + days_at_least(lookup(b.props, "retentionDays"), want,
                              f"log bucket {b.name} retentionDays", default=30)
              for b in log_buckets]
    return _best(paths)


def gcs_worm(bucket: Node, want: int) -> Problems:
    """A locked retention policy of at least `want` days; retentionPeriod is in seconds, a
    string (pulumi-gcp 10 BucketRetentionPolicyArgs)."""
    where = f"bucket {_name(bucket) or bucket.name}"
    out = _locked(lookup(bucket.props, "retentionPolicy.isLocked"),
                  f"{where} retentionPolicy.isLocked")
    period = lookup(bucket.props, "retentionPolicy.retentionPeriod")
    if is_unknown(period):
        return out + [Problem(UNKNOWN, f"{where} retentionPolicy.retentionPeriod")]
    try:
        days: Any = float(period) / SECONDS_PER_DAY
    except (TypeError, ValueError):
        return out + [Problem(FAIL, f"{where} retentionPolicy.retentionPeriod is "
                              f"{'unset' if period is MISSING else repr(period)}, not a number "
                              "of seconds")]
    return out + days_at_least(days, want, f"{where} retention period")


def _best(paths: list[Problems]) -> Problems:
    """The chain holds if one path holds; else the path that comes closest (unknowns and
    pending locks before failures)."""
    if not paths:
        return []
    order = {PENDING: 1, UNKNOWN: 2, FAIL: 10}
    return min(paths, key=lambda ps: sum(order[p.kind] for p in ps))


CHAINS: Mapping[str, Callable[[Node, list[Node], int], Problems]] = {
    t.EKS_CLUSTER: eks_chain, t.AKS_CLUSTER: aks_chain, t.GKE_CLUSTER: gke_chain}
