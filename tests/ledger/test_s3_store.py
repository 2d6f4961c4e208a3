"""The S3 store against a real S3-compatible server (moto, server mode, loopback only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from zero_trust_clusters.components.ledger.chain import append, verify
from zero_trust_clusters.components.ledger.s3 import S3Store
from zero_trust_clusters.components.ledger.store import LedgerStore

from .conftest import CODE, STATE
from .support import race_writers


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint, request):
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="eu-west-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    bucket = "ztc-ledger-" + request.node.name.replace("_", "-").lower()[:40]
    client.create_bucket(
        Bucket=bucket, ObjectLockEnabledForBucket=True,
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    return client, bucket


def test_the_store_satisfies_the_interface(s3):
    client, bucket = s3
    assert isinstance(S3Store(client, bucket), LedgerStore)


def test_append_and_verify_through_s3(s3, shared_pki):
    client, bucket = s3
    store = S3Store(client, bucket, prefix="ledger/prod")
    for stack in ("a", "b", "c"):
        append(store, signer=shared_pki.signer, stack=stack, project="p", state=STATE, code=CODE)
    report = verify(store, shared_pki.verifier)
    assert report.ok and report.entries == 3 and report.warnings == []
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"ledger/prod/00000000000{i}.json" for i in range(3)]


def test_conditional_write_refuses_a_second_writer(s3):
    client, bucket = s3
    store = S3Store(client, bucket)
    assert store.put_new(0, b'{"first": true}')
    assert not store.put_new(0, b'{"second": true}')  # 412 Precondition Failed
    body = client.get_object(Bucket=bucket, Key="ledger/000000000000.json")["Body"].read()
    assert json.loads(body) == {"first": True}
    versions = client.list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == 1  # nothing was overwritten, not even as a new version


def test_entries_carry_compliance_retention_and_cannot_be_deleted(s3):
    client, bucket = s3
    store = S3Store(client, bucket, retention_days=30)
    before = datetime.now(UTC)
    assert store.put_new(0, b"{}")
    key = "ledger/000000000000.json"
    head = client.head_object(Bucket=bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    retain = head["ObjectLockRetainUntilDate"]
    assert before + timedelta(days=30) - timedelta(minutes=1) <= retain
    assert retain <= datetime.now(UTC) + timedelta(days=30)
    version = client.list_object_versions(Bucket=bucket)["Versions"][0]["VersionId"]
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_two_writers_racing_through_s3_lose_nothing(s3, shared_pki):
    client, bucket = s3
    per_writer, writers = 5, 4
    race_writers(lambda: S3Store(client, bucket), shared_pki, writers=writers,
                 per_writer=per_writer)
    # Every lost race was retried on a new head; none left a second version behind.
    versions = client.list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == per_writer * writers


def test_a_hidden_or_replaced_entry_still_reads_as_the_locked_original(s3, shared_pki):
    client, bucket = s3
    store = S3Store(client, bucket)
    for stack in ("a", "b"):
        append(store, signer=shared_pki.signer, stack=stack, project="p", state=STATE, code=CODE)
    key = "ledger/000000000000.json"
    # Someone without the bucket policy's protection hides entry 0 with a delete marker
    # and then writes a forged object under the same key (allowed: the key looks free).
    client.delete_object(Bucket=bucket, Key=key)
    client.put_object(Bucket=bucket, Key=key, Body=b'{"forged": true}', IfNoneMatch="*")
    report = verify(store, shared_pki.verifier)
    assert report.ok and report.entries == 2  # the locked original is what counts
    assert any("later version" in w for w in report.warnings)
    assert any("delete marker" in w for w in report.warnings)
