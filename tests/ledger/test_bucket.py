"""LedgerBucket under the Pulumi mocks: every immutability setting is on the wire."""

from __future__ import annotations

import json

import pytest

from zero_trust_clusters.components.ledger.bucket import TYPE, LedgerBucket, LedgerBucketArgs
from zero_trust_clusters.components.ledger.recording import preview_entry
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import run_program


@pytest.fixture(scope="module")
def graph():
    return run_program(
        lambda: LedgerBucket("ledger", LedgerBucketArgs(bucket_name="acme-ztc-ledger",
                                                        retention_days=400))
    )


def inputs(graph, type_):
    [resource] = graph.of_type(type_)
    return unwrap(resource.inputs)


def test_component_and_children(graph):
    [component] = graph.of_type(TYPE)
    children = [r for r in graph.resources if r.parent == component.urn]
    assert {r.type for r in children} == {
        "aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketPolicy:BucketPolicy",
    }
    outputs = graph.component_outputs[component.urn]
    assert outputs["bucketName"] == "acme-ztc-ledger" and outputs["retentionDays"] == 400
    assert outputs["controls"] == ["ZT-CHANGE-LEDGER"]


def test_object_lock_compliance_and_versioning(graph):
    bucket = inputs(graph, "aws:s3/bucket:Bucket")
    assert bucket["bucket"] == "acme-ztc-ledger" and bucket["objectLockEnabled"] is True
    assert bucket.get("forceDestroy") is False
    lock = inputs(graph, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 400}
    versioning = inputs(graph, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"]["status"] == "Enabled"


def test_encryption_and_no_public_access(graph):
    key = inputs(graph, "aws:kms/key:Key")
    assert key["enableKeyRotation"] is True
    sse = inputs(
        graph,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    [rule] = sse["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["bucketKeyEnabled"] is True
    block = inputs(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))
    ownership = inputs(graph,
                       "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_bucket_policy_tls_only_no_deletes_conditional_writes_only(graph):
    policy = json.loads(inputs(graph, "aws:s3/bucketPolicy:BucketPolicy")["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert all(s["Effect"] == "Deny" for s in policy["Statement"])
    assert by_sid["DenyInsecureTransport"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}}
    assert set(by_sid["DenyDeletes"]["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert by_sid["DenyDeletes"]["Resource"] == "arn:aws:s3:::acme-ztc-ledger/ledger/*"
    unconditional = by_sid["DenyUnconditionalWrites"]
    assert unconditional["Resource"] == "arn:aws:s3:::acme-ztc-ledger/ledger/*"
    assert unconditional["Condition"] == {"Null": {"s3:if-none-match": "true"}}


def test_writer_and_reader_policies_are_least_privilege(graph):
    [component] = graph.of_type(TYPE)
    outputs = graph.component_outputs[component.urn]
    writer, reader = json.loads(outputs["writerPolicy"]), json.loads(outputs["readerPolicy"])

    def actions(policy):
        return {a for s in policy["Statement"] for a in s["Action"]}

    assert not any(a.startswith("s3:Delete") or a == "s3:*" for a in actions(writer))
    assert {"s3:PutObject", "s3:PutObjectRetention"} <= actions(writer)
    assert not any(a.startswith("s3:Put") for a in actions(reader))
    objects = next(s for s in writer["Statement"] if s["Sid"] == "LedgerObjects")
    assert objects["Resource"] == "arn:aws:s3:::acme-ztc-ledger/ledger/*"


def test_bad_retention_names_the_setting():
    with pytest.raises(ValueError, match="retention_days"):
        LedgerBucketArgs(bucket_name="x", retention_days=0)


def test_preview_shows_the_entry_for_a_captured_graph(graph, shared_pki, tmp_path):
    from zero_trust_clusters.components.ledger.local import DirectoryStore

    store = DirectoryStore(tmp_path / "ledger")
    unsigned = preview_entry(graph.resources, "dev", tmp_path / "not-a-repo", store=store)
    assert unsigned["seq"] == 0 and unsigned["signature"]["alg"] == "none"
    assert unsigned["state"]["resources"] == len(graph.resources)
    assert "not a git work tree" in unsigned["code"]["error"]
    # The same graph as plain dicts (what `ztc preview` hands over) gives the same digest.
    plain = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in graph.resources]
    assert preview_entry(plain, "dev", tmp_path)["state"] == unsigned["state"]
    signed = preview_entry(plain, "dev", tmp_path, signer=shared_pki.signer)
    assert signed["signature"]["alg"] == "ECDSA-SHA256"
    assert not any(store.entries())  # a preview writes nothing


def test_preview_entry_handles_unknown_outputs_of_a_first_preview(tmp_path):
    graph = run_program(
        lambda: LedgerBucket("ledger", LedgerBucketArgs(bucket_name="acme-ztc-ledger")),
        preview=True,
    )
    entry = preview_entry(graph.resources, "dev", tmp_path)
    assert entry["state"]["resources"] == len(graph.resources)
