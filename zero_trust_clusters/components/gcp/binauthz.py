"""Binary Authorization: only images attested by our trusted signers run (ZT-IMAGE-PROVENANCE).

Design. The posture trusts Sigstore *keyless* identities (an OIDC issuer + a certificate
subject, e.g. a GitHub Actions release workflow). Binary Authorization cannot verify Sigstore
certificates itself: an attestor holds PKIX public keys. So trust is bridged by one signing key:

1. A Cloud KMS asymmetric signing key (EC P-256, HSM-backed) per project; its private half never
   leaves KMS.
2. An attestor whose only public key is that key's version 1 (read through the
   `getKMSCryptoKeyVersion` invoke), bound to a Container Analysis note.
3. CI, after `cosign verify` has checked an image's Sigstore signature against the posture's
   identities *and* that the image lives in one of the trusted registries, signs the image
   digest with the KMS key and stores the attestation (`gcloud container binauthz attestations
   sign-and-create`). The CI principal needs `roles/cloudkms.signerVerifier` on the key and
   `roles/containeranalysis.notes.attacher` on the note; both are granted outside this stack
   (they belong to the CI's identity federation setup).
4. The project policy requires that attestation for every image (`REQUIRE_ATTESTATION`,
   `ENFORCED_BLOCK_AND_AUDIT_LOG`); Google-maintained GKE system images are trusted through
   `global_policy_evaluation_mode=ENABLE`. Clusters enforce it with
   `evaluation_mode=PROJECT_SINGLETON_POLICY_ENFORCE`.
5. The baseline's own images (cert-manager, policy-controller and its hook, Istio when the mesh
   is on) come from upstream, not from our CI, so nothing attests them; and an attestor never
   admits an image deployed by tag. They are admitted by `admissionWhitelistPatterns`, one
   *exact* reference per image, taken from the charts' declarations
   (zero_trust_clusters/components/kubernetes/charts.py): a pattern without a wildcard matches that one image
   string only (AdmissionWhitelistPattern.namePattern, Binary Authorization API:
   https://cloud.google.com/binary-authorization/docs/reference/rest/Shared.Types/Policy and
   https://cloud.google.com/binary-authorization/docs/policy-yaml-reference#admissionwhitelistpatterns).
   Digest references where the chart publishes the digest, exact tags otherwise. No wildcard,
   no registry- or repository-wide exemption.

The policy is a project singleton, so it lives in `ProjectGuardrails`, shared by every cluster
of the project, never in a cluster (two clusters would overwrite, and deleting one would reset,
the policy).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.spec import ImageProvenance

SIGNING_ALGORITHM = "EC_SIGN_P256_SHA256"
KEY_RING_LOCATION = "global"  # the attestor key is not tied to any cluster's region
CLUSTER_EVALUATION_MODE = "PROJECT_SINGLETON_POLICY_ENFORCE"


@dataclass(frozen=True)
class Attestation:
    key_ring: gcp.kms.KeyRing
    signing_key: gcp.kms.CryptoKey
    note: gcp.containeranalysis.Note
    attestor: gcp.binaryauthorization.Attestor
    policy: gcp.binaryauthorization.Policy


def _describe(provenance: ImageProvenance) -> str:
    identities = "; ".join(f"{i.issuer} {i.subject}" for i in provenance.signing_identities)
    registries = ", ".join(provenance.trusted_registries)
    return (
        "Attests images whose Sigstore signature was verified for: "
        f"{identities}; from registries: {registries}"
    )[:1000]


def admission_patterns(
    images: tuple[str, ...],
) -> list[gcp.binaryauthorization.PolicyAdmissionWhitelistPatternArgs]:
    """One exact allow-list pattern per image reference; wildcards are refused."""
    wildcards = [image for image in images if "*" in image]
    if wildcards:
        raise ValueError(f"admitted images must be exact references, not patterns: {wildcards}")
    return [
        gcp.binaryauthorization.PolicyAdmissionWhitelistPatternArgs(name_pattern=image)
        for image in sorted(set(images))
    ]


def build_attestation(
    prefix: str,
    project: str,
    provenance: ImageProvenance,
    admitted_images: tuple[str, ...],
    opts: pulumi.ResourceOptions,
    invoke_opts: pulumi.InvokeOptions,
) -> Attestation:
    key_ring = gcp.kms.KeyRing(
        f"{prefix}-attestation",
        name="ztc-attestation",
        project=project,
        location=KEY_RING_LOCATION,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True)),
    )
    signing_key = gcp.kms.CryptoKey(
        f"{prefix}-image-signer",
        name="ztc-image-signer",
        key_ring=key_ring.id,
        # Asymmetric keys cannot auto-rotate: rotating means adding a key to the attestor.
        purpose="ASYMMETRIC_SIGN",
        version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
            algorithm=SIGNING_ALGORITHM, protection_level="HSM"
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True)),
    )
    version = gcp.kms.get_kms_crypto_key_version_output(
        crypto_key=signing_key.id, opts=invoke_opts
    )
    note = gcp.containeranalysis.Note(
        f"{prefix}-provenance-note",
        name="ztc-image-provenance",
        project=project,
        attestation_authority=gcp.containeranalysis.NoteAttestationAuthorityArgs(
            hint=gcp.containeranalysis.NoteAttestationAuthorityHintArgs(
                human_readable_name="ztc: Sigstore-verified images from trusted registries"
            )
        ),
        opts=opts,
    )
    attestor = gcp.binaryauthorization.Attestor(
        f"{prefix}-provenance-attestor",
        name="ztc-image-provenance",
        project=project,
        description=_describe(provenance),
        attestation_authority_note=gcp.binaryauthorization.AttestorAttestationAuthorityNoteArgs(
            note_reference=note.id,
            public_keys=[
                gcp.binaryauthorization.AttestorAttestationAuthorityNotePublicKeyArgs(
                    id=version.id,
                    pkix_public_key=gcp.binaryauthorization.AttestorAttestationAuthorityNotePublicKeyPkixPublicKeyArgs(
                        public_key_pem=version.public_keys[0].pem,
                        signature_algorithm=version.public_keys[0].algorithm,
                    ),
                )
            ],
        ),
        opts=opts,
    )
    policy = gcp.binaryauthorization.Policy(
        f"{prefix}-binauthz-policy",
        project=project,
        description="ztc: every image needs an attestation from ztc-image-provenance, except "
        "the baseline's own pinned images",
        global_policy_evaluation_mode="ENABLE",
        admission_whitelist_patterns=admission_patterns(admitted_images),
        default_admission_rule=gcp.binaryauthorization.PolicyDefaultAdmissionRuleArgs(
            evaluation_mode="REQUIRE_ATTESTATION",
            enforcement_mode="ENFORCED_BLOCK_AND_AUDIT_LOG",
            require_attestations_bies=[attestor.id],
        ),
        opts=opts,
    )
    return Attestation(
        key_ring=key_ring, signing_key=signing_key, note=note, attestor=attestor, policy=policy
    )
