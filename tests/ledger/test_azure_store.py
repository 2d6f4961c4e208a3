"""The Azure Blob store through the real `azure-storage-blob` client against Azurite (the
Azure Storage emulator from npm, `make test` installs it under .tools/), on 127.0.0.1 only.

Azurite enforces `If-None-Match: *` on Put Blob but implements neither blob versioning nor
immutability policies, so the reader's version handling (oldest version wins, a deleted
current version is reported) is tested on a small in-memory container below; the WORM
settings themselves are the provisioning's (tests/ledger/test_provisioning.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

from zero_trust_clusters.components.ledger.azure_blob import AzureBlobStore
from zero_trust_clusters.components.ledger.chain import append, verify
from zero_trust_clusters.components.ledger.store import LedgerStore

from .azurite import ACCOUNT, KEY
from .conftest import CODE, STATE
from .support import race_writers


@pytest.fixture
def container(azurite, request):
    service = BlobServiceClient(azurite, credential={"account_name": ACCOUNT, "account_key": KEY})
    name = "ledger-" + request.node.name.replace("_", "-").lower()[:50].strip("-")
    client = service.get_container_client(name)
    client.create_container()
    return client


def test_the_store_satisfies_the_interface(container):
    assert isinstance(AzureBlobStore(container), LedgerStore)


def test_append_and_verify_through_azure(container, shared_pki):
    store = AzureBlobStore(container, prefix="ledger/prod")
    for stack in ("a", "b", "c"):
        append(store, signer=shared_pki.signer, stack=stack, project="p", state=STATE, code=CODE)
    report = verify(store, shared_pki.verifier)
    assert report.ok and report.entries == 3 and report.warnings == []
    names = [b.name for b in container.list_blobs()]
    assert names == [f"ledger/prod/00000000000{i}.json" for i in range(3)]
    assert store.location == f"{container.url}/ledger/prod/"


def test_exclusive_create_refuses_a_second_writer(container):
    store = AzureBlobStore(container)
    assert store.put_new(0, b'{"first": true}')
    assert not store.put_new(0, b'{"second": true}')  # 409 BlobAlreadyExists
    stored = container.get_blob_client("ledger/000000000000.json").download_blob().readall()
    assert json.loads(stored) == {"first": True}
    # What the store relies on: the service itself refuses a create over an existing blob.
    with pytest.raises(ResourceExistsError):
        container.upload_blob("ledger/000000000000.json", b"{}", overwrite=False)


def test_a_retried_write_of_our_own_bytes_is_not_a_lost_race(container):
    store = AzureBlobStore(container)
    assert store.put_new(0, b'{"entry": 0}')
    assert store.put_new(0, b'{"entry": 0}')
    assert len(list(container.list_blobs())) == 1


def test_two_writers_racing_through_azure_lose_nothing(container, shared_pki):
    race_writers(lambda: AzureBlobStore(container), shared_pki, writers=4, per_writer=4)


@dataclass
class Version:
    name: str
    version_id: str
    is_current_version: bool
    data: bytes


class VersionedContainer:
    """`list_blobs(include=["versions"])` and versioned downloads, as the service answers."""

    url = "https://acct.blob.core.windows.net/ledger"

    def __init__(self, versions: list[Version]):
        self.versions = versions

    def list_blobs(self, name_starts_with: str, include: list[str]):
        assert include == ["versions"]
        return [v for v in self.versions if v.name.startswith(name_starts_with)]

    def get_blob_client(self, name: str, version_id: str | None = None):
        [found] = [v for v in self.versions if v.name == name and v.version_id == version_id]

        class Blob:
            def download_blob(self):
                return type("Downloader", (), {"readall": lambda _self: found.data})()

        return Blob()


def test_the_oldest_version_is_read_and_later_ones_are_reported(shared_pki):
    name = "ledger/000000000000.json"
    store = AzureBlobStore(VersionedContainer([
        Version(name, "2026-11-02T10:00:00.0000000Z", True, b'{"forged": true}'),
        Version(name, "2026-11-01T10:00:00.0000000Z", False, b'{"original": true}'),
    ]))
    [entry] = list(store.entries())
    assert entry.data == b'{"original": true}'
    assert entry.location.endswith("?versionid=2026-11-01T10:00:00.0000000Z")
    assert any("later version" in n for n in entry.notes)


def test_a_deleted_current_version_is_reported():
    name = "ledger/000000000000.json"
    store = AzureBlobStore(VersionedContainer([
        Version(name, "2026-11-01T10:00:00.0000000Z", False, b"{}")]))
    assert any("current version was deleted" in n for n in store.head().notes)
