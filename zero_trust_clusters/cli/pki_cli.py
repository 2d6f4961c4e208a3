"""`ztc pki`: the offline root, issuing, inspecting, verifying, revoking, and expiries.

Private keys never touch disk in plaintext except workload keys (short-lived, mode 0600):
the root and every CA or deployer key is written PKCS#8-encrypted with the passphrase from
ZTC_PKI_PASSPHRASE or a prompt. `bench_pki` is mounted by the lead as `ztc bench pki`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
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
from pydantic import TypeAdapter, ValidationError

from zero_trust_clusters.cli.errors import EXIT_FINDING, fail, one_line
from zero_trust_clusters.cli.safe_files import Output, OutputError, write_all
from zero_trust_clusters.cli.safe_files import check as check_outputs
from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.spec import DnsName, PkiSettings, show

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


def _passphrase(*, confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        try:
            value = typer.prompt(
                "Passphrase for the private key", hide_input=True, confirmation_prompt=confirm
            )
        except typer.Abort:  # no terminal and nothing on stdin
            raise fail(
                f"no passphrase: set {PASSPHRASE_ENV} or type it at the prompt"
            ) from None
    if confirm and len(value) < MIN_PASSPHRASE:
        raise fail(
            f"the passphrase must have at least {MIN_PASSPHRASE} characters "
            f"(set {PASSPHRASE_ENV} or type a longer one)"
        )
    return value


def _write_all(outputs: list[Output], *, force: bool) -> None:
    try:
        write_all(outputs, force=force)
    except OutputError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or 'output'}: cannot be written ({exc.strerror})") from None


def _read_bytes(path: Path, flag: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise fail(f"{flag} {path}: cannot be read ({exc.strerror or exc})") from None


def _read_certificates(path: Path, flag: str = "") -> list[x509.Certificate]:
    data = _read_bytes(path, flag)
    try:
        return pki.load_certificates(data)
    except ValueError as exc:  # PkiError, or cryptography on a truncated/corrupt PEM
        where = f"{flag} {path}".strip()
        raise fail(f"{where}: no readable certificate ({one_line(exc, 160)})") from None


def _read_crl(path: Path, flag: str = "--crl") -> x509.CertificateRevocationList:
    data = _read_bytes(path, flag)
    try:
        return x509.load_pem_x509_crl(data)
    except ValueError as exc:
        raise fail(f"{flag} {path}: not a PEM CRL ({one_line(exc, 160)})") from None


def _load_ca(cert_path: Path, key_path: Path) -> pki.CertifiedKey:
    certificates = _read_certificates(cert_path, "--ca-cert")
    data = _read_bytes(key_path, "--ca-key")
    try:
        key = pki.load_private_key(data, _passphrase(confirm=False))
    except pki.PkiError as exc:
        raise fail(f"--ca-key {key_path}: {exc}") from None
    if key.public_key() != certificates[0].public_key():
        raise fail(f"--ca-key {key_path} is not the key of --ca-cert {cert_path}")
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
        int, typer.Option(help="Root generation (G1, G2, ...) for rotations.", min=1, max=999)
    ] = 1,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Create the offline root: certificate + passphrase-encrypted key (never plaintext)."""
    try:
        settings = PkiSettings(key_algorithm=key_algorithm, root_validity_days=validity_days)
    except ValueError as exc:
        problem = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
        raise fail(f"--key-algorithm/--validity-days: {problem}") from None
    try:  # the same rule as posture.trustDomain, which this root must equal
        TypeAdapter(DnsName).validate_python(trust_domain)
    except ValidationError as exc:
        raise fail(f"--trust-domain: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") \
            from None
    cert_path, key_path = out_dir / "root-ca.pem", out_dir / "root-ca.key.pem"
    try:  # before the passphrase prompt: nothing to type if nothing can be written
        check_outputs(
            [Output(cert_path, "", private=False), Output(key_path, "", private=True)],
            force=force,
        )
    except OutputError as exc:
        raise fail(str(exc)) from None
    passphrase = _passphrase(confirm=True)
    try:
        root = pki.create_root_ca(trust_domain, settings, generation=generation)
    except pki.PkiError as exc:
        raise fail(str(exc)) from None
    _write_all(
        [
            Output(cert_path, root.certificate_pem, private=False),
            Output(key_path, root.private_key_pem(passphrase), private=True),
        ],
        force=force,
    )
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
    if kind is Kind.intermediate and (not name or not trust_domain):
        raise fail("an intermediate needs --name (the cluster) and --trust-domain")
    if kind is Kind.workload and not trust_domain:
        raise fail("a workload certificate needs --trust-domain (its cluster's)")
    if kind is Kind.deployer and not name:
        raise fail("a deployer certificate needs --name (the person or CI identity)")
    cert_path, key_path = Path(f"{out}.pem"), Path(f"{out}.key.pem")
    try:
        check_outputs(
            [Output(cert_path, "", private=False), Output(key_path, "", private=True)],
            force=force,
        )
    except OutputError as exc:
        raise fail(f"--out: {exc}") from None
    issuer = _load_ca(ca_cert, ca_key)
    problem = pki.issuance_problem(issuer.certificate, kind.value, trust_domain or None)
    if problem:
        raise fail(f"--ca-cert {ca_cert}: {problem}")
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        if kind is Kind.intermediate:
            issued = pki.issue_intermediate_ca(
                issuer, name, trust_domain, uri_name_constraint=uri_name_constraint
            )
        elif kind is Kind.workload:
            identity = pki.spiffe_id(trust_domain, namespace, service_account)
            issued = pki.issue_workload_certificate(issuer, identity)
        elif kind is Kind.ledger_ca:
            issued = pki.issue_signing_intermediate(issuer, name or "change-ledger")
        else:
            issued = pki.issue_deployer_certificate(issuer, name)
    except pki.PkiError as exc:
        raise fail(str(exc)) from None
    # CA and deployer keys are encrypted like the root; workload keys are short-lived.
    if kind is Kind.workload:
        key_pem = issued.private_key_pem(None)
    else:
        key_pem = issued.private_key_pem(passphrase or _passphrase(confirm=True))
    _write_all(
        [
            Output(cert_path, issued.chain_pem(), private=False),
            Output(key_path, key_pem, private=True),
        ],
        force=force,
    )
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
    data = _read_bytes(path, "")
    if b"BEGIN X509 CRL" in data:
        crl = _read_crl(path, "")
        typer.echo(f"CRL issuer:  {crl.issuer.rfc4514_string()}")
        if crl.next_update_utc is not None:
            typer.echo(f"next update: {crl.next_update_utc:%Y-%m-%d %H:%M} UTC")
        for revoked in crl:
            typer.echo(f"revoked:     {revoked.serial_number:x}")
        return
    for index, cert in enumerate(_read_certificates(path)):
        typer.echo(f"[{index}]")
        for line in _describe(cert):
            typer.echo(f"  {line}")


@app.command("verify")
def verify(
    chain: Annotated[Path, typer.Argument(help="Leaf + intermediate (PEM).")],
    roots: Annotated[Path, typer.Option(help="Trust bundle (roots only).")],
    usage: Annotated[Usage, typer.Option(help="How the certificate is used.")] = Usage.client,
    crl: Annotated[list[Path], typer.Option(help="CRL files to check (repeatable).")] = [],  # noqa: B006
) -> None:
    """Verify a chain with cryptography's verifier + the SPIFFE (or ledger EKU) rule; a chain
    with URI name constraints (the estate's default) with `openssl verify` + the SPIFFE rule.

    Exit codes: 0 trusted, 1 refused (the chain was checked and must not be trusted), 2 bad
    input (unreadable file, a non-root in --roots, a corrupt CRL).
    """
    certs = _read_certificates(chain)
    try:
        anchors = pki.trust_bundle(_read_certificates(roots, "--roots"))
    except pki.PkiError as exc:
        raise fail(f"--roots {roots}: {exc}") from None
    crls = [_read_crl(p) for p in crl]
    try:
        if usage is Usage.deployer:
            pki.verify_deployer_certificate(certs[0], certs[1:], anchors, crls=crls)
            typer.echo(f"OK deployer {certs[0].subject.rfc4514_string()}")
        elif any(_uri_constrained(c) for c in certs[1:]):
            identity = _verify_with_openssl(certs, anchors, usage, crls)
            typer.echo(f"OK {identity} (chain checked by OpenSSL: URI name constraints)")
        else:
            result = pki.verify_workload(
                certs[0],
                [c for c in certs[1:] if c.issuer != c.subject],
                anchors,
                usage=usage.value,
                crls=crls,
            )
            typer.echo(f"OK {result.spiffe_id}")
    except (pki.PkiVerificationError, pki.PkiError) as exc:
        typer.secho(f"REFUSED: {one_line(exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_FINDING) from None


def _uri_constrained(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return False
    return any(isinstance(n, x509.UniformResourceIdentifier)
               for n in constraints.permitted_subtrees or [])


def _verify_with_openssl(certs: list[x509.Certificate], roots: list[x509.Certificate],
                         usage: Usage, crls: list[x509.CertificateRevocationList]) -> str:
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
        roots_path = Path(tmp, "roots.pem")
        leaf_path.write_text(pki.to_pem(leaf))
        chain_path.write_text("".join(pki.to_pem(c) for c in intermediates))
        roots_path.write_text("".join(pki.to_pem(c) for c in roots))
        command = [binary, "verify", "-x509_strict", "-purpose",
                   "sslclient" if usage is Usage.client else "sslserver",
                   "-CAfile", str(roots_path), "-untrusted", str(chain_path)]
        if crls:
            crl_path = Path(tmp, "crls.pem")
            crl_path.write_text("".join(pki.crl_to_pem(c) for c in crls))
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


# A CRL's serial: a positive integer of at most 20 octets (RFC 5280 4.1.2.2), in hex.
_SERIAL = re.compile(r"[0-9a-fA-F]{1,40}")
MAX_CRL_HOURS = 24 * 366


def _crls_of(issuer: pki.CertifiedKey, directories: set[Path]) -> list[Path]:
    """CRL files in `directories` signed by `issuer` (the CA's existing CRLs)."""
    found = []
    for directory in sorted(directories):
        try:
            candidates = sorted(p for p in directory.iterdir() if p.is_file())
        except OSError:
            continue
        for path in candidates:
            try:
                if path.stat().st_size > 10_000_000:
                    continue
                data = path.read_bytes()
                if b"BEGIN X509 CRL" not in data:
                    continue
                crl = x509.load_pem_x509_crl(data)
            except (OSError, ValueError):
                continue
            if crl.issuer == issuer.certificate.subject and crl.is_signature_valid(
                issuer.certificate.public_key()
            ):
                found.append(path)
    return found


def _publish(
    issuer: pki.CertifiedKey,
    crl_path: Path,
    serials: set[int],
    hours: int,
    *,
    ca_cert: Path,
    new_crl: bool,
) -> None:
    if not 1 <= hours <= MAX_CRL_HOURS:
        raise fail(f"--next-update-hours {hours}: use 1 to {MAX_CRL_HOURS} hours")
    if not issuer.certificate.extensions.get_extension_for_class(
        x509.KeyUsage
    ).value.crl_sign:
        raise fail(f"--ca-cert {ca_cert}: this certificate may not sign CRLs (not a CA)")
    number = 1
    if crl_path.is_symlink() or crl_path.exists():
        previous = _read_crl(crl_path)
        if previous.issuer != issuer.certificate.subject or not previous.is_signature_valid(
            issuer.certificate.public_key()
        ):
            raise fail(
                f"--crl {crl_path} was issued by {previous.issuer.rfc4514_string()}, not by "
                f"--ca-cert {ca_cert}"
            )
        serials |= {r.serial_number for r in previous}
        number_ext = previous.extensions.get_extension_for_class(x509.CRLNumber)
        number = number_ext.value.crl_number + 1
    elif not new_crl:
        # A typo in --crl must not start an empty CRL: the revoked would verify again.
        others = _crls_of(issuer, {ca_cert.parent, crl_path.parent})
        if others:
            raise fail(
                f"--crl {crl_path} does not exist but this CA already has a CRL at {others[0]}; "
                "pass that path, or --new-crl to start a new CRL on purpose"
            )
        if not serials:
            raise fail(
                f"--crl {crl_path} does not exist; publish-crl re-signs an existing CRL "
                "(pass --new-crl to start one)"
            )
    crl = pki.build_crl(issuer, serials, next_update=dt.timedelta(hours=hours), crl_number=number)
    _write_all([Output(crl_path, pki.crl_to_pem(crl), private=False)], force=True)
    typer.echo(
        f"published CRL #{number} with {len(serials)} revoked to {crl_path} "
        f"(next update in {hours} h)"
    )


NewCrlOpt = Annotated[
    bool, typer.Option("--new-crl", help="Start a new CRL when --crl does not exist yet.")
]


@app.command("revoke")
def revoke(
    serial: Annotated[list[str], typer.Argument(help="Serial numbers (hex) to revoke.")],
    ca_cert: Annotated[Path, typer.Option(help="The CA that issued them.")],
    ca_key: Annotated[Path, typer.Option(help="Its encrypted key.")],
    crl: Annotated[Path, typer.Option(help="The CRL file to update and publish.")],
    next_update_hours: Annotated[int, typer.Option(help="CRL lifetime.")] = 24,
    new_crl: NewCrlOpt = False,
) -> None:
    """Revoke certificates and publish the CA's CRL (existing entries are kept)."""
    bad = [s for s in serial if not _SERIAL.fullmatch(s) or int(s, 16) == 0]
    if bad:
        raise fail(
            f"serial {show(bad[0])}: serial numbers are positive hexadecimal of at most 40 "
            "digits, as `ztc pki inspect` prints them"
        )
    serials = {int(s, 16) for s in serial}
    issuer = _load_ca(ca_cert, ca_key)
    _publish(issuer, crl, serials, next_update_hours, ca_cert=ca_cert, new_crl=new_crl)


@app.command("publish-crl")
def publish_crl(
    ca_cert: Annotated[Path, typer.Option(help="The CA.")],
    ca_key: Annotated[Path, typer.Option(help="Its encrypted key.")],
    crl: Annotated[Path, typer.Option(help="The CRL file to re-sign.")],
    next_update_hours: Annotated[int, typer.Option(help="CRL lifetime.")] = 24,
    new_crl: NewCrlOpt = False,
) -> None:
    """Re-sign the CA's CRL with a fresh nextUpdate (run before the old one goes stale)."""
    issuer = _load_ca(ca_cert, ca_key)
    _publish(issuer, crl, set(), next_update_hours, ca_cert=ca_cert, new_crl=new_crl)


@app.command("expiries")
def expiries(
    paths: Annotated[list[Path], typer.Argument(help="PEM files or directories.")],
    warn_days: Annotated[int, typer.Option(help="Flag what expires within this many days.")] = 30,
) -> None:
    """What expires when, soonest first (root, intermediates, leaves, CRLs' next update)."""
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail(f"{missing[0]}: does not exist")
    files = [f for p in paths for f in (sorted(p.rglob("*.pem")) if p.is_dir() else [p])]
    named = {p for p in paths if not p.is_dir()}
    rows: list[tuple[dt.datetime, str, str]] = []
    seen: set[str] = set()
    for file in files:
        if file.is_dir():
            continue  # a directory named *.pem
        data = _read_bytes(file, "")
        if file in named and b"BEGIN X509 CRL" not in data and b"BEGIN CERTIFICATE" not in data:
            raise fail(f"{file}: holds no PEM certificate or CRL")
        if b"BEGIN X509 CRL" in data:
            crl = _read_crl(file, "")
            if crl.next_update_utc:
                rows.append(
                    (crl.next_update_utc, f"CRL of {crl.issuer.rfc4514_string()}", file.name)
                )
        elif b"BEGIN CERTIFICATE" in data:
            for cert in _read_certificates(file):
                if pki.fingerprint_sha256(cert) in seen:
                    continue  # the same CA certificate inside several chain files
                seen.add(pki.fingerprint_sha256(cert))
                label = cert.subject.rfc4514_string()
                if not label:
                    try:
                        san = cert.extensions.get_extension_for_class(
                            x509.SubjectAlternativeName
                        )
                        label = ", ".join(str(n.value) for n in san.value)
                    except x509.ExtensionNotFound:
                        label = f"serial {cert.serial_number:x}"
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
