"""The immutability lock's provider against a local fake ARM endpoint: the request shape (URL,
api-version, PATCH body) is whatever Microsoft's azure-mgmt-storage sends, recorded here; a
policy that does not read back Locked stops the deployment."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.storage import StorageManagementClient

from zero_trust_clusters.components.azure.immutability_lock import (
    KIND,
    AccountImmutabilityLockProvider,
    ImmutabilityLockError,
)

SUB = "00000000-0000-0000-0000-000000000001"
PATH = (f"/subscriptions/{SUB}/resourceGroups/rg-audit/providers/Microsoft.Storage/"
        "storageAccounts/stauditdev")
PROPS = {"ztcKind": KIND, "accountId": PATH, "immutabilityPeriodSinceCreationInDays": 400,
         "allowProtectedAppendWrites": True}


@dataclass
class FakeArm:
    """One storage account; `honours_lock=False` answers a PATCH without changing the state."""
    state: str = "Unlocked"
    period: int = 400
    honours_lock: bool = True
    requests: list[tuple[str, str, dict[str, list[str]], Any]] = field(default_factory=list)

    def account(self) -> dict[str, Any]:
        return {"id": PATH, "name": "stauditdev", "type": "Microsoft.Storage/storageAccounts",
                "location": "westeurope", "kind": "StorageV2",
                "properties": {"immutableStorageWithVersioning": {
                    "enabled": True, "immutabilityPolicy": {
                        "immutabilityPeriodSinceCreationInDays": self.period,
                        "state": self.state, "allowProtectedAppendWrites": True}}}}


@pytest.fixture
def arm() -> Iterator[tuple[FakeArm, str]]:
    fake = FakeArm()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            fake.requests.append((self.command, url.path, parse_qs(url.query), body))
            assert self.headers["Authorization"] == "Bearer fake-token"
            if url.path != PATH:
                self.send_response(404)
                self.end_headers()
                return
            if self.command == "PATCH" and fake.honours_lock:
                policy = body["properties"]["immutableStorageWithVersioning"][
                    "immutabilityPolicy"]
                fake.state = policy.get("state", fake.state)
                fake.period = policy.get("immutabilityPeriodSinceCreationInDays", fake.period)
            payload = json.dumps(fake.account()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PATCH = _answer

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class FakeCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", 4102444800)


class FakeBearer(SansIOHTTPPolicy):
    """The bearer header without azure-core's https-only check (the fake endpoint is http)."""

    def __init__(self, credential: FakeCredential) -> None:
        self.credential = credential

    def on_request(self, request) -> None:
        token = self.credential.get_token("https://management.azure.com/.default").token
        request.http_request.headers["Authorization"] = f"Bearer {token}"


def provider(base_url: str, seen: list[str]) -> AccountImmutabilityLockProvider:
    def factory(subscription_id: str, settings: Mapping[str, Any]) -> StorageManagementClient:
        seen.append(subscription_id)
        credential = FakeCredential()
        return StorageManagementClient(credential, subscription_id, base_url=base_url,
                                       authentication_policy=FakeBearer(credential),
                                       retry_total=0)
    return AccountImmutabilityLockProvider(client_factory=factory)


def test_create_patches_the_account_policy_to_locked_and_reads_it_back(arm):
    fake, url = arm
    subscriptions: list[str] = []
    result = provider(url, subscriptions).create(dict(PROPS))
    assert subscriptions == [SUB]  # taken from the account's ARM id
    assert [(method, path) for method, path, _, _ in fake.requests] == [
        ("GET", PATH), ("PATCH", PATH), ("GET", PATH)]
    _, _, query, body = fake.requests[1]
    assert query == {"api-version": ["2026-09-01"]}  # azure-mgmt-storage 25.3.0's default
    # Storage Accounts - Update: the policy with state Locked, `enabled` left out (creation only).
    assert body == {"properties": {"immutableStorageWithVersioning": {"immutabilityPolicy": {
        "immutabilityPeriodSinceCreationInDays": 400, "state": "Locked",
        "allowProtectedAppendWrites": True}}}}
    assert result.id == f"{PATH}/immutabilityLock"
    assert result.outs["state"] == "Locked" and result.outs["lockedPeriodDays"] == 400
    assert fake.state == "Locked"


def test_a_policy_that_reads_back_unlocked_fails_the_deployment(arm):
    fake, url = arm
    fake.honours_lock = False
    with pytest.raises(ImmutabilityLockError, match="reads back as state 'Unlocked'"):
        provider(url, []).create(dict(PROPS))


def test_a_locked_policy_is_not_patched_again_but_still_verified(arm):
    fake, url = arm
    fake.state = "Locked"
    provider(url, []).create(dict(PROPS))
    assert [m for m, _, _, _ in fake.requests] == ["GET", "GET"]
    fake.period = 30  # locked, but shorter than declared
    with pytest.raises(ImmutabilityLockError, match="period 30 days"):
        provider(url, []).create(dict(PROPS))


def test_a_disabled_policy_is_refused_before_any_change(arm):
    fake, url = arm
    fake.state = "Disabled"
    with pytest.raises(ImmutabilityLockError, match="is Disabled, not Unlocked"):
        provider(url, []).create(dict(PROPS))
    assert [m for m, _, _, _ in fake.requests] == ["GET"]


def test_only_another_account_replaces_the_lock_and_delete_is_a_no_op(arm):
    fake, url = arm
    p = provider(url, [])
    assert p.diff("id", PROPS, dict(PROPS)).changes is False
    other = {**PROPS, "accountId": PATH.replace("stauditdev", "other")}
    assert p.diff("id", PROPS, other).replaces == ["accountId"]
    longer = {**PROPS, "immutabilityPeriodSinceCreationInDays": 500}
    assert p.diff("id", PROPS, longer).replaces == []
    assert p.delete("id", PROPS) is None
    assert fake.requests == []  # delete sends nothing: a locked policy cannot be removed


def test_an_id_that_is_no_storage_account_is_refused():
    bad = {**PROPS, "accountId": f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
           "Microsoft.KeyVault/vaults/kv"}
    with pytest.raises(ImmutabilityLockError, match="not a storage account"):
        AccountImmutabilityLockProvider(client_factory=lambda sub, settings: None).create(bad)
