"""Two meshed workloads on loopback, judged the way their Istio sidecars judge each other.

Only what we render goes in: the cluster's `cacerts` Secret (the intermediate istiod signs
with, and the roots), istiod's meshConfig (its trust domain and `caCertificates[].trustDomains`)
and the AuthorizationPolicy objects. What Envoy does with them (Istio 1.30.3), reproduced here:
- chain validation against the mesh's roots, name constraints included (BoringSSL; OpenSSL
  here, which enforces DNS and URI subtrees the same way);
- the peer's URI SAN must start with `spiffe://<td>/` for a td in `TrustDomainsForValidation`
  = meshConfig.trustDomain + caCertificates[].trustDomains (pilot/pkg/networking/plugin/authn/
  util.go; the prefix matchers of pilot/pkg/security/model/authentication.go);
- the client checks the server's SAN is the destination's identity (ISTIO_MUTUAL); across
  clusters, the `subjectAltNames` of the rendered DestinationRule for the route's host in the
  caller's namespace, sent with the rule's `sni`;
- the callee's east-west gateway (AUTO_PASSTHROUGH) forwards only an SNI
  `outbound_.<port>_.<subset>_.<host>` whose host its rendered Gateway lists;
- STRICT: a client certificate is required;
- authorization on the principal (the SAN without `spiffe://`): any matching DENY denies; with
  no ALLOW policy everything is allowed; else some ALLOW policy must match. A policy with no
  rules matches nothing; a principal ending in `*` is a prefix match
  (https://istio.io/latest/docs/concepts/security/#authorization-policy-precedence).
No SPIFFE rule of our own is applied, so what passes here is what the proxies would let pass.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from dataclasses import dataclass

from cryptography import x509

from tests.pki.tlspeer import Outcome  # the same handshake verdict as the PKI tests
from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.pki.tls import _pem_file, mtls_context, peer_chain

TIMEOUT = 5.0
SPIFFE = "spiffe://"


@dataclass(frozen=True)
class ClusterMesh:
    """What one cluster's mesh holds, read from the rendered objects and istiod's values."""

    trust_domain: str
    signer: pki.CertifiedKey  # cacerts ca-cert.pem + ca-key.pem (what istiod signs with)
    signer_chain_pem: str  # cacerts cert-chain.pem (appended to every leaf istiod issues)
    roots_pem: str  # cacerts root-cert.pem (the sidecars' trust anchors)
    validation_trust_domains: tuple[str, ...]
    authorization_policies: tuple[dict, ...]
    destination_rules: tuple[dict, ...] = ()
    # Hosts the east-west gateway passes through (its AUTO_PASSTHROUGH servers' hosts).
    passthrough_hosts: tuple[str, ...] = ()

    @classmethod
    def from_rendered(cls, objects: list[dict], istiod_values: dict) -> ClusterMesh:
        (secret,) = [o for o in objects if o["kind"] == "Secret"
                     and o["metadata"]["name"] == "cacerts"]
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        mesh = istiod_values["meshConfig"]
        domains = [mesh["trustDomain"]] + [td for entry in mesh.get("caCertificates", [])
                                           for td in entry.get("trustDomains", [])]
        signer = pki.CertifiedKey(pki.load_certificate(data["ca-cert.pem"]),
                                  pki.load_private_key(data["ca-key.pem"]))
        passthrough = tuple(host for o in objects if o["kind"] == "Gateway"
                            for server in o["spec"]["servers"]
                            if server.get("tls", {}).get("mode") == "AUTO_PASSTHROUGH"
                            for host in server["hosts"])
        return cls(mesh["trustDomain"], signer, data["cert-chain.pem"], data["root-cert.pem"],
                   tuple(dict.fromkeys(domains)),
                   tuple(o for o in objects if o["kind"] == "AuthorizationPolicy"),
                   tuple(o for o in objects if o["kind"] == "DestinationRule"),
                   passthrough)

    def route(self, namespace: str, host: str) -> dict:
        """The ISTIO_MUTUAL settings a sidecar in `namespace` uses for `host`: the rendered
        DestinationRule visible there (`exportTo: ["."]`), or a Refused error."""
        for rule in self.destination_rules:
            if (rule["spec"]["host"] == host and rule["metadata"]["namespace"] == namespace
                    and rule["spec"].get("exportTo") == ["."]):
                return rule["spec"]["trafficPolicy"]["tls"]
        raise Refused(f"no route to {host} in namespace {namespace}")

    def workload(self, namespace: str, service_account: str) -> Workload:
        """The SVID istiod issues this workload: signed with cacerts, chain appended."""
        spiffe = pki.spiffe_id(self.trust_domain, namespace, service_account)
        return self.workload_with(pki.issue_workload_certificate(self.signer, spiffe),
                                  namespace)

    def workload_with(self, svid: pki.CertifiedKey, namespace: str) -> Workload:
        return Workload(self, namespace, svid)


@dataclass(frozen=True)
class Workload:
    mesh: ClusterMesh
    namespace: str
    svid: pki.CertifiedKey

    @property
    def spiffe_id(self) -> str:
        san = self.svid.certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        return san.get_values_for_type(x509.UniformResourceIdentifier)[0]

    def chain_pem(self) -> str:
        return self.svid.certificate_pem + self.mesh.signer_chain_pem

    def context(self, side: str) -> ssl.SSLContext:
        return mtls_context(side, chain_pem=self.chain_pem(),  # type: ignore[arg-type]
                            key_pem=self.svid.private_key_pem(),
                            trust_bundle_pem=self.mesh.roots_pem)


class Refused(Exception):
    pass


def _peer_identity(sock: ssl.SSLSocket, trust_domains: tuple[str, ...]) -> str:
    uris = peer_chain(sock)[0].extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.UniformResourceIdentifier)
    if not any(u.startswith(f"{SPIFFE}{td}/") for u in uris for td in trust_domains):
        raise Refused(f"SAN {uris} matches no trust domain of {list(trust_domains)}")
    return uris[0]


def _principal_matches(pattern: str, principal: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return principal.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return principal.endswith(pattern[1:])
    return principal == pattern


def _policy_matches(policy: dict, principal: str) -> bool:
    for rule in policy.get("spec", {}).get("rules", []):
        sources = [f.get("source", {}) for f in rule.get("from", [])] or [{}]
        if any(not s or any(_principal_matches(p, principal) for p in s.get("principals", []))
               for s in sources):
            return True
    return False


def authorize(policies: tuple[dict, ...], namespace: str, principal: str) -> str | None:
    """None when Istio's authorization allows `principal` into a workload of `namespace`
    (namespace-wide and root-namespace policies), else why not."""
    applicable = [p for p in policies
                  if p["metadata"]["namespace"] in (namespace, "istio-system")
                  and not p.get("spec", {}).get("selector")]
    by_action: dict[str, list[dict]] = {}
    for p in applicable:
        by_action.setdefault(p.get("spec", {}).get("action", "ALLOW"), []).append(p)
    if any(_policy_matches(p, principal) for p in by_action.get("DENY", [])):
        return "denied by a DENY policy"
    allows = by_action.get("ALLOW", [])
    if not allows or any(_policy_matches(p, principal) for p in allows):
        return None
    names = ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in allows)
    return f"RBAC: access denied ({principal} matches none of {names})"


def _passthrough_host(sni: str | None) -> str | None:
    """The host of an `outbound_.<port>_.<subset>_.<host>` SNI (what AUTO_PASSTHROUGH routes
    on), or None."""
    if not sni or not sni.startswith("outbound_."):
        return None
    parts = sni.split("_.", 3)
    return parts[3] if len(parts) == 4 else None


def call_across(server: Workload, client: Workload, host: str) -> Outcome:
    """`client` calls `host` (a route to a service on `server`'s cluster) as the caller's
    sidecar does: with the DestinationRule of its namespace (expected SAN, SNI), through the
    callee's east-west gateway (passthrough by SNI), to `server`."""
    try:
        tls = client.mesh.route(client.namespace, host)
    except Refused as exc:
        return Outcome(client_error=f"Refused: {exc}")
    (expected,) = tls["subjectAltNames"]
    return call(server, client, expect=expected, sni=tls["sni"], via_gateway=True)


def call(server: Workload, client: Workload | None, *, plaintext: bool = False,
         expect: str | None = None, sni: str | None = None,
         via_gateway: bool = False) -> Outcome:
    """`client` calls `server` through both sidecars; `client=None` is a caller with no
    certificate (TLS without one, or plaintext). The client expects the server's own identity
    unless told another (`expect`, the destination service's). `via_gateway`: through the
    server cluster's east-west gateway, which forwards only the SNIs it passes through."""
    outcome = Outcome()
    server_context = server.context("server")
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: seen_sni.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(TIMEOUT)
            with server_context.wrap_socket(conn, server_side=True) as tls:
                if via_gateway:
                    host = _passthrough_host(seen_sni[0] if seen_sni else None)
                    if host not in server.mesh.passthrough_hosts:
                        tls.sendall(b"404")
                        raise Refused(f"the east-west gateway passes no route for SNI "
                                      f"{seen_sni[0] if seen_sni else None!r}")
                seen = _peer_identity(tls, server.mesh.validation_trust_domains)
                principal = seen.removeprefix(SPIFFE)
                denied = authorize(server.mesh.authorization_policies, server.namespace,
                                   principal)
                if denied:
                    tls.sendall(b"403")
                    raise Refused(denied)
                outcome.server_saw = principal
                tls.sendall(b"pong:" + tls.recv(64))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome.server_error = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=TIMEOUT) as raw:
            if plaintext:
                raw.sendall(b"GET / HTTP/1.1\r\n\r\n")
                reply = raw.recv(64)
                raise Refused(f"plaintext refused (got {reply!r})")
            context = client.context("client") if client else _anonymous(server)
            with context.wrap_socket(raw, server_hostname=sni) as tls:
                expected = expect or server.spiffe_id  # ISTIO_MUTUAL: the destination's
                seen = _peer_identity(tls, client.mesh.validation_trust_domains
                                      if client else (server.mesh.trust_domain,))
                if seen != expected:
                    raise Refused(f"server presented {seen}, expected {expected}")
                tls.sendall(b"ping")
                reply = tls.recv(64)
                if reply != b"pong:ping":
                    raise Refused(f"request refused (got {reply!r})")
                outcome.client_saw = seen.removeprefix(SPIFFE)
    except Exception as exc:  # noqa: BLE001 - reported to the test
        outcome.client_error = f"{type(exc).__name__}: {exc}"
    finally:
        thread.join(TIMEOUT * 2)
        listener.close()
    return outcome


def _anonymous(server: Workload) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    with _pem_file(server.mesh.roots_pem) as anchors:
        context.load_verify_locations(cafile=anchors)
    return context
