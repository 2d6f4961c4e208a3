"""Pulumi dynamic resources for the shared root and the per-cluster intermediates.

Keys are generated in `create` (or `update` on a reissue) and leave the provider only as
outputs listed in `additional_secret_outputs`, so Pulumi state holds them encrypted.
`diff` compares non-secret inputs and the renewal window only: a re-run with the same
inputs is a no-op (same keys). Every resource exposes plain inputs the policy pack reads at
preview: `ztcKind`, `clusterName`, `trustDomain`, and for intermediates the root's
`rootFingerprintSha256`.

Lifecycle:
- intermediate reissue (new key, update in place): the root changed, `rotation` changed,
  validity changed, or the certificate entered its renewal window (last third of its life).
- root rotation (`rotation` changed): a new root G<n+1> is created in place and the previous
  root is kept in the outputs (`previousCertificatePem`) for `retainPreviousHours`, so the
  trust bundle carries both while every intermediate is reissued under the new root (their
  `rootFingerprintSha256` input changes in the same deployment) and the leaves of the old
  intermediates expire. A later run past that time drops the previous root.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.pki.settings import PkiSettings

ROOT_KIND = "pki-root"
INTERMEDIATE_KIND = "pki-intermediate"
PRIVATE_KEY = "privateKeyPem"

# Intermediate inputs whose change needs a new resource (another cluster / key type).
_INTERMEDIATE_REPLACE_KEYS = ("clusterName", "trustDomain", "keyAlgorithm", "uriNameConstraint")
# ...and those whose change reissues in place (new key, new certificate).
# `permittedDnsNames` records the certificate profile: an intermediate issued before the mesh
# control plane's DNS subtree existed has none, and is reissued with it.
_INTERMEDIATE_REISSUE_KEYS = ("rootFingerprintSha256", "rotation", "validityDays", "renewFraction",
                              "permittedDnsNames")
_ROOT_REPLACE_KEYS = ("trustDomain", "keyAlgorithm", "pathLength")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _parse(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment)


def _settings(props: dict[str, Any], validity_field: str) -> PkiSettings:
    return PkiSettings(
        key_algorithm=props["keyAlgorithm"], **{validity_field: int(props["validityDays"])}
    )


def _changed(olds: dict[str, Any], news: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if olds.get(k) != news.get(k)]


def _snake_case_outputs(resource: Resource, *names: str) -> None:
    """Dynamic resources expose outputs under their wire (camelCase) names; add Python names."""
    for wire in names:
        python = "".join(f"_{c.lower()}" if c.isupper() else c for c in wire)
        setattr(resource, python, getattr(resource, wire))


# ---------------------------------------------------------------------------- root


class RootCaProvider(ResourceProvider):
    """The shared root CA (managed mode)."""

    def _issue(self, props: dict[str, Any], generation: int) -> dict[str, Any]:
        root = pki.create_root_ca(
            props["trustDomain"],
            _settings(props, "root_validity_days"),
            generation=generation,
            path_length=int(props["pathLength"]),
        )
        return {
            "certificatePem": root.certificate_pem,
            PRIVATE_KEY: root.private_key_pem(),
            "fingerprintSha256": root.fingerprint_sha256,
            "notAfter": _iso(root.certificate.not_valid_after_utc),
            "generation": generation,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = {
            **props,
            **self._issue(props, 1),
            "previousCertificatePem": "",
            "previousRetainUntil": "",
        }
        return CreateResult(id_=f"root-{outs['fingerprintSha256'][:16]}", outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = _changed(olds, news, _ROOT_REPLACE_KEYS)
        changed = _changed(olds, news, ("rotation", "validityDays", "retainPreviousHours"))
        retain_until = olds.get("previousRetainUntil") or ""
        if retain_until and pki.utcnow() >= _parse(retain_until):
            changed.append("previousCertificatePem")
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=["ztcKind"],
            delete_before_replace=False,
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("rotation") != news.get("rotation"):
            generation = int(olds.get("generation", 1)) + 1
            outs = {
                **news,
                **self._issue(news, generation),
                "previousCertificatePem": olds["certificatePem"],
                "previousRetainUntil": _iso(
                    pki.utcnow() + dt.timedelta(hours=int(news["retainPreviousHours"]))
                ),
            }
            return UpdateResult(outs=outs)
        # No rotation: keep the key and certificate; drop an expired previous root.
        kept = {
            k: olds[k]
            for k in ("certificatePem", PRIVATE_KEY, "fingerprintSha256", "notAfter", "generation")
        }
        retain_until = olds.get("previousRetainUntil") or ""
        expired = bool(retain_until) and pki.utcnow() >= _parse(retain_until)
        previous = {
            "previousCertificatePem": "" if expired else olds.get("previousCertificatePem", ""),
            "previousRetainUntil": "" if expired else retain_until,
        }
        return UpdateResult(outs={**news, **kept, **previous})


class RootCa(Resource):
    """The shared root; `private_key_pem` is a secret output."""

    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]
    fingerprint_sha256: pulumi.Output[str]
    previous_certificate_pem: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        trust_domain: str,
        settings: PkiSettings,
        rotation: str = "0",
        path_length: int = 1,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "ztcKind": ROOT_KIND,
            "rootMode": "managed",
            "clusterName": "",
            "trustDomain": pki.validate_trust_domain(trust_domain),
            "keyAlgorithm": settings.key_algorithm,
            "validityDays": settings.root_validity_days,
            "pathLength": path_length,
            "rotation": rotation,
            # Old leaves live at most leaf_validity_hours; keep the old root twice that.
            "retainPreviousHours": 2 * settings.leaf_validity_hours,
            "certificatePem": None,
            PRIVATE_KEY: None,
            "fingerprintSha256": None,
            "previousCertificatePem": None,
        }
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=[PRIVATE_KEY])
        super().__init__(
            RootCaProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret_opts)
        )
        _snake_case_outputs(
            self, "certificatePem", PRIVATE_KEY, "fingerprintSha256", "previousCertificatePem"
        )


class OfflineRootProvider(ResourceProvider):
    """Records the offline root (certificate only; its key never reaches Pulumi state)."""

    def _record(self, props: dict[str, Any]) -> dict[str, Any]:
        roots = pki.trust_bundle(pki.load_certificates(props["certificatePem"]))
        if pki.fingerprint_sha256(roots[0]) != props["fingerprintSha256"]:
            raise pki.PkiError("fingerprintSha256 does not match the offline root certificate")
        return {**props, "notAfter": _iso(roots[0].not_valid_after_utc)}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"root-{props['fingerprintSha256'][:16]}", outs=self._record(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = _changed(olds, news, ("certificatePem", "fingerprintSha256", "trustDomain"))
        return DiffResult(changes=bool(changed), replaces=[], stables=["ztcKind"])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._record(news))


class OfflineRootCa(Resource):
    """The offline root as a resource, so policies judge both modes alike (ztcKind pki-root).

    All its properties are inputs, known at preview: the certificate (which may also hold the
    next root during a rotation; the first one signs) and its fingerprint.
    """

    certificate_pem: pulumi.Output[str]
    fingerprint_sha256: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        trust_domain: str,
        certificate_pem: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        first = pki.load_certificates(certificate_pem)[0]
        props = {
            "ztcKind": ROOT_KIND,
            "rootMode": "offline",
            "clusterName": "",
            "trustDomain": pki.validate_trust_domain(trust_domain),
            "certificatePem": certificate_pem,
            "fingerprintSha256": pki.fingerprint_sha256(first),
            "notAfter": None,
        }
        super().__init__(OfflineRootProvider(), name, props, opts)
        _snake_case_outputs(self, "certificatePem", "fingerprintSha256")


# ---------------------------------------------------------------------------- intermediates


class IntermediateCaProvider(ResourceProvider):
    """A cluster's issuing CA, signed by the shared root (managed or offline)."""

    def _issue(self, props: dict[str, Any]) -> dict[str, Any]:
        root_cert = pki.load_certificate(props["rootCertificatePem"])
        if pki.fingerprint_sha256(root_cert) != props["rootFingerprintSha256"]:
            raise pki.PkiError(
                "rootFingerprintSha256 does not match rootCertificatePem; the root certificate "
                "and its fingerprint must come from the same root"
            )
        root_key = pki.load_private_key(
            props["rootPrivateKeyPem"], props.get("rootKeyPassphrase") or None
        )
        if root_key.public_key() != root_cert.public_key():
            raise pki.PkiError(
                "the root private key does not belong to the root certificate; check "
                "zero-trust-clusters:pkiRootKey against the file in offlineRootCertificateFile"
            )
        issued = pki.issue_intermediate_ca(
            pki.CertifiedKey(root_cert, root_key),
            props["clusterName"],
            props["trustDomain"],
            _settings(props, "intermediate_validity_days"),
            uri_name_constraint=bool(props.get("uriNameConstraint")),
        )
        cert = issued.certificate
        return {
            "certificatePem": issued.certificate_pem,
            PRIVATE_KEY: issued.private_key_pem(),
            "chainPem": issued.certificate_pem + pki.to_pem(root_cert),
            "fingerprintSha256": issued.fingerprint_sha256,
            "serialNumber": format(cert.serial_number, "x"),
            "notBefore": _iso(cert.not_valid_before_utc),
            "notAfter": _iso(cert.not_valid_after_utc),
            "renewAfter": _iso(
                pki.renew_after(cert, float(props.get("renewFraction") or pki.RENEW_FRACTION))
            ),
        }

    @staticmethod
    def _public(props: dict[str, Any]) -> dict[str, Any]:
        # Never echo the root's key or passphrase into this resource's outputs.
        return {
            k: v for k, v in props.items() if k not in ("rootPrivateKeyPem", "rootKeyPassphrase")
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = {**self._public(props), **self._issue(props)}
        return CreateResult(id_=f"{props['clusterName']}-{outs['serialNumber'][:16]}", outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = _changed(olds, news, _INTERMEDIATE_REPLACE_KEYS)
        changed = _changed(olds, news, _INTERMEDIATE_REISSUE_KEYS)
        renew_at = olds.get("renewAfter")
        if renew_at and pki.utcnow() >= _parse(renew_at):
            changed.append("certificatePem")  # inside the renewal window
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=["ztcKind"],
            delete_before_replace=False,
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**self._public(news), **self._issue(news)})


class IntermediateCaResource(Resource):
    """One cluster's intermediate; `private_key_pem` is a secret output."""

    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]
    chain_pem: pulumi.Output[str]
    fingerprint_sha256: pulumi.Output[str]
    not_after: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        cluster_name: str,
        trust_domain: str,
        settings: PkiSettings,
        root_certificate_pem: pulumi.Input[str],
        root_fingerprint_sha256: pulumi.Input[str],
        root_private_key_pem: pulumi.Input[str],
        root_key_passphrase: pulumi.Input[str] | None = None,
        rotation: str = "0",
        uri_name_constraint: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "ztcKind": INTERMEDIATE_KIND,
            "clusterName": cluster_name,
            "trustDomain": pki.validate_trust_domain(trust_domain),
            "rootFingerprintSha256": root_fingerprint_sha256,
            "rootCertificatePem": root_certificate_pem,
            "rootPrivateKeyPem": pulumi.Output.secret(root_private_key_pem),
            "rootKeyPassphrase": pulumi.Output.secret(root_key_passphrase or ""),
            "keyAlgorithm": settings.key_algorithm,
            "validityDays": settings.intermediate_validity_days,
            "renewFraction": f"{pki.RENEW_FRACTION:.4f}",
            "rotation": rotation,
            "uriNameConstraint": uri_name_constraint,
            # What `issue_intermediate_ca` puts in the DNS subtrees (policy-checkable).
            "permittedDnsNames": list(pki.intermediate_dns_subtrees(trust_domain)),
            "certificatePem": None,
            PRIVATE_KEY: None,
            "chainPem": None,
            "fingerprintSha256": None,
            "notAfter": None,
        }
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=[PRIVATE_KEY])
        super().__init__(
            IntermediateCaProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret_opts)
        )
        _snake_case_outputs(
            self, "certificatePem", PRIVATE_KEY, "chainPem", "fingerprintSha256", "notAfter"
        )
