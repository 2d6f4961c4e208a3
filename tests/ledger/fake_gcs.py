"""A local Cloud Storage JSON API server with the preconditions and retention the GCS store
relies on, for tests on 127.0.0.1 only.

Why a fake: the PyPI emulator (`gcp-storage-emulator`) accepts `ifGenerationMatch` and
ignores it, so a second writer silently overwrites; it cannot show that `put_new` is
exclusive. Google's `fake-gcs-server` is a Go binary (not installable here). This server
speaks the requests `google-cloud-storage` sends for what the store uses (multipart upload,
list, media download, get, delete) and enforces, as Cloud Storage documents:
- `ifGenerationMatch=0`: 412 when a live object of that name exists; `ifGenerationMatch=N`:
  412 unless the live generation is N (https://cloud.google.com/storage/docs/request-preconditions);
- a bucket retention policy: an object younger than the period cannot be deleted or replaced,
  403 (https://cloud.google.com/storage/docs/bucket-lock).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import google_crc32c


@dataclass
class StoredObject:
    name: str
    data: bytes
    generation: int
    created: float
    content_type: str

    def resource(self, bucket: str) -> dict:
        crc = base64.b64encode(google_crc32c.Checksum(self.data).digest()).decode()
        md5 = base64.b64encode(hashlib.md5(self.data).digest()).decode()
        return {"kind": "storage#object", "bucket": bucket, "name": self.name,
                "id": f"{bucket}/{self.name}/{self.generation}",
                "generation": str(self.generation), "metageneration": "1",
                "contentType": self.content_type, "size": str(len(self.data)),
                "crc32c": crc, "md5Hash": md5,
                "timeCreated": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.created))}


@dataclass
class FakeBucket:
    retention_seconds: int = 0
    objects: dict[str, StoredObject] = field(default_factory=dict)


class FakeGcs:
    def __init__(self) -> None:
        self.buckets: dict[str, FakeBucket] = {}
        self.lock = threading.Lock()
        self._generation = int(time.time() * 1_000_000)
        self.requests: list[tuple[str, str]] = []  # (method, path?query) as received

    def create_bucket(self, name: str, retention_seconds: int = 0) -> None:
        self.buckets[name] = FakeBucket(retention_seconds)

    def next_generation(self) -> int:
        self._generation += 1
        return self._generation


def _error(code: int, reason: str, message: str) -> tuple[int, dict]:
    return code, {"error": {"code": code, "message": message,
                            "errors": [{"reason": reason, "message": message}]}}


def _multipart(body: bytes, content_type: str) -> tuple[dict, bytes]:
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    parts = [p for p in body.split(b"--" + boundary) if p not in (b"", b"--", b"--\r\n")]
    sections = []
    for part in parts:
        _headers, _, content = part.partition(b"\r\n\r\n")
        sections.append(content[:-2] if content.endswith(b"\r\n") else content)
    return json.loads(sections[0]), sections[1]


def _handler(state: FakeGcs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, code: int, payload: dict | bytes | None, headers: dict | None = None):
            body = payload if isinstance(payload, bytes) else json.dumps(payload or {}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream" if isinstance(
                payload, bytes) else "application/json")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self) -> tuple[list[str], dict[str, str]]:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            return [unquote(p) for p in url.path.strip("/").split("/")], query

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self):
            state.requests.append(("POST", self.path))
            parts, query = self._route()
            body = self._body()
            if parts[:5] != ["upload", "storage", "v1", "b", parts[4]] or \
                    query.get("uploadType") != "multipart":
                return self._send(*_error(400, "invalid", f"unsupported {self.path}"))
            bucket = state.buckets.get(parts[4])
            if bucket is None:
                return self._send(*_error(404, "notFound", "no such bucket"))
            metadata, data = _multipart(body, self.headers["Content-Type"])
            name = query.get("name") or metadata["name"]
            with state.lock:
                live = bucket.objects.get(name)
                wanted = query.get("ifGenerationMatch")
                if wanted is not None and int(wanted) != (live.generation if live else 0):
                    return self._send(*_error(412, "conditionNotMet",
                                              "At least one of the pre-conditions you specified "
                                              "did not hold."))
                if live and time.time() - live.created < bucket.retention_seconds:
                    return self._send(*_error(403, "retentionPolicyNotMet", (
                        f"Object '{name}' is subject to bucket's retention policy and cannot be "
                        "deleted, overwritten or archived until its retention expires")))
                stored = StoredObject(name, data, state.next_generation(), time.time(),
                                      metadata.get("contentType", "application/octet-stream"))
                bucket.objects[name] = stored
            return self._send(200, stored.resource(parts[4]))

        def do_GET(self):
            state.requests.append(("GET", self.path))
            parts, query = self._route()
            download = parts[:1] == ["download"]
            if download:
                parts = parts[1:]
            if parts[:4] != ["storage", "v1", "b", parts[3]] or len(parts) < 5:
                return self._send(*_error(400, "invalid", f"unsupported {self.path}"))
            bucket_name = parts[3]
            bucket = state.buckets.get(bucket_name)
            if bucket is None:
                return self._send(*_error(404, "notFound", "no such bucket"))
            if parts[4:] == ["o"]:
                prefix = query.get("prefix", "")
                items = [o.resource(bucket_name) for n, o in sorted(bucket.objects.items())
                         if n.startswith(prefix)]
                return self._send(200, {"kind": "storage#objects", "items": items})
            name = "/".join(parts[5:])
            stored = bucket.objects.get(name)
            generation = query.get("generation")
            if stored is None or (generation and int(generation) != stored.generation):
                return self._send(*_error(404, "notFound", f"No such object: {name}"))
            if download or query.get("alt") == "media":
                resource = stored.resource(bucket_name)
                return self._send(200, stored.data, {
                    "X-Goog-Hash": f"crc32c={resource['crc32c']},md5={resource['md5Hash']}",
                    "X-Goog-Generation": str(stored.generation)})
            return self._send(200, stored.resource(bucket_name))

        def do_DELETE(self):
            state.requests.append(("DELETE", self.path))
            parts, _query = self._route()
            bucket = state.buckets.get(parts[3]) if len(parts) > 5 else None
            name = "/".join(parts[5:])
            if bucket is None or name not in bucket.objects:
                return self._send(*_error(404, "notFound", f"No such object: {name}"))
            with state.lock:
                if time.time() - bucket.objects[name].created < bucket.retention_seconds:
                    return self._send(*_error(403, "retentionPolicyNotMet", (
                        f"Object '{name}' is subject to bucket's retention policy and cannot be "
                        "deleted, overwritten or archived until its retention expires")))
                del bucket.objects[name]
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def serve() -> Iterator[tuple[FakeGcs, str]]:
    """A fake on 127.0.0.1 (a free port); yields (state, endpoint URL)."""
    state = FakeGcs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
