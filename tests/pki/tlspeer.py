"""Two workloads on loopback: a real TLS 1.3 mutual handshake with Python's ssl (OpenSSL)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from zero_trust_clusters.components.pki.authority import CertifiedKey
from zero_trust_clusters.components.pki.formats import trust_bundle_pem
from zero_trust_clusters.components.pki.tls import authorize_peer, mtls_context

TIMEOUT = 5.0


@dataclass
class Workload:
    """What a workload holds: its SVID + key, the trust bundle, and CRLs it checks."""

    svid: CertifiedKey
    bundle_pem: str
    crl_pems: tuple[str, ...] = ()

    def context(self, side: str) -> ssl.SSLContext:
        return mtls_context(
            side,  # type: ignore[arg-type]
            chain_pem=self.svid.chain_pem(),
            key_pem=self.svid.private_key_pem(),
            trust_bundle_pem=self.bundle_pem,
            crl_pems=self.crl_pems,
        )


@dataclass
class Outcome:
    server_saw: str | None = None
    client_saw: str | None = None
    server_error: str | None = None
    client_error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.server_error is None
            and self.client_error is None
            and self.server_saw is not None
            and self.client_saw is not None
        )

    @property
    def errors(self) -> str:
        return f"server: {self.server_error} | client: {self.client_error}"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def exchange(
    server: Workload, client: Workload, *, allowed_trust_domains: Iterable[str] | None = None
) -> Outcome:
    """Client connects, both sides authorize the peer's SPIFFE ID, then ping/pong."""
    outcome = Outcome()
    allowed = list(allowed_trust_domains) if allowed_trust_domains is not None else None
    server_context, client_context = server.context("server"), client.context("client")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)
    address = listener.getsockname()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(TIMEOUT)
            with server_context.wrap_socket(conn, server_side=True) as tls:
                outcome.server_saw = authorize_peer(tls, allowed_trust_domains=allowed).spiffe_id
                data = tls.recv(64)
                tls.sendall(b"pong:" + data)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome.server_error = _describe(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with (
            socket.create_connection(address, timeout=TIMEOUT) as raw,
            client_context.wrap_socket(raw) as tls,
        ):
            seen = authorize_peer(tls, allowed_trust_domains=allowed).spiffe_id
            tls.sendall(b"ping")
            reply = tls.recv(64)
            if reply != b"pong:ping":
                raise ConnectionError(f"the server closed the connection (got {reply!r})")
            outcome.client_saw = seen
    except Exception as exc:  # noqa: BLE001 - reported to the test
        outcome.client_error = _describe(exc)
    finally:
        thread.join(TIMEOUT * 2)
        listener.close()
    return outcome


def bundle_of(*roots: CertifiedKey) -> str:
    return trust_bundle_pem([r.certificate_pem for r in roots])
