"""An Azure Blob store: one block blob per entry, exclusive create, version-level WORM.

- `put_new` is one Put Blob with `If-None-Match: *` (the SDK's `overwrite=False`): "Specify
  the wildcard character (*) to perform the operation only if the resource does not exist,
  and fail the operation if it does exist"; the service answers 409 BlobAlreadyExists
  (https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations).
  Two writers racing for one sequence number cannot both win. An entry is far below the
  SDK's single-request limit (`max_single_put_size`, 64 MiB), so it is one Put Blob: stored
  whole or not at all.
- The container lives in a storage account with version-level immutability and a locked
  time-based policy (`zero_trust_clusters.components.ledger.provisioning`, Azure): every blob version inherits
  the default retention, and while it runs no one can delete or overwrite it
  (https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies).
  Versioning is on, so an overwrite that bypassed the condition, or a delete, leaves the
  original as an earlier version: readers take each name's OLDEST version and report later
  ones (or a missing current version) as notes, like the S3 store.
- A 409 whose blob holds exactly our bytes is our own write whose answer was lost and retried
  (azure-core retries such requests), not a lost race.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from zero_trust_clusters.components.ledger.store import StoredEntry, entry_name, seq_of


class AzureBlobStore:
    def __init__(self, container: Any, prefix: str = "ledger/", read_workers: int = 16):
        """`container`: an `azure.storage.blob.ContainerClient`."""
        from azure.core.exceptions import ResourceExistsError  # the optional `ledger-azure` extra

        self._exists_error = ResourceExistsError
        self.container = container
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.read_workers = read_workers
        self.location = f"{container.url.rstrip('/')}/{self.prefix}"

    def _name(self, seq: int) -> str:
        return self.prefix + entry_name(seq)

    def _versions(self) -> dict[int, list[Any]]:
        """Per sequence number: its blob versions, oldest first."""
        found: dict[int, list[Any]] = {}
        for blob in self.container.list_blobs(name_starts_with=self.prefix,
                                              include=["versions"]):
            seq = seq_of(blob.name[len(self.prefix):])
            if seq is not None:
                found.setdefault(seq, []).append(blob)
        for versions in found.values():
            # Version ids are the UTC creation times (ISO 8601): sorting them orders the versions.
            versions.sort(key=lambda b: b.version_id or "")
        return found

    def _fetch(self, seq: int, versions: list[Any]) -> StoredEntry:
        first = versions[0]
        client = self.container.get_blob_client(first.name, version_id=first.version_id)
        data = client.download_blob().readall()
        location = f"{self.location}{entry_name(seq)}"
        if first.version_id:
            location += f"?versionid={first.version_id}"
        notes = []
        if len(versions) > 1:
            notes.append(f"{len(versions) - 1} later version(s) of this blob exist and were "
                         "ignored (an overwrite bypassed the conditional write)")
        # Without versioning (an emulator) there is no flag: the one blob is the current one.
        if first.version_id and not any(getattr(v, "is_current_version", False)
                                        for v in versions):
            notes.append("the current version was deleted (the locked original was read)")
        return StoredEntry(seq=seq, data=data, location=location, notes=tuple(notes))

    def head(self) -> StoredEntry | None:
        found = self._versions()
        if not found:
            return None
        seq = max(found)
        return self._fetch(seq, found[seq])

    def entries(self) -> Iterator[StoredEntry]:
        found = self._versions()
        with ThreadPoolExecutor(max_workers=self.read_workers) as pool:
            yield from pool.map(lambda s: self._fetch(s, found[s]), sorted(found))

    def put_new(self, seq: int, data: bytes) -> bool:
        from azure.storage.blob import ContentSettings

        try:
            self.container.upload_blob(
                self._name(seq), data,
                overwrite=False,  # If-None-Match: *
                content_settings=ContentSettings(content_type="application/json"),
                validate_content=True,  # Content-MD5: the service checks the bytes it got
            )
        except self._exists_error:
            # The SDK retries a request whose answer was lost: a retry of our own stored
            # write meets 409 too, and then the blob holds exactly our bytes.
            return self.container.get_blob_client(self._name(seq)).download_blob().readall() \
                == data
        return True
