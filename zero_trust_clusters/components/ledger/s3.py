"""An S3-compatible store: one object per entry, conditional writes, Object Lock.

- `put_new` sends `If-None-Match: *`, so S3 refuses (412) to create a key that exists:
  two writers racing for the same sequence number cannot both win, and nothing is
  overwritten. The winner's object carries Object Lock COMPLIANCE retention, so nobody
  (not even the account root) can delete or replace that version until it expires.
- S3 stores an object in one piece: a writer that dies mid-upload leaves nothing.
- Readers take the FIRST version of each key (the locked original). Later versions or
  delete markers can only come from someone bypassing the conditional write or the
  bucket policy; they are reported as notes and never replace the original.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from zero_trust_clusters.components.ledger.store import StoredEntry, entry_name, seq_of

CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
LOCK_MODE = "COMPLIANCE"


class S3Store:
    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "ledger/",
        retention_days: int = 2555,
        read_workers: int = 16,
    ):
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1 (Object Lock needs a date)")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.retention_days = retention_days
        self.read_workers = read_workers
        self.location = f"s3://{bucket}/{self.prefix}"
        self._known_seq: int | None = None  # listing hint: entries never disappear

    def _key(self, seq: int) -> str:
        return self.prefix + entry_name(seq)

    def _versions(self, start_seq: int | None = None) -> dict[int, dict[str, list]]:
        """Per sequence number: its object versions (oldest first) and delete markers."""
        found: dict[int, dict[str, list]] = {}
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
        if start_seq is not None and start_seq > 0:
            kwargs["KeyMarker"] = self._key(start_seq - 1)
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(**kwargs):
            for kind, items in (("versions", page.get("Versions", [])),
                                ("markers", page.get("DeleteMarkers", []))):
                for item in items:
                    seq = seq_of(item["Key"][len(self.prefix):])
                    if seq is None:
                        continue
                    slot = found.setdefault(seq, {"versions": [], "markers": []})
                    slot[kind].append(item)
        for slot in found.values():
            # S3 lists a key's versions newest first (LastModified has only second
            # resolution, so the listing order is the reliable one); trust the oldest.
            slot["versions"].reverse()
        return found

    def _fetch(self, seq: int, slot: dict[str, list]) -> StoredEntry:
        key = self._key(seq)
        versions = slot["versions"]
        if not versions:
            return StoredEntry(seq=seq, data=b"", location=f"s3://{self.bucket}/{key}",
                               notes=("only a delete marker remains for this key",))
        first = versions[0]
        version_id = first.get("VersionId") or "null"
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id != "null":
            kwargs["VersionId"] = version_id
        body = self.client.get_object(**kwargs)["Body"].read()
        notes = []
        if len(versions) > 1:
            notes.append(f"{len(versions) - 1} later version(s) of this key exist and were "
                         "ignored (an overwrite bypassed the conditional write)")
        if slot["markers"]:
            notes.append("a delete marker hides this entry from plain reads (the locked "
                         "original was read)")
        return StoredEntry(seq=seq, data=body, location=f"s3://{self.bucket}/{key}"
                           f"?versionId={version_id}", notes=tuple(notes))

    def head(self) -> StoredEntry | None:
        found = self._versions(self._known_seq)
        if not found:
            found = self._versions() if self._known_seq else {}
        if not found:
            return None
        seq = max(found)
        self._known_seq = seq
        return self._fetch(seq, found[seq])

    def entries(self) -> Iterator[StoredEntry]:
        found = self._versions()
        order = sorted(found)
        with ThreadPoolExecutor(max_workers=self.read_workers) as pool:
            yield from pool.map(lambda s: self._fetch(s, found[s]), order)

    def put_new(self, seq: int, data: bytes) -> bool:
        retain_until = datetime.now(UTC) + timedelta(days=self.retention_days)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(seq),
                Body=data,
                ContentType="application/json",
                IfNoneMatch="*",
                ObjectLockMode=LOCK_MODE,
                ObjectLockRetainUntilDate=retain_until,
                # Object Lock puts need an integrity header; S3 accepts a checksum, older
                # S3-compatible servers insist on Content-MD5, so send both.
                ChecksumAlgorithm="SHA256",
                ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode("ascii"),
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if error.get("Code") in CONFLICT_CODES or status in {"412", "409"}:
                return False
            raise
        self._known_seq = seq
        return True
