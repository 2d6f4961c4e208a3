"""The GCS store through the real `google-cloud-storage` client against a local fake of the
JSON API that enforces `ifGenerationMatch` and a retention policy (tests/ledger/fake_gcs.py
says why not the PyPI emulator). Loopback only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from google.api_core.exceptions import Forbidden
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from zero_trust_clusters.components.ledger.chain import append, verify
from zero_trust_clusters.components.ledger.gcs import GcsStore
from zero_trust_clusters.components.ledger.store import LedgerStore

from .conftest import CODE, STATE
from .fake_gcs import FakeGcs, serve
from .support import race_writers


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeGcs, str]]:
    with serve() as running:
        yield running


@pytest.fixture
def gcs(server, request):
    state, endpoint = server
    name = "ztc-ledger-" + request.node.name.replace("_", "-").lower()[:40]
    state.create_bucket(name, retention_seconds=30 * 86400)
    client = storage.Client(project="ztc-test", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": endpoint})
    return state, client.bucket(name)


def test_the_store_satisfies_the_interface(gcs):
    _state, bucket = gcs
    assert isinstance(GcsStore(bucket), LedgerStore)


def test_append_and_verify_through_gcs(gcs, shared_pki):
    state, bucket = gcs
    store = GcsStore(bucket, prefix="ledger/prod")
    for stack in ("a", "b", "c"):
        append(store, signer=shared_pki.signer, stack=stack, project="p", state=STATE, code=CODE)
    report = verify(store, shared_pki.verifier)
    assert report.ok and report.entries == 3 and report.warnings == []
    assert sorted(state.buckets[bucket.name].objects) == [
        f"ledger/prod/00000000000{i}.json" for i in range(3)]
    assert store.location == f"gs://{bucket.name}/ledger/prod/"


def test_exclusive_create_refuses_a_second_writer(gcs):
    state, bucket = gcs
    store = GcsStore(bucket)
    assert store.put_new(0, b'{"first": true}')
    assert not store.put_new(0, b'{"second": true}')  # 412 Precondition Failed
    stored = state.buckets[bucket.name].objects["ledger/000000000000.json"]
    assert json.loads(stored.data) == {"first": True}
    uploads = [path for method, path in state.requests if method == "POST"
               and bucket.name in path]
    assert uploads and all("ifGenerationMatch=0" in path for path in uploads)


def test_a_retried_write_of_our_own_bytes_is_not_a_lost_race(gcs):
    state, bucket = gcs
    store = GcsStore(bucket)
    assert store.put_new(0, b'{"entry": 0}')
    assert store.put_new(0, b'{"entry": 0}')  # the same bytes: our own earlier attempt
    assert len(state.buckets[bucket.name].objects) == 1


def test_the_retention_policy_refuses_deletes_and_replacements(gcs):
    _state, bucket = gcs
    store = GcsStore(bucket)
    assert store.put_new(0, b"{}")
    blob = bucket.blob("ledger/000000000000.json")
    with pytest.raises(Forbidden, match="retention"):
        blob.delete()
    with pytest.raises(Forbidden, match="retention"):
        blob.upload_from_string(b'{"forged": true}')  # no precondition: a plain overwrite
    assert store.head().data == b"{}"


def test_two_writers_racing_through_gcs_lose_nothing(gcs, shared_pki):
    _state, bucket = gcs
    race_writers(lambda: GcsStore(bucket), shared_pki, writers=4, per_writer=4)