"""`ztc pki`: the offline root, issuing, inspecting, verifying, revoking, and expiries.

Private keys never touch disk in plaintext except workload keys (short-lived, mode 0600):
the root and every CA or deployer key is written PKCS#8-encrypted with the passphrase from
ZTC_PKI_PASSPHRASE or a prompt. `bench_pki` is mounted by the lead as `ztc bench pki`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from components.pki import authority as pki
from components.spec import PkiSettings

PASSPHRASE_ENV = "ZTC_PKI_PASSPHRASE"
MIN_PASSPHRASE = 12

app = typer.Typer(
    help="The shared PKI: offline root, intermediates, SVIDs, CRLs, expiries.",
    no_args_is_help=True,
)


class Kind(StrEnum):
    intermediate = "intermediate"
    workload = "workload"
    ledger_ca = "ledger-ca"
    deployer = "deployer"


class Usage(StrEnum):
    client = "client"
    server = "server"
    deployer = "deployer"


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _passphrase(*, confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        value = typer.prompt(
            "Passphrase for the private key", hide_input=True, confirmation_prompt=confirm
        )
    if confirm and len(value) < MIN_PASSPHRASE:
        raise _fail(
            f"the passphrase must have at least {MIN_PASSPHRASE} characters "
            f"(set {PASSPHRASE_ENV} or type a longer one)"
        )
    return value


def _write(path: Path, text: str, *, private: bool, force: bool) -> None:
    if path.exists() and not force:
        raise _fail(f"{path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:  # created 0600 from the start: no window where others can read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
    else:
        path.write_text(text)


def _read_certificates(path: Path) -> list[x509.Certificate]:
    try:
        return pki.load_certificates(path.read_bytes())
    except (OSError, pki.PkiError) as exc:
        raise _fail(f"cannot read certificates from {path}: {exc}") from None


def _load_ca(cert_path: Path, key_path: Path) -> pki.CertifiedKey:
    certificates = _read_certificates(cert_path)
    try:
        key = pki.load_private_key(key_path.read_bytes(), _passphrase(confirm=False))
    except (OSError, pki.PkiError) as exc:
        raise _fail(f"{key_path}: {exc}") from None
    if key.public_key() != certificates[0].public_key():
        raise _fail(f"{key_path} is not the key of {cert_path}")
    # Issuing CAs below the root travel with the issued certificate.
    chain = tuple(c for c in certificates[1:] if c.issuer != c.subject)
    return pki.CertifiedKey(certificates[0], key, chain)


@app.command("init-root")
def init_root(
    trust_domain: Annotated[
        str, typer.Option(help="The posture's trust domain (posture.trustDomain).")
    ],
    out_dir: Annotated[
        Path, typer.Option(help="Where to write root-ca.pem and root-ca.key.pem.")
    ] = Path("pki"),
    key_algorithm: Annotated[str, typer.Option(help="ecdsa-p256 or ecdsa-p384.")] = "ecdsa-p256",
    validity_days: Annotated[int, typer.Option(help="Root lifetime in days.")] = 3650,
    generation: Annotated[
        int, typer.Option(help="Root generation (G1, G2, ...) for rotations.")
    ] = 1,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Create the offline root: certificate + passphrase-encrypted key (never plaintext)."""
    try:
        settings = PkiSettings(key_algorithm=key_algorithm, root_validity_days=validity_days)
    except ValueError as exc:
        raise _fail(f"invalid setting: {exc}") from None
    passphrase = _passphrase(confirm=True)
    try:
        root = pki.create_root_ca(trust_domain, settings, generation=generation)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    cert_path, key_path = out_dir / "root-ca.pem", out_dir / "root-ca.key.pem"
    _write(cert_path, root.certificate_pem, private=False, force=force)
    _write(key_path, root.private_key_pem(passphrase), private=True, force=force)
    typer.echo(f"root certificate: {cert_path}")
    typer.echo(f"encrypted key:    {key_path} (mode 0600)")
    typer.echo(f"sha256:           {root.fingerprint_sha256}")
    typer.echo(f"not after:        {root.certificate.not_valid_after_utc:%Y-%m-%d}")
    typer.echo("next: set posture.pki.rootMode=offline and offlineRootCertificateFile, then")
    typer.echo(f"  pulumi config set --secret pkiRootKey < {key_path}")
    typer.echo("  pulumi config set --secret pkiRootPassphrase")
    typer.echo("and keep the key file offline (it is only needed to issue intermediates).")


@app.command("issue")
def issue(
    kind: Annotated[Kind, typer.Argument(help="What to issue.")],
    ca_cert: Annotated[Path, typer.Option(help="Issuing CA certificate (PEM).")],
    ca_key: Annotated[Path, typer.Option(help="Issuing CA key (encrypted PEM).")],
    out: Annotated[Path, typer.Option(help="Output prefix: <out>.pem and <out>.key.pem.")],
    name: Annotated[str, typer.Option(help="Cluster (intermediate) or deployer name.")] = "",
    trust_domain: Annotated[str, typer.Option(help="Cluster trust domain.")] = "",
    namespace: Annotated[str, typer.Option(help="Workload namespace.")] = "default",
    service_account: Annotated[str, typer.Option(help="Workload service account.")] = "default",
    uri_name_constraint: Annotated[
        bool, typer.Option(help="Intermediate: add a URI constraint.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Issue an intermediate, a workload SVID, a ledger signing CA or a deployer certificate."""
    issuer = _load_ca(ca_cert, ca_key)
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        if kind is Kind.intermediate:
            if not name or not trust_domain:
                raise _fail("an intermediate needs --name (the cluster) and --trust-domain")
            issued = pki.issue_intermediate_ca(
                issuer, name, trust_domain, uri_name_constraint=uri_name_constraint
            )
        elif kind is Kind.workload:
            if not trust_domain:
                raise _fail("a workload certificate needs --trust-domain (its cluster's)")
            identity = pki.spiffe_id(trust_domain, namespace, service_account)
            issued = pki.issue_workload_certificate(issuer, identity)
        elif kind is Kind.ledger_ca:
            issued = pki.issue_signing_intermediate(issuer, name or "change-ledger")
        else:
            if not name:
                raise _fail("a deployer certificate needs --name (the person or CI identity)")
            issued = pki.issue_deployer_certificate(issuer, name)
    except pki.PkiError as exc:
        raise _fail(str(exc)) from None
    # CA and deployer keys are encrypted like the root; workload keys are short-lived.
    key_pem = issued.private_key_pem(None if kind is Kind.workload else passphrase)
    if kind is not Kind.workload and not passphrase:
        key_pem = issued.private_key_pem(_passphrase(confirm=True))
    _write(Path(f"{out}.pem"), issued.chain_pem(), private=False, force=force)
    _write(Path(f"{out}.key.pem"), key_pem, private=True, force=force)
    typer.echo(f"issued {kind.value}: {out}.pem (serial {issued.certificate.serial_number:x})")


def _describe(cert: x509.Certificate) -> list[str]:
    lines = [
        f"subject:     {cert.subject.rfc4514_string() or '(empty)'}",
        f"issuer:      {cert.issuer.rfc4514_string()}",
        f"serial:      {cert.serial_number:x}",
        (
            f"valid:       {cert.not_valid_before_utc:%Y-%m-%d %H:%M} .. "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        ),
        f"sha256:      {pki.fingerprint_sha256(cert)}",
    ]
    for ext in cert.extensions:
        value = ext.value
        if isinstance(value, x509.BasicConstraints):
            lines.append(f"ca:          {value.ca} (path length {value.path_length})")
        elif isinstance(value, x509.SubjectAlternativeName):
            lines += [f"san:         {n.value}" for n in value]
        elif isinstance(value, x509.NameConstraints):
            lines += [f"permitted:   {n.value}" for n in value.permitted_subtrees or []]
        elif isinstance(value, x509.ExtendedKeyUsage):
            names = [getattr(o, "_name", o.dotted_string) for o in value]
            names = [
                "change-ledger-signing" if o == pki.CHANGE_LEDGER_SIGNING_OID else n
                for o, n in zip(value, names, strict=True)
            ]
            lines.append(f"eku:         {', '.join(names)}")
    return lines


@app.command("inspect")
def inspect(
    path: Annotated[Path, typer.Argument(help="A PEM file (certificates or a CRL).")],
) -> None:
    """Print what a certificate chain or CRL says (names, SPIFFE IDs, constraints, EKU)."""
    data = path.read_bytes() if path.exists() else b""
    if b"BEGIN X509 CRL" in data:
        crl = x509.load_pem_x509_crl(data)
        typer.echo(f"CRL issuer:  {crl.issuer.rfc4514_string()}")
        typer.echo(f"next update: {crl.next_update_utc:%Y-%m-%d %H:%M} UTC")
        for revoked in crl:
            typer.echo(f"revoked:     {revoked.serial_number:x}")
        return
    for index, cert in enumerate(_read_certificates(path)):
        typer.echo(f"[{index}]")
        for line in _describe(cert):
            typer.echo(f"  {line}")


def _crls(paths: list[Path]) -> list[x509.CertificateRevocationList]:
    return [x509.load_pem_x509_crl(p.read_bytes()) for p in paths]


@app.command("verify")
def verify(
    chain: Annotated[Path, typer.Argument(help="Leaf + intermediate (PEM).")],
    roots: Annotated[Path, typer.Option(help="Trust bundle (roots only).")],
    usage: Annotated[Usage, typer.Option(help="How the certificate is used.")] = Usage.client,
    crl: Annotated[list[Path], typer.Option(help="CRL files to check (repeatable).")] = [],  # noqa: B006
) -> None:
    """Verify a chain with cryptography's verifier + the SPIFFE (or ledger EKU) rule; a chain
    with URI name constraints (the estate's default) with OpenSSL + the SPIFFE rule."""
    certs, anchors = _read_certificates(chain), _read_certificates(roots)
    try:
        if usage is Usage.deployer:
            pki.verify_deployer_certificate(certs[0], certs[1:], anchors, crls=_crls(crl))
            typer.echo(f"OK deployer {certs[0].subject.rfc4514_string()}")
        elif any(_uri_constrained(c) for c in certs[1:]):
            identity = _verify_with_openssl(certs, roots, usage, crl)
            typer.echo(f"OK {identity} (chain checked by OpenSSL: URI name constraints)")
        else:
            result = pki.verify_workload(
                certs[0],
                [c for c in certs[1:] if c.issuer != c.subject],
                anchors,
                usage=usage.value,
                crls=_crls(crl),  # type: ignore[arg-type]
            )
            typer.echo(f"OK {result.spiffe_id}")
    except pki.PkiVerificationError as exc:
        raise _fail(f"REFUSED: {exc}") from None


def _uri_constrained(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return False
    return any(isinstance(n, x509.UniformResourceIdentifier)
               for n in constraints.permitted_subtrees or [])


def _verify_with_openssl(certs: list[x509.Certificate], roots: Path, usage: Usage,
                         crl: list[Path]) -> str:
    """`cryptography`'s verifier refuses every chain carrying a URI name constraint
    ("unsupported name constraint"); `openssl verify` enforces them (as the mesh's proxies do),
    then our SPIFFE rule runs on the verified leaf and its issuer."""
    binary = shutil.which("openssl")
    if binary is None:
        raise pki.PkiVerificationError(
            "the chain carries URI name constraints, which only OpenSSL checks here; install "
            "the openssl command")
    leaf, intermediates = certs[0], [c for c in certs[1:] if c.issuer != c.subject]
    with tempfile.TemporaryDirectory() as tmp:
        leaf_path, chain_path = Path(tmp, "leaf.pem"), Path(tmp, "chain.pem")
        leaf_path.write_text(pki.to_pem(leaf))
        chain_path.write_text("".join(pki.to_pem(c) for c in intermediates))
        command = [binary, "verify", "-x509_strict", "-purpose",
                   "sslclient" if usage is Usage.client else "sslserver",
                   "-CAfile", str(roots), "-untrusted", str(chain_path)]
        if crl:
            crl_path = Path(tmp, "crls.pem")
            crl_path.write_text("".join(p.read_text() for p in crl))
            command += ["-crl_check", "-CRLfile", str(crl_path)]
        done = subprocess.run([*command, str(leaf_path)], capture_output=True, text=True,
                              check=False)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise pki.PkiVerificationError(f"chain rejected by OpenSSL: {' / '.join(reason[-2:])}")
    issuer = next((c for c in intermediates if c.subject == leaf.issuer), None)
    if issuer is None:
        raise pki.PkiVerificationError("the chain holds no certificate that issued the leaf")
    return pki.spiffe_trust_domain_check(leaf, issuer)


def _publish(issuer: pki.CertifiedKey, crl_path: Path, serials: set[int], hours: int) -> None:
    number = 1
    if crl_path.exists():
        previous = x509.load_pem_x509_crl(crl_path.read_bytes())
        if previous.issuer != issuer.certificate.subject:
            raise _fail(f"{crl_path} was issued by {previous.issuer.rfc4514_string()}, not this CA")
        serials |= {r.serial_number for r in previous}
        number = previous.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    crl = pki.build_crl(issuer, serials, next_update=dt.timedelta(hours=hours), crl_number=number)
    crl_path.parent.mkdir(parents=True, exist_ok=True)
    crl_path.write_text(pki.crl_to_pem(crl))
    typer.echo(
        f"published CRL #{number} with {len(serials)} revoked to {crl_path} "
        f"(next update in {hours} h)"
    )


@app.command("revoke")
def revoke(
    serial: Annotated[list[str], typer.Argument(help="Serial numbers (hex) to revoke.")],
    ca_cert: Annotated[Path, typer.Option(help="The CA that issued them.")],
    ca_key: Annotated[Path, typer.Option(help="Its encrypted key.")],
    crl: Annotated[Path, typer.Option(help="The CRL file to update and publish.")],
    next_update_hours: Annotated[int, typer.Option(help="CRL lifetime.")] = 24,
) -> None:
    """Revoke certificates and publish the CA's CRL (existing entries are kept)."""
    try:
        serials = {int(s, 16) for s in serial}
    except ValueError:
        raise _fail("serial numbers are hexadecimal, as `ztc pki inspect` prints them") from None
    _publish(_load_ca(ca_cert, ca_key), crl, serials, next_update_hours)


@app.command("publish-crl")
def publish_crl(
    ca_cert: Annotated[Path, typer.Option(help="The CA.")],
    ca_key: Annotated[Path, typer.Option(help="Its encrypted key.")],
    crl: Annotated[Path, typer.Option(help="The CRL file to re-sign.")],
    next_update_hours: Annotated[int, typer.Option(help="CRL lifetime.")] = 24,
) -> None:
    """Re-sign the CA's CRL with a fresh nextUpdate (run before the old one goes stale)."""
    _publish(_load_ca(ca_cert, ca_key), crl, set(), next_update_hours)


@app.command("expiries")
def expiries(
    paths: Annotated[list[Path], typer.Argument(help="PEM files or directories.")],
    warn_days: Annotated[int, typer.Option(help="Flag what expires within this many days.")] = 30,
) -> None:
    """What expires when, soonest first (root, intermediates, leaves, CRLs' next update)."""
    files = [f for p in paths for f in (sorted(p.rglob("*.pem")) if p.is_dir() else [p])]
    rows: list[tuple[dt.datetime, str, str]] = []
    seen: set[str] = set()
    for file in files:
        data = file.read_bytes()
        if b"BEGIN X509 CRL" in data:
            crl = x509.load_pem_x509_crl(data)
            if crl.next_update_utc:
                rows.append(
                    (crl.next_update_utc, f"CRL of {crl.issuer.rfc4514_string()}", file.name)
                )
        elif b"BEGIN CERTIFICATE" in data:
            for cert in pki.load_certificates(data):
                if pki.fingerprint_sha256(cert) in seen:
                    continue  # the same CA certificate inside several chain files
                seen.add(pki.fingerprint_sha256(cert))
                label = cert.subject.rfc4514_string()
                if not label:
                    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
                    label = ", ".join(str(n.value) for n in san.value)
                rows.append((cert.not_valid_after_utc, label, file.name))
    now = pki.utcnow()
    for when, label, name in sorted(set(rows)):
        left = when - now
        status = (
            "EXPIRED"
            if left.total_seconds() <= 0
            else ("RENEW" if left < dt.timedelta(days=warn_days) else "ok")
        )
        typer.echo(f"{when:%Y-%m-%d %H:%M}  {left.days:>5}d  {status:<7}  {label}  [{name}]")


def _rate(operation, iterations: int) -> float:
    start = time.perf_counter()
    for _ in range(iterations):
        operation()
    return iterations / (time.perf_counter() - start)


def bench_pki(
    iterations: Annotated[int, typer.Option(help="Operations per measurement.")] = 500,
) -> None:
    """Leaf issuances/s next to raw ECDSA P-256 signatures/s, same run, and their ratio."""
    root = pki.create_root_ca("bench.zt.example.com")
    issuer = pki.issue_intermediate_ca(root, "bench", "bench.zt.example.com")
    identity = pki.spiffe_id("bench.zt.example.com", "bench", "bench")
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"x" * 256
    signature = ec.ECDSA(hashes.SHA256())
    # Warm up both paths once, then alternate to share any drift in machine load.
    pki.issue_workload_certificate(issuer, identity)
    half = max(1, iterations // 2)
    sign_rates, issue_rates = [], []
    for _ in range(2):
        sign_rates.append(_rate(lambda: key.sign(message, signature), half))
        issue_rates.append(_rate(lambda: pki.issue_workload_certificate(issuer, identity), half))
    signs, issues = sum(sign_rates) / 2, sum(issue_rates) / 2
    typer.echo(f"raw ECDSA P-256 signatures/s : {signs:10.1f}")
    typer.echo(f"leaf issuances/s (key+sign)  : {issues:10.1f}")
    typer.echo(f"ratio issuance/signature     : {issues / signs:10.3f}")
    typer.echo("(a leaf costs one key generation + one signature + DER encoding)")
