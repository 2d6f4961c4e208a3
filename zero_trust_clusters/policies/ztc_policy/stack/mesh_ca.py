"""The mesh's CA on a cluster our PKI did not issue (issue 14 part 2, "any program").

ZT-MTLS-SHARED-ROOT means one portable root shared by every cluster, each cluster signing its
workloads' identities with its own intermediate under it. Our components prove it with the
pki-root / pki-intermediate dynamic resources (rules/pki.py, rules.one_root). A program that
did not use them may hold the same thing in one of two ways Istio takes a CA:
- Istio's plug-in CA: a Secret `cacerts` in istio-system with `ca-cert.pem` (the signing CA),
  `ca-key.pem`, `cert-chain.pem` and `root-cert.pem`
  (https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/; the same keys
  as components/kubernetes/delivery.py ISTIO_KEYS);
- cert-manager's istio-csr (Helm chart `cert-manager-istio-csr`), which has istiod's and the
  workloads' certificates signed by the issuer its values name: `app.certmanager.issuer`
  {name: istio-ca, kind: Issuer, group: cert-manager.io} in `app.certmanager.namespace`
  (istio-system) by default (https://github.com/cert-manager/istio-csr, deploy/charts/istio-csr/
  values.yaml). That issuer must be a CA issuer: `spec.ca.secretName` names a Secret holding
  `tls.crt` / `tls.key` and optionally `ca.crt`, in the Issuer's namespace or, for a
  ClusterIssuer, in cert-manager's cluster resource namespace (https://cert-manager.io/docs/
  configuration/ca/, https://cert-manager.io/docs/configuration/#cluster-resource-namespace;
  the vendored CRD zero_trust_clusters/engine/schema/data/crds/cert-manager/v1.19.1).

Whose root? The CA material is followed to the certificate that made it: a pulumi-tls
`LocallySignedCert` (the intermediate, `isCaCertificate: true`) and through its `caCertPem` to
a `SelfSignedCert` (the root) or to our pki-root; or a cert-manager `Certificate` with
`spec.isCA: true` writing the Secret, through its `spec.issuerRef` to the issuer that signed it.
References are the engine's property dependencies (unknown values at a first preview) or known
PEM values. Two clusters share a root when their chains end on the same resource, or on the same
root certificate PEM. A root made inside the cluster (a cert-manager `selfSigned` issuer) is
no cluster's but this one's: never shared, so it fails. So does a CA Secret signing with the
root itself (the root's key in every cluster), one no resource writes, or a certificate that is
not a CA. A shared root issuer in the cluster (a CA issuer holding the root, which signs the
cluster's own `isCA` Certificate) is accepted, as the root's key then sits in every cluster only
to mint intermediates: that exposure is not judged.

Not judged on this path: the per-cluster confinement our intermediates carry as X.509 name
constraints (rules.mesh_enforced). pulumi-tls certificates cannot carry any, and a cert-manager
Certificate's `spec.nameConstraints` are not read; only the chain to one shared root is proven.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import types as t
from ..rules.kubernetes import MESH_ROOT_NAMESPACE, k8s_name
from ..rules.pki import INTERMEDIATE, ROOT, pki_kind
from ..values import MISSING, UNKNOWN, as_bool, contains_unknown, is_unknown, lookup
from .graph import Node, chart_name, releases_of

CACERTS = "cacerts"
CACERTS_SIGNER, CACERTS_ROOT = "ca-cert.pem", "root-cert.pem"
TLS_SIGNER, TLS_ROOT = "tls.crt", "ca.crt"  # a cert-manager CA issuer's Secret
ISTIO_CSR_CHART = "cert-manager-istio-csr"
CERT_MANAGER_CHART = "cert-manager"
CERT_MANAGER_GROUP = "cert-manager.io"
# istio-csr's chart defaults (values.yaml app.certmanager).
ISTIO_CSR_ISSUER = {"name": "istio-ca", "kind": "Issuer", "group": CERT_MANAGER_GROUP}
# cert-manager's cluster resource namespace: the chart's `clusterResourceNamespace`, empty
# meaning the release's namespace (vendored charts/cert-manager/v1.19.1/values.yaml); without
# the release in view, the documented default.
DEFAULT_CLUSTER_RESOURCE_NAMESPACE = "cert-manager"
DEFAULT_NAMESPACE = "default"  # where the API server puts a namespaced object that names none
PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
MAX_DEPTH = 8  # issuer -> Certificate -> issuer ...: a cycle or a long chain ends here


def is_cacerts(n: Node) -> bool:
    return (n.type == t.K8S_SECRET and lookup(n.props, "metadata.namespace") == MESH_ROOT_NAMESPACE
            and lookup(n.props, "metadata.name") == CACERTS)


def is_istio_csr(n: Node) -> bool:
    return n.type == t.HELM_RELEASE and chart_name(n) == ISTIO_CSR_CHART


def is_mesh_ca(n: Node) -> bool:
    return is_cacerts(n) or is_istio_csr(n)


STACK_REFERENCE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class Root:
    key: str  # "resource:<urn>" or "pem:<certificate>"
    label: str  # how a message names it


@dataclass
class Chain:
    """Where one mesh CA leads: its root, what is wrong on the way, what cannot be seen."""

    what: str
    root: Root | None = None
    problems: list[str] = field(default_factory=list)
    unknown: str = ""  # what could not be followed ("" if nothing)
    why: str = "value unknown"
    from_stack_reference: bool = False  # the material comes from another stack's outputs
    signer: str = ""  # the signing CA: "resource:<urn>" or "pem:<certificate>" ("" unknown)


def _pem_blocks(text: str) -> list[str]:
    return [PEM_BEGIN + b.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----"
            for b in text.split(PEM_BEGIN)[1:]]


def _normal(pem: str) -> str:
    return "".join(pem.split())


def fingerprint(pem: str) -> str | None:
    """SHA-256 of a PEM certificate's DER bytes, lowercase hex (how our pki-root states its
    `fingerprintSha256`, components/pki/authority.py); None if the body is not base64."""
    body = pem.split(PEM_BEGIN, 1)[-1].split("-----END CERTIFICATE-----", 1)[0]
    try:
        return hashlib.sha256(base64.b64decode("".join(body.split()), validate=True)).hexdigest()
    except (ValueError, binascii.Error):
        return None


def _secret_value(secret: Node, key: str) -> object:
    """A Secret's entry as the API server stores it: `stringData` overrides `data`, whose
    values are base64 (https://kubernetes.io/docs/concepts/configuration/secret/)."""
    for where, encoded in (("stringData", False), ("data", True)):
        entries = secret.props.get(where)
        if is_unknown(entries):
            return UNKNOWN
        if not isinstance(entries, dict) or key not in entries:
            continue
        value = entries[key]
        if is_unknown(value) or not isinstance(value, str):
            return UNKNOWN if is_unknown(value) else value
        if not encoded:
            return value
        try:
            return base64.b64decode(value, validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return value  # not base64: the API server refuses it; judged as given
    return MISSING


class Resolver:
    """Follows one cluster's mesh CAs to their roots."""

    def __init__(self, owned: list[Node], nodes: list[Node], by_urn: Mapping[str, Node]) -> None:
        self.owned = owned
        self.by_urn = by_urn
        self.certs_by_pem: dict[str, Node] = {}
        for n in nodes:
            pem = n.props.get("certPem") if n.type in t.TLS_CERTS else None
            if isinstance(pem, str) and not is_unknown(pem) and PEM_BEGIN in pem:
                self.certs_by_pem.setdefault(_normal(_pem_blocks(pem)[0]), n)
        # Our pki-root by the fingerprint it states: a known PEM elsewhere may be its certificate.
        self.pki_roots_by_fp = {fp.lower(): n for n in nodes if pki_kind(n) == ROOT and isinstance(
            fp := n.props.get("fingerprintSha256"), str) and not is_unknown(fp)}
        releases = releases_of(owned, CERT_MANAGER_CHART)
        self.cluster_resource_namespace = DEFAULT_CLUSTER_RESOURCE_NAMESPACE
        for rel in releases:
            chosen = lookup(rel.props, "values.clusterResourceNamespace")
            namespace = lookup(rel.props, "namespace")
            if isinstance(chosen, str) and chosen:
                self.cluster_resource_namespace = chosen
            elif isinstance(namespace, str) and namespace:
                self.cluster_resource_namespace = namespace

    # --- the mesh's CAs ----------------------------------------------------------------------
    def resolve(self, n: Node) -> Chain:
        if is_cacerts(n):
            chain = Chain(f"Istio's plug-in CA Secret {MESH_ROOT_NAMESPACE}/{CACERTS}")
            self._secret(n, CACERTS_SIGNER, CACERTS_ROOT, chain)
            return chain
        return self._istio_csr(n)

    def _istio_csr(self, rel: Node) -> Chain:
        chain = Chain(f"istio-csr (Helm release {rel.name})")
        values = lookup(rel.props, "values")
        if contains_unknown(values):
            chain.unknown = f"Helm release {rel.name} values"
            return chain
        if as_bool(lookup(values, "app.certmanager.issuer.enabled")) is False:
            chain.unknown = f"the issuer istio-csr {rel.name} reads from its runtime configuration"
            chain.why = "a runtime-configuration ConfigMap is not followed"
            return chain
        ref = {k: lookup(values, f"app.certmanager.issuer.{k}") for k in ISTIO_CSR_ISSUER}
        ref = {k: (v if isinstance(v, str) and v else ISTIO_CSR_ISSUER[k]) for k, v in ref.items()}
        namespace = lookup(values, "app.certmanager.namespace")
        namespace = namespace if isinstance(namespace, str) and namespace else MESH_ROOT_NAMESPACE
        self._issuer_ref(ref, namespace, chain, depth=0, via=f"istio-csr {rel.name}")
        return chain

    # --- cert-manager ------------------------------------------------------------------------
    def _issuer_ref(self, ref: Mapping[str, object], namespace: str, chain: Chain, depth: int,
                    via: str) -> None:
        """Follow an issuerRef {name, kind, group} used from `namespace`."""
        name, kind, group = ref.get("name"), ref.get("kind") or "Issuer", \
            ref.get("group") or CERT_MANAGER_GROUP
        if group != CERT_MANAGER_GROUP or kind not in ("Issuer", "ClusterIssuer"):
            chain.unknown = f"the root of {via}'s issuer {group}/{kind} {name}"
            chain.why = "an external issuer is not followed"
            return
        type_ = t.CM_ISSUER if kind == "Issuer" else t.CM_CLUSTER_ISSUER
        found = [n for n in self.owned if n.type == type_ and k8s_name(n) == name and (
            kind == "ClusterIssuer" or self._namespace(n) == namespace)]
        if not found:
            where = name if kind == "ClusterIssuer" else f"{namespace}/{name}"
            chain.problems.append(f"{via} names {kind} {where}, which is not in the stack: "
                                  "nothing proves which root it signs under")
            return
        self._issuer(found[0], chain, depth)

    def _namespace(self, n: Node) -> str:
        namespace = lookup(n.props, "metadata.namespace")
        return namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE

    def _issuer(self, issuer: Node, chain: Chain, depth: int) -> None:
        label = f"{issuer.type.rsplit(':', 1)[-1]} {k8s_name(issuer)}"
        spec = lookup(issuer.props, "spec")
        if contains_unknown(spec):
            chain.unknown = f"{label} spec"
            return
        if depth > MAX_DEPTH:
            chain.problems.append(f"{label}: the issuer chain loops or is longer than "
                                  f"{MAX_DEPTH} links")
            return
        if lookup(issuer.props, "spec.selfSigned") is not MISSING:
            chain.problems.append(f"{label} is a selfSigned issuer: the root it makes is this "
                                  "cluster's own, shared with no other cluster")
            chain.root = Root(f"resource:{issuer.urn}", f"the self-signed {label}")
            return
        secret_name = lookup(issuer.props, "spec.ca.secretName")
        if not isinstance(secret_name, str) or not secret_name:
            other = next((k for k in ("vault", "venafi", "acme") if isinstance(
                lookup(issuer.props, f"spec.{k}"), dict)), None)
            if other in ("vault", "venafi"):
                chain.unknown = f"the root of {label} ({other} issuer)"
                chain.why = f"a {other} issuer's CA is outside the stack"
            else:
                chain.problems.append(f"{label} is not a CA issuer (no spec.ca.secretName): "
                                      "it signs under no root this estate holds")
            return
        namespace = self.cluster_resource_namespace if issuer.type == t.CM_CLUSTER_ISSUER \
            else self._namespace(issuer)
        where = f"{namespace}/{secret_name}"
        secrets = [n for n in self.owned if n.type == t.K8S_SECRET and k8s_name(n) == secret_name
                   and self._namespace(n) == namespace]
        if secrets:
            # Reached through a Certificate's issuerRef (depth > 0), the issuer is the one that
            # mints the cluster's intermediate: its Secret may hold the shared root itself.
            self._secret(secrets[0], TLS_SIGNER, TLS_ROOT, chain, upstream=depth > 0)
            return
        certs = [n for n in self.owned if n.type == t.CM_CERTIFICATE
                 and lookup(n.props, "spec.secretName") == secret_name
                 and self._namespace(n) == namespace]
        if not certs:
            chain.problems.append(f"{label}'s CA Secret {where} is not in the stack and no "
                                  "Certificate writes it: the issuer cannot sign, and no root "
                                  "is proven")
            return
        cert = certs[0]
        chain.signer = chain.signer or f"resource:{cert.urn}"
        clabel = f"Certificate {self._namespace(cert)}/{k8s_name(cert)}"
        if as_bool(lookup(cert.props, "spec.isCA")) is not True:
            chain.problems.append(f"{clabel} (the CA Secret {where} of {label}) is not a CA "
                                  "(spec.isCA): it cannot sign workload certificates")
        ref = lookup(cert.props, "spec.issuerRef")
        if contains_unknown(ref):
            chain.unknown = f"{clabel} spec.issuerRef"
            return
        self._issuer_ref(ref if isinstance(ref, dict) else {}, self._namespace(cert), chain,
                         depth + 1, clabel)

    # --- CA Secrets and the certificates that fill them --------------------------------------
    def _secret(self, secret: Node, signer_key: str, root_key: str, chain: Chain,
                upstream: bool = False) -> None:
        """The root of a CA Secret; `upstream`: the Secret of an issuer that signs the cluster's
        intermediate, not of the one signing workloads (it may hold the root itself)."""
        where = f"Secret {self._namespace(secret)}/{k8s_name(secret)}"
        sources = [self.by_urn[u] for prop in ("data", "stringData")
                   for u in secret.prop_deps.get(prop, ()) if u in self.by_urn]
        certs = [n for n in sources if n.type in t.TLS_CERTS or pki_kind(n) in (ROOT, INTERMEDIATE)]
        signed = [n for n in certs if n.type == t.TLS_LOCALLY_SIGNED_CERT
                  or pki_kind(n) == INTERMEDIATE]
        if not certs:
            value = _secret_value(secret, signer_key)
            first = _pem_blocks(value)[0] if isinstance(value, str) and PEM_BEGIN in value \
                else None
            known = self.certs_by_pem.get(_normal(first)) if first else None
            if known is not None:
                certs, signed = [known], [known] if known.type == t.TLS_LOCALLY_SIGNED_CERT else []
                chain.signer = chain.signer or f"resource:{known.urn}"
            else:
                self._by_value(secret, where, signer_key, root_key, value, chain, upstream)
                return
        if not signed:  # only a root
            if not upstream:
                chain.problems.append(f"{where} holds the root certificate itself as its "
                                      "signing CA: the root's private key would sit in every "
                                      "cluster; sign with a per-cluster intermediate under it")
            chain.root = self._cert_root(certs[0], chain, 0)
            return
        roots = {r.key: r for r in (self._cert_root(s, chain, 0) for s in signed) if r}
        chain.signer = chain.signer or f"resource:{signed[0].urn}"
        if len(roots) > 1:
            chain.problems.append(f"{where} holds certificates of different roots: "
                                  + ", ".join(r.label for r in roots.values()))
        chain.root = next(iter(roots.values()), None)

    def _by_value(self, secret: Node, where: str, signer_key: str, root_key: str,
                  value: object, chain: Chain, upstream: bool = False) -> None:
        """A Secret no certificate resource fills: judged by its PEM values when known."""
        if is_unknown(value):
            refs = [u for prop in ("data", "stringData") for u in secret.prop_deps.get(prop, ())
                    if f"::{STACK_REFERENCE}::" in u]
            chain.unknown = f"{where} {signer_key}"
            if refs:
                chain.from_stack_reference = True
                chain.why = (f"its CA material comes from another stack's outputs "
                             f"({refs[0].rsplit('::', 1)[-1]}), checked with that stack")
            return
        if not isinstance(value, str) or PEM_BEGIN not in value:
            chain.problems.append(f"{where} holds no CA certificate in {signer_key}")
            return
        root = _secret_value(secret, root_key)
        if is_unknown(root):
            chain.unknown = f"{where} {root_key}"
            return
        blocks = _pem_blocks(value)
        chain.signer = chain.signer or f"pem:{_normal(blocks[0])}"
        if isinstance(root, str) and PEM_BEGIN in root:
            root_pem = _pem_blocks(root)[0]
        elif len(blocks) > 1:  # a chain: intermediate first, the root last
            root_pem = blocks[-1]
        else:
            chain.unknown = f"the root of {where}"
            chain.why = f"it holds no {root_key} and its {signer_key} no chain"
            return
        if _normal(root_pem) == _normal(blocks[0]) and not upstream:
            chain.problems.append(f"{where} signs with its root certificate itself: the root's "
                                  "private key would sit in every cluster; sign with a "
                                  "per-cluster intermediate under it")
        chain.root = self._pem_root(root_pem, f"the root certificate in {where} {root_key}")

    def _pem_root(self, pem: str, label: str) -> Root:
        """The root a known certificate PEM is: a pulumi-tls certificate of the same PEM, our
        pki-root of the same fingerprint, or that PEM itself."""
        known = self.certs_by_pem.get(_normal(pem))
        if known is not None:
            return Root(f"resource:{known.urn}", f"{known.type.rsplit(':', 1)[-1]} {known.name}")
        pki = self.pki_roots_by_fp.get(fingerprint(pem) or "")
        if pki is not None:
            return Root(f"resource:{pki.urn}", f"pki-root {pki.name}")
        return Root(f"pem:{_normal(pem)}", label)

    def _cert_root(self, cert: Node, chain: Chain, depth: int) -> Root | None:
        """The root a pulumi-tls certificate (or our PKI's) chains to."""
        kind = cert.type.rsplit(":", 1)[-1]
        if pki_kind(cert) == ROOT:
            return Root(f"resource:{cert.urn}", f"pki-root {cert.name}")
        if pki_kind(cert) == INTERMEDIATE:
            roots = [self.by_urn[u] for u in cert.prop_deps.get("rootFingerprintSha256", ())
                     if u in self.by_urn and pki_kind(self.by_urn[u]) == ROOT]
            return self._cert_root(roots[0], chain, depth + 1) if roots else None
        if as_bool(lookup(cert.props, "isCaCertificate")) is not True:
            chain.problems.append(f"{kind} {cert.name} is not a CA certificate "
                                  "(isCaCertificate): it cannot sign workload certificates")
        if cert.type == t.TLS_SELF_SIGNED_CERT:
            return Root(f"resource:{cert.urn}", f"{kind} {cert.name}")
        if depth > MAX_DEPTH:
            chain.problems.append(f"{kind} {cert.name}: the chain loops or is longer than "
                                  f"{MAX_DEPTH} links")
            return None
        issuers = [self.by_urn[u] for u in cert.prop_deps.get("caCertPem", ()) if u in self.by_urn
                   and (self.by_urn[u].type in t.TLS_CERTS or pki_kind(self.by_urn[u]) == ROOT)]
        pem = lookup(cert.props, "caCertPem")
        if not issuers and isinstance(pem, str) and PEM_BEGIN in pem:
            known = self.certs_by_pem.get(_normal(_pem_blocks(pem)[0]))
            if known is None:
                return self._pem_root(_pem_blocks(pem)[0],
                                      f"the CA certificate in {kind} {cert.name} caCertPem")
            issuers = [known]
        if not issuers:
            chain.unknown = f"{kind} {cert.name} caCertPem"
            return None
        return self._cert_root(issuers[0], chain, depth + 1)
