"""The one S3 WORM builder: the EKS audit bucket and the ledger bucket get the same immutability."""

from __future__ import annotations

import json

import pytest

from zero_trust_clusters.components.aws.worm_bucket import WormBucketArgs, worm_policy
from zero_trust_clusters.components.ledger.bucket import LedgerBucket, LedgerBucketArgs
from zero_trust_clusters.engine import mocks
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import Graph, run_program

BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SETTINGS = {
    "aws:s3/bucketVersioning:BucketVersioning": "versioningConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "rule",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": None,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "rules",
}


@pytest.fixture(scope="module")
def options(monkeypatch_module):
    """protect / retainOnDelete of every registered resource, by (type, name)."""
    seen: dict[tuple[str, str], tuple[bool, bool]] = {}
    original = mocks.CapturingMonitor.RegisterResource

    def register(self, request):
        seen[(request.type, request.name)] = (request.protect, request.retainOnDelete)
        return original(self, request)

    monkeypatch_module.setattr(mocks.CapturingMonitor, "RegisterResource", register)
    return seen


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


class View:
    def __init__(self, graph: Graph):
        self.graph = graph

    def one(self, type_: str) -> dict:
        [found] = [unwrap(r.inputs) for r in self.graph.of_type(type_)]
        return found

    def resource(self, type_: str, name: str):
        [found] = [r for r in self.graph.of_type(type_) if r.name == name]
        return found


@pytest.fixture(scope="module")
def stores(options, dev_spec, eks_run, aws_clusters):
    index, cluster = aws_clusters(dev_spec)
    audit = View(eks_run(dev_spec, cluster, index))
    ledger = View(run_program(lambda: LedgerBucket(
        "dev-ledger", LedgerBucketArgs(bucket_name="acme-ztc-ledger", retention_days=90))))
    return {"audit": audit, "ledger": ledger}


def _children(view: View, type_: str) -> dict:
    [found] = [unwrap(r.inputs) for r in view.graph.of_type(type_)]
    return {k: v for k, v in found.items() if k not in ("bucket", "region")}


def test_both_uses_get_the_same_settings(stores):
    audit, ledger = stores["audit"], stores["ledger"]
    for type_, key in SETTINGS.items():
        a, b = _children(audit, type_), _children(ledger, type_)
        if key == "rules":  # the key differs by use, nothing else
            for rules in (a, b):
                rules["rules"][0]["applyServerSideEncryptionByDefault"].pop("kmsMasterKeyId")
        assert a == b, type_
    for view in (audit, ledger):
        assert view.one(BUCKET)["objectLockEnabled"] is True
        assert view.one(LOCK)["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
    assert audit.one(LOCK)["rule"]["defaultRetention"]["days"] == 90  # posture audit retention
    assert ledger.one(LOCK)["rule"]["defaultRetention"]["days"] == 90


def test_the_audit_bucket_denies_deletes_and_writers_other_than_firehose(stores):
    """The audit copy used to deny only non-TLS access: anyone with s3:DeleteObject could hide
    a log object behind a delete marker, and any principal could add objects to it."""
    audit = stores["audit"]
    bucket = audit.one(BUCKET)["bucket"]
    statements = {s["Sid"]: s for s in json.loads(audit.one(POLICY)["policy"])["Statement"]}
    assert statements["DenyDeletes"]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert set(statements["DenyDeletes"]["Action"]) == {"s3:DeleteObject",
                                                        "s3:DeleteObjectVersion"}
    writers = statements["DenyOtherWriters"]
    assert writers["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [
        "arn:aws:iam::111122223333:role/ztc-dev-aws-audit-firehose"]}}
    firehose = audit.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    role = audit.resource("aws:iam/role:Role", "dev-aws-audit-firehose")
    assert firehose["extendedS3Configuration"]["roleArn"] == role.outputs["arn"]
    assert role.outputs["arn"] in writers["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]


def test_both_buckets_are_protected_and_retained_on_delete(stores, options):
    """The audit bucket was only retained, the ledger bucket only protected."""
    audit_bucket = stores["audit"].graph.of_type(BUCKET)[0].name
    assert options[(BUCKET, audit_bucket)] == (True, True)
    assert options[(BUCKET, "dev-ledger-bucket")] == (True, True)


def test_resource_names_are_kept():
    """A renamed locked bucket would be replaced, which a locked bucket cannot be."""
    graph = run_program(lambda: LedgerBucket("dev-ledger", LedgerBucketArgs(bucket_name="b-1")))
    assert {r.name for r in graph.resources} == {
        "dev-ledger", "dev-ledger-key", "dev-ledger-bucket", "dev-ledger-ownership",
        "dev-ledger-public-access", "dev-ledger-versioning", "dev-ledger-object-lock",
        "dev-ledger-encryption", "dev-ledger-policy"}


def test_policy_statements_per_use():
    plain = json.loads(worm_policy("arn:aws:s3:::b"))
    assert [s["Sid"] for s in plain["Statement"]] == ["DenyInsecureTransport", "DenyDeletes"]
    full = {s["Sid"]: s for s in json.loads(worm_policy(
        "arn:aws:s3:::b", protected_prefix="ledger/", writer_arns=["arn:aws:iam::1:role/w"],
        conditional_writes_only=True))["Statement"]}
    assert full["DenyDeletes"]["Resource"] == "arn:aws:s3:::b/ledger/*"
    assert full["DenyUnconditionalWrites"]["Condition"] == {
        "Null": {"s3:if-none-match": "true"}}
    assert full["DenyOtherWriters"]["Resource"] == "arn:aws:s3:::b/*"


def test_bad_retention_and_prefix_are_refused():
    with pytest.raises(ValueError, match="retention_days"):
        WormBucketArgs(bucket_name="b", retention_days=0, kms_key_arn="k")
    with pytest.raises(ValueError, match="must end with '/'"):
        WormBucketArgs(bucket_name="b", retention_days=1, kms_key_arn="k",
                       protected_prefix="ledger")
