"""A Cloud Storage store: one object per entry, exclusive create, a locked retention policy.

- `put_new` uploads with `ifGenerationMatch=0`: "the request succeeds only if there are no
  live objects in the bucket with the specified name", else 412 Precondition Failed
  (https://cloud.google.com/storage/docs/request-preconditions). Two writers racing for one
  sequence number cannot both win. An entry is one multipart upload: stored whole or not at all.
- The bucket's retention policy is locked (`zero_trust_clusters.components.ledger.provisioning`, GCP): no object
  can be deleted or replaced until it is older than the retention period, and the policy can
  neither be removed nor shortened (https://cloud.google.com/storage/docs/bucket-lock).
- The client retries uploads (`upload_from_string(retry=DEFAULT_RETRY)` in
  google-cloud-storage 3.17; https://cloud.google.com/storage/docs/retry-strategy): if the
  first attempt was stored but its answer lost, the retry gets 412. So a 412 whose object
  holds exactly our bytes is our own write, not a lost race.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from zero_trust_clusters.components.ledger.store import StoredEntry, entry_name, seq_of


class GcsStore:
    def __init__(self, bucket: Any, prefix: str = "ledger/", read_workers: int = 16):
        """`bucket`: a `google.cloud.storage.Bucket` (its client does the requests)."""
        from google.api_core.exceptions import PreconditionFailed  # the `ledger-gcp` extra

        self._conflict = PreconditionFailed
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.read_workers = read_workers
        self.location = f"gs://{bucket.name}/{self.prefix}"

    def _name(self, seq: int) -> str:
        return self.prefix + entry_name(seq)

    def _objects(self) -> dict[int, Any]:
        found = {}
        for blob in self.bucket.client.list_blobs(self.bucket, prefix=self.prefix):
            seq = seq_of(blob.name[len(self.prefix):])
            if seq is not None:
                found[seq] = blob
        return found

    def _fetch(self, seq: int, blob: Any) -> StoredEntry:
        # The generation listed: a replacement after the listing would be a different object.
        pinned = self.bucket.blob(blob.name, generation=blob.generation)
        return StoredEntry(seq=seq, data=pinned.download_as_bytes(),
                           location=f"{self.location}{entry_name(seq)}#{blob.generation}")

    def head(self) -> StoredEntry | None:
        found = self._objects()
        if not found:
            return None
        seq = max(found)
        return self._fetch(seq, found[seq])

    def entries(self) -> Iterator[StoredEntry]:
        found = self._objects()
        with ThreadPoolExecutor(max_workers=self.read_workers) as pool:
            yield from pool.map(lambda s: self._fetch(s, found[s]), sorted(found))

    def put_new(self, seq: int, data: bytes) -> bool:
        blob = self.bucket.blob(self._name(seq))
        try:
            blob.upload_from_string(data, content_type="application/json",
                                    if_generation_match=0, checksum="crc32c")
        except self._conflict:
            return self.bucket.blob(self._name(seq)).download_as_bytes() == data
        return True
