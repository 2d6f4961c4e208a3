"""The portable shared PKI: one root, a name-constrained intermediate per cluster.

`authority` is the pure `cryptography` core, `formats` turns it into what clusters consume,
`resources` holds the Pulumi dynamic resources, and `SharedPki` wires them for a stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from zero_trust_clusters.components.pki import authority
from zero_trust_clusters.components.pki.formats import spiffe_bundle_json, trust_bundle_pem
from zero_trust_clusters.components.pki.resources import IntermediateCaResource, OfflineRootCa, RootCa
from zero_trust_clusters.components.pki.settings import PkiSettings

__all__ = ["IntermediateCa", "SharedPki", "SharedPkiArgs", "authority"]


@dataclass(frozen=True)
class SharedPkiArgs:
    settings: PkiSettings
    # The posture's trust domain (the root's name); clusters' domains sit below it.
    trust_domain: str
    # cluster name -> that cluster's SPIFFE trust domain (EstateSpec.trust_domain).
    cluster_trust_domains: dict[str, str]
    # Offline root mode: the PEM from `ztc pki init-root`, its encrypted key and passphrase.
    offline_root_certificate_pem: str | None = None
    offline_root_key_pem: pulumi.Input[str] | None = None
    offline_root_passphrase: pulumi.Input[str] | None = None
    # Change to rotate the managed root (both roots stay in the bundle for a while).
    root_rotation: str = "0"
    # cluster name -> rotation token; change one to reissue that cluster's intermediate.
    intermediate_rotations: dict[str, str] = field(default_factory=dict)
    # URI name constraints too (only for estates whose verifiers all support them; see
    # zero_trust_clusters/components/pki/authority.py).
    uri_name_constraints: bool = False


@dataclass(frozen=True)
class IntermediateCa:
    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]  # secret
    chain_pem: pulumi.Output[str]  # intermediate + root
    fingerprint_sha256: pulumi.Output[str]
    not_after: pulumi.Output[str]


class SharedPki(pulumi.ComponentResource):
    """The estate's root of trust (ZT-MTLS-SHARED-ROOT), managed or offline."""

    root_certificate_pem: pulumi.Output[str]
    root_fingerprint_sha256: pulumi.Output[str]
    trust_bundle_pem: pulumi.Output[str]
    spiffe_bundle_json: pulumi.Output[str]
    intermediates: dict[str, IntermediateCa]

    def __init__(self, name: str, args: SharedPkiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ztc:pki:SharedPki", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        if settings.root_mode == "offline" or args.offline_root_certificate_pem:
            root_pem, root_fp, root_key, passphrase, roots, record = self._offline_root(
                name, args, child
            )
        else:
            record = root = RootCa(
                f"{name}-root",
                trust_domain=args.trust_domain,
                settings=settings,
                rotation=args.root_rotation,
                # The estate's root of trust is stateful and stack-wide: protected, so a change
                # that would replace it (trust domain, key algorithm) or a destroy stops with an
                # error instead of silently minting a new root (zero_trust_clusters/components/lifecycle.py).
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=True)),
            )
            root_pem, root_fp = root.certificate_pem, root.fingerprint_sha256
            root_key, passphrase = pulumi.Output.secret(root.private_key_pem), None
            roots = pulumi.Output.all(root.certificate_pem, root.previous_certificate_pem)
        self.root_certificate_pem = pulumi.Output.from_input(root_pem)
        self.root_fingerprint_sha256 = pulumi.Output.from_input(root_fp)
        self.trust_bundle_pem = roots.apply(lambda pems: trust_bundle_pem([p for p in pems if p]))
        # For federation with other SPIFFE trust domains (SPIRE, other meshes).
        self.spiffe_bundle_json = roots.apply(
            lambda pems: spiffe_bundle_json([p for p in pems if p])
        )

        self.intermediates = {}
        # cluster -> control -> names of the resources implementing it for that cluster.
        self.controls: dict[str, dict[str, list[str]]] = {}
        for cluster_name, domain in sorted(args.cluster_trust_domains.items()):
            resource = IntermediateCaResource(
                f"{name}-{cluster_name}-intermediate",
                cluster_name=cluster_name,
                trust_domain=domain,
                settings=settings,
                root_certificate_pem=root_pem,
                root_fingerprint_sha256=root_fp,
                root_private_key_pem=root_key,
                root_key_passphrase=passphrase,
                rotation=args.intermediate_rotations.get(cluster_name, "0"),
                uri_name_constraint=args.uri_name_constraints,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[record]),
            )
            self.controls[cluster_name] = {"ZT-MTLS-SHARED-ROOT": [resource._name]}
            self.intermediates[cluster_name] = IntermediateCa(
                certificate_pem=resource.certificate_pem,
                private_key_pem=pulumi.Output.secret(resource.private_key_pem),
                chain_pem=resource.chain_pem,
                fingerprint_sha256=resource.fingerprint_sha256,
                not_after=resource.not_after,
            )
        self.register_outputs(
            {
                "controls": self.controls,
                "rootCertificatePem": self.root_certificate_pem,
                "rootFingerprintSha256": self.root_fingerprint_sha256,
                "trustBundlePem": self.trust_bundle_pem,
                "spiffeBundleJson": self.spiffe_bundle_json,
                "intermediates": {
                    cluster: {"certificatePem": i.certificate_pem, "notAfter": i.not_after}
                    for cluster, i in self.intermediates.items()
                },
            }
        )

    @staticmethod
    def _offline_root(name: str, args: SharedPkiArgs, child: pulumi.ResourceOptions):
        """No root key at `pulumi up`: the encrypted key from config signs intermediates."""
        if not args.offline_root_certificate_pem:
            raise ValueError(
                "zero-trust-clusters:posture.pki.rootMode is offline but no root certificate was given; set "
                "offlineRootCertificateFile to the PEM written by `ztc pki init-root`"
            )
        if args.offline_root_key_pem is None or args.offline_root_passphrase is None:
            raise ValueError(
                "offline root mode needs the secret config zero-trust-clusters:pkiRootKey (the encrypted key "
                "from `ztc pki init-root`) and zero-trust-clusters:pkiRootPassphrase; set both with "
                "`pulumi config set --secret`"
            )
        # The file may hold the next root too (rotation): the first root signs, all are trusted.
        certificates = authority.load_certificates(args.offline_root_certificate_pem)
        pems = [authority.to_pem(c) for c in certificates]
        record = OfflineRootCa(
            f"{name}-root",
            trust_domain=args.trust_domain,
            certificate_pem="".join(pems),
            opts=child,
        )
        key = pulumi.Output.secret(args.offline_root_key_pem)
        passphrase = pulumi.Output.secret(args.offline_root_passphrase)
        roots = pulumi.Output.from_input(pems)
        # A plain string: known at preview, equal to the record's input (policy-checkable).
        return (
            pems[0],
            authority.fingerprint_sha256(certificates[0]),
            key,
            passphrase,
            roots,
            record,
        )
