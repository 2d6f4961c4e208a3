"""Fake gcp provider answers for the offline engine (see fakes/__init__.py for the contract).

Ids, self links, e-mails and endpoints follow the formats the Google APIs return, derived
deterministically from names. The cluster CA is a real X.509 certificate (deterministic key and
RFC 6979 signature) and KMS public keys are real PEM keys, so consumers can parse them.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from zero_trust_clusters.engine.fakes.ids import stable_digits, stable_hex

COMPUTE = "https://www.googleapis.com/compute/v1"
CONTAINER = "https://container.googleapis.com/v1"
OFFLINE_PROJECT = "ztc-offline"
GKE_PATCH = "1"
_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
_CREATED = "2026-01-01T00:00:00.000-00:00"


def _plain(value: Any) -> Any:
    """Strip Pulumi secret wrappers (the engine hands fakes the raw wire form)."""
    from zero_trust_clusters.engine.mocks import unwrap

    return unwrap(value)


def project_number(project: str) -> str:
    return stable_digits("gcp-project-number", project, length=12)


def _project(inputs: dict[str, Any]) -> str:
    return inputs.get("project") or OFFLINE_PROJECT


def _private_key(*seed: str) -> ec.EllipticCurvePrivateKey:
    secret = int.from_bytes(hashlib.sha256("/".join(seed).encode()).digest(), "big")
    return ec.derive_private_key(secret % (2**255) + 1, ec.SECP256R1())


@cache
def cluster_ca_certificate(project: str, location: str, name: str) -> str:
    """Base64 PEM of a self-signed cluster CA, like `masterAuth.clusterCaCertificate`."""
    key = _private_key("gke-ca", project, location, name)
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"{stable_hex('ca', name, length=8)}-ca")]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int(stable_hex("ca-serial", project, location, name, length=30), 16))
        .not_valid_before(_EPOCH)
        .not_valid_after(_EPOCH + datetime.timedelta(days=365 * 30))  # GKE CAs last 30 years
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode()


@cache
def kms_public_key_pem(crypto_key_version: str) -> str:
    key = _private_key("kms", crypto_key_version)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _endpoint(inputs: dict[str, Any], name: str) -> tuple[str, str]:
    """(endpoint, private endpoint): the API server's private IP is in the control-plane /28."""
    private_config = inputs.get("privateClusterConfig") or {}
    block = private_config.get("masterIpv4CidrBlock")
    if block:
        private_ip = str(ipaddress.IPv4Network(block)[2])
    else:
        private_ip = f"10.{int(stable_hex('pe', name, length=2), 16) % 256}.0.2"
    digest = bytes.fromhex(stable_hex("public", name, length=4))
    public_ip = f"34.{digest[0]}.{digest[1]}.{max(digest[1] % 254, 1)}"
    endpoint = private_ip if private_config.get("enablePrivateEndpoint") else public_ip
    return endpoint, private_ip


def _cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    project, location = _project(inputs), inputs.get("location", "")
    cluster_name = inputs.get("name", name)
    endpoint, private_ip = _endpoint(inputs, cluster_name)
    version = f"{inputs.get('minMasterVersion') or '1.35'}.{GKE_PATCH}-gke.1000000"
    private_config = dict(inputs.get("privateClusterConfig") or {})
    private_config.update(
        privateEndpoint=private_ip,
        publicEndpoint="" if private_config.get("enablePrivateEndpoint") else endpoint,
        peeringName=f"gke-n{stable_hex('peer', cluster_name, length=16)}-peer",
    )
    master_auth = dict(inputs.get("masterAuth") or {})
    master_auth.update(
        clusterCaCertificate=cluster_ca_certificate(project, location, cluster_name),
        clientCertificate="",
        clientKey="",
    )
    labels = dict(inputs.get("resourceLabels") or {})
    return {
        "name": cluster_name,
        "endpoint": endpoint,
        "masterAuth": master_auth,
        "privateClusterConfig": private_config,
        "selfLink": f"{CONTAINER}/projects/{project}/locations/{location}/clusters/{cluster_name}",
        "masterVersion": version,
        "nodeVersion": version,
        "labelFingerprint": stable_hex("labels", cluster_name, length=8),
        "effectiveLabels": labels,
        "pulumiLabels": labels,
        "operation": None,
        "tpuIpv4CidrBlock": "",
        "servicesIpv4Cidr": "",
    }


def _node_pool(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    project, location = _project(inputs), inputs.get("location", "")
    cluster, pool = inputs.get("cluster", ""), inputs.get("name", name)
    groups = [
        f"{COMPUTE}/projects/{project}/zones/{location}-{zone}/instanceGroupManagers/"
        f"gke-{cluster}-{pool}-{stable_hex(cluster, pool, zone, length=8)}-grp"
        for zone in ("b", "c", "d")
    ]
    return {
        "name": pool,
        "instanceGroupUrls": groups,
        "managedInstanceGroupUrls": [g.replace("instanceGroupManagers", "instanceGroups") for g in groups],
        "version": f"1.35.{GKE_PATCH}-gke.1000000",
        "operation": None,
    }


def _account(inputs: dict[str, Any]) -> dict[str, Any]:
    project = _project(inputs)
    email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{project}/serviceAccounts/{email}",
        "uniqueId": stable_digits("sa", email, length=21),
    }


def _gateway(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr)[1])


def _etag(*parts: str) -> str:
    return "BwY" + base64.b64encode(bytes.fromhex(stable_hex(*parts, length=16))).decode()[:9]


def resource_id(type_: str, name: str, inputs: dict[str, Any]) -> str | None:
    inputs = _plain(inputs)
    p = _project(inputs)
    n = inputs.get("name", name)
    region = inputs.get("region") or inputs.get("location", "")
    match type_:
        case "gcp:compute/network:Network":
            return f"projects/{p}/global/networks/{n}"
        case "gcp:compute/subnetwork:Subnetwork":
            return f"projects/{p}/regions/{region}/subnetworks/{n}"
        case "gcp:compute/router:Router":
            return f"projects/{p}/regions/{region}/routers/{n}"
        case "gcp:compute/routerNat:RouterNat":
            return f"{p}/{region}/{inputs.get('router', '')}/{n}"
        case "gcp:compute/firewall:Firewall":
            return f"projects/{p}/global/firewalls/{n}"
        case "gcp:serviceaccount/account:Account":
            return _account(inputs)["name"]
        case "gcp:kms/keyRing:KeyRing":
            return f"projects/{p}/locations/{inputs.get('location', '')}/keyRings/{n}"
        case "gcp:kms/cryptoKey:CryptoKey":
            return f"{inputs.get('keyRing', '')}/cryptoKeys/{n}"
        case "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember":
            return f"{inputs.get('cryptoKeyId')}/{inputs.get('role')}/{inputs.get('member')}"
        case "gcp:projects/iAMMember:IAMMember":
            return f"{p}/{inputs.get('role')}/{inputs.get('member')}"
        case "gcp:container/cluster:Cluster":
            return f"projects/{p}/locations/{region}/clusters/{n}"
        case "gcp:container/nodePool:NodePool":
            return f"projects/{p}/locations/{region}/clusters/{inputs.get('cluster')}/nodePools/{n}"
        case "gcp:storage/bucket:Bucket":
            return n
        case "gcp:storage/bucketIAMMember:BucketIAMMember":
            return f"b/{inputs.get('bucket')}/{inputs.get('role')}/{inputs.get('member')}"
        case "gcp:logging/projectSink:ProjectSink":
            return f"projects/{p}/sinks/{n}"
        case "gcp:projects/service:Service":
            return f"{p}/{inputs.get('service')}"
        case "gcp:projects/iAMAuditConfig:IAMAuditConfig":
            return f"{p}/audit_config/{inputs.get('service')}"
        case "gcp:containeranalysis/note:Note":
            return f"projects/{p}/notes/{n}"
        case "gcp:binaryauthorization/attestor:Attestor":
            return f"projects/{p}/attestors/{n}"
        case "gcp:binaryauthorization/policy:Policy":
            return f"projects/{p}"
    return None


def outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    inputs = _plain(inputs)
    p = _project(inputs)
    n = inputs.get("name", name)
    rid = resource_id(type_, name, inputs) or ""
    match type_:
        case "gcp:compute/network:Network" | "gcp:compute/router:Router" | (
            "gcp:compute/firewall:Firewall"
        ):
            return {"name": n, "selfLink": f"{COMPUTE}/{rid}", "creationTimestamp": _CREATED}
        case "gcp:compute/subnetwork:Subnetwork":
            return {
                "name": n,
                "selfLink": f"{COMPUTE}/{rid}",
                "gatewayAddress": _gateway(inputs["ipCidrRange"]),
                "fingerprint": stable_hex("fp", rid, length=16),
                "subnetworkId": int(stable_digits("subnet", rid, length=18)),
                "creationTimestamp": _CREATED,
            }
        case "gcp:compute/routerNat:RouterNat":
            return {"name": n}
        case "gcp:serviceaccount/account:Account":
            return _account(inputs)
        case "gcp:kms/keyRing:KeyRing" | "gcp:kms/cryptoKey:CryptoKey":
            return {"name": n, "effectiveLabels": inputs.get("labels") or {}}
        case (
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
            | "gcp:projects/iAMMember:IAMMember"
            | "gcp:storage/bucketIAMMember:BucketIAMMember"
            | "gcp:projects/iAMAuditConfig:IAMAuditConfig"
        ):
            return {"etag": _etag(rid)}
        case "gcp:container/cluster:Cluster":
            return _cluster(name, inputs)
        case "gcp:container/nodePool:NodePool":
            return _node_pool(name, inputs)
        case "gcp:storage/bucket:Bucket":
            return {
                "name": n,
                "url": f"gs://{n}",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{n}",
                "projectNumber": project_number(p),
                "effectiveLabels": inputs.get("labels") or {},
            }
        case "gcp:logging/projectSink:ProjectSink":
            return {
                "name": n,
                "writerIdentity": "serviceAccount:service-"
                f"{project_number(p)}@gcp-sa-logging.iam.gserviceaccount.com",
            }
        case "gcp:containeranalysis/note:Note":
            return {"name": n, "createTime": _CREATED, "updateTime": _CREATED}
        case "gcp:binaryauthorization/attestor:Attestor":
            note = dict(inputs.get("attestationAuthorityNote") or {})
            note["delegationServiceAccountEmail"] = (
                f"service-{project_number(p)}@gcp-sa-binaryauthorization.iam.gserviceaccount.com"
            )
            return {"name": n, "attestationAuthorityNote": note}
    return {}


def _kms_version(args: dict[str, Any]) -> dict[str, Any]:
    crypto_key = args["cryptoKey"]
    version = int(args.get("version") or 1)
    name = f"{crypto_key}/cryptoKeyVersions/{version}"
    algorithm = "EC_SIGN_P256_SHA256"
    return {
        "id": f"//cloudkms.googleapis.com/v1/{name}",
        "name": name,
        "cryptoKey": crypto_key,
        "version": version,
        "algorithm": algorithm,
        "protectionLevel": "HSM",
        "state": "ENABLED",
        "publicKeys": [{"algorithm": algorithm, "pem": kms_public_key_pem(name)}],
    }


def call(token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    args = _plain(args)
    match token:
        case "gcp:organizations/getProject:getProject":
            project = args.get("projectId") or OFFLINE_PROJECT
            return {
                "id": f"projects/{project}",
                "projectId": project,
                "number": project_number(project),
                "name": project,
                "orgId": stable_digits("org", length=12),
                "folderId": "",
                "labels": {},
                "effectiveLabels": {},
                "autoCreateNetwork": False,
                "deletionPolicy": "PREVENT",
            }
        case "gcp:organizations/getClientConfig:getClientConfig":
            # Offline there is no identity: an empty token (nothing static to leak or reuse).
            return {
                "id": f"projects/{OFFLINE_PROJECT}/regions//zones/",
                "project": OFFLINE_PROJECT,
                "region": "",
                "zone": "",
                "accessToken": "",
                "defaultLabels": {},
            }
        case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            project = args.get("project") or OFFLINE_PROJECT
            email = f"service-{project_number(project)}@gs-project-accounts.iam.gserviceaccount.com"
            return {
                "id": email,
                "emailAddress": email,
                "member": f"serviceAccount:{email}",
                "project": project,
            }
        case "gcp:kms/getKMSCryptoKeyVersion:getKMSCryptoKeyVersion":
            return _kms_version(args)
    return None
