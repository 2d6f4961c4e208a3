"""istiod's own serving certificate, as istiod issues it with the plugged-in intermediate.

istiod signs a certificate for its DNS names (no URI SAN, empty subject, SAN critical) with the
CA in `cacerts` and serves it on 15012 (xDS + CA) and 15017 (webhooks): pilot/pkg/bootstrap/
certcontroller.go initDNSCertsIstiod, server.go getDNSNames, security/pkg/pki/util/san.go
(https://github.com/istio/istio/blob/1.30.3/). Proxies (istio-agent) and the API server check it
against the mesh's roots and the names it is called by.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Sequence

from cryptography import x509

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.pki.tls import _pem_file

# getDNSNames: "istiod", "istiod-remote", "istio-pilot" in the istiod namespace.
ISTIOD_NAMES = ("istio-pilot.istio-system.svc", "istiod-remote.istio-system.svc",
                "istiod.istio-system.svc")
TIMEOUT = 5.0


def issue_serving_certificate(issuer: pki.CertifiedKey, names: Sequence[str] = ISTIOD_NAMES
                              ) -> pki.CertifiedKey:
    key = pki.generate_key()
    start, end = pki._validity(None, pki.dt.timedelta(days=1), issuer.certificate)
    certificate = pki._issue(issuer, key, x509.Name([]), (start, end), [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (pki._signing_key_usage(), True),
        (x509.ExtendedKeyUsage([pki.ExtendedKeyUsageOID.SERVER_AUTH,
                                pki.ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), True),
    ])
    return pki.CertifiedKey(certificate, key, chain=(issuer.certificate,))


def connect(server: pki.CertifiedKey, bundle_pem: str, hostname: str) -> str | None:
    """A client that trusts `bundle_pem` calls `hostname` on a server presenting `server`'s
    chain (OpenSSL checks chain, name constraints and the host name). None when it is
    accepted, else the client's error."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with _pem_file(server.chain_pem()) as chain, _pem_file(server.private_key_pem()) as key:
        server_context.load_cert_chain(chain, key)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.verify_flags |= ssl.VERIFY_X509_STRICT
    with _pem_file(bundle_pem) as anchors:
        client_context.load_verify_locations(cafile=anchors)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            with server_context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=TIMEOUT) as raw, \
                client_context.wrap_socket(raw, server_hostname=hostname) as tls:
            tls.sendall(b"x")
        return None
    except ssl.SSLError as exc:
        return str(exc)
    finally:
        thread.join(TIMEOUT * 2)
        listener.close()
