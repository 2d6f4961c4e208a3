"""`ztc ledger`: record, verify and show the signed change ledger; `ztc bench ledger`.

Deploy path (README): after `pulumi up -s <stack>` succeeds,

    pulumi stack export -s <stack> | ztc ledger record --stack <stack>

The deployer key and certificate chain come from `--key/--cert` (or ZTC_LEDGER_KEY /
ZTC_LEDGER_CERT); `record` (pre-flight) and `verify` trust the root in `--root` (or
ZTC_LEDGER_ROOT).
The store is the directory `--ledger` (default .ztc/ledger) unless one cloud store is named:
`--s3-bucket`, `--azure-container` or `--gcs-bucket` (zero_trust_clusters/components/ledger/README.md).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zero_trust_clusters.cli.errors import EXIT_FINDING, fail, one_line, warn
from zero_trust_clusters.components.ledger.canonical import canonical_bytes
from zero_trust_clusters.components.ledger.chain import LedgerError, verify
from zero_trust_clusters.components.ledger.code import CodeDigestError
from zero_trust_clusters.components.ledger.entry import (
    GENESIS_PREV,
    build_entry,
    entry_hash,
    signing_payload,
)
from zero_trust_clusters.components.ledger.local import DirectoryStore
from zero_trust_clusters.components.ledger.recording import record_stack_export
from zero_trust_clusters.components.ledger.state import StackExportError
from zero_trust_clusters.components.ledger.store import LedgerStore

app = typer.Typer(help="The signed, hash-chained change ledger (ZT-CHANGE-LEDGER).",
                  no_args_is_help=True)
console = Console(soft_wrap=True)  # long hashes and paths stay on one line

LedgerOpt = Annotated[Path, typer.Option("--ledger", envvar="ZTC_LEDGER_DIR",
                                         help="Directory store (the default store).")]
BucketOpt = Annotated[str | None, typer.Option(
    "--s3-bucket", envvar="ZTC_LEDGER_BUCKET",
    help="Use the S3 store in this bucket (Object Lock enabled).")]
AzureOpt = Annotated[str | None, typer.Option(
    "--azure-container", envvar="ZTC_LEDGER_AZURE_CONTAINER",
    help="Use the Azure Blob store in this container URL (https://<account>.blob.core.windows"
         ".net/<container>); Entra ID credentials, or the account key in AZURE_STORAGE_KEY.")]
GcsOpt = Annotated[str | None, typer.Option(
    "--gcs-bucket", envvar="ZTC_LEDGER_GCS_BUCKET",
    help="Use the Cloud Storage store in this bucket (locked retention policy); "
         "application default credentials.")]
PrefixOpt = Annotated[str, typer.Option(
    "--prefix", "--s3-prefix", envvar="ZTC_LEDGER_PREFIX",
    help="Key / blob / object name prefix of the entries in a cloud store.")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--s3-endpoint", envvar="ZTC_LEDGER_S3_ENDPOINT",
    help="Endpoint URL of an S3-compatible service.")]
RetentionOpt = Annotated[int, typer.Option(
    "--retention-days", envvar="ZTC_LEDGER_RETENTION_DAYS",
    help="Object Lock COMPLIANCE retention per new S3 entry.")]
DEFAULT_LEDGER = Path(".ztc/ledger")


STORE_FLAGS = "--ledger/--s3-bucket/--azure-container/--gcs-bucket"


def open_store(ledger: Path, bucket: str | None, prefix: str, endpoint: str | None,
               retention_days: int = 2555, *, azure_container: str | None = None,
               gcs_bucket: str | None = None) -> LedgerStore:
    chosen = {flag: value for flag, value in (("--s3-bucket", bucket),
              ("--azure-container", azure_container), ("--gcs-bucket", gcs_bucket)) if value}
    if len(chosen) > 1:
        raise fail(f"{'/'.join(chosen)}: name one ledger store, not {len(chosen)}")
    if not chosen:
        if ledger.exists() and not ledger.is_dir():
            raise fail(f"--ledger {ledger}: is not a directory")
        return DirectoryStore(ledger)
    [(flag, value)] = chosen.items()
    return CLOUD_STORES[flag](value, prefix, endpoint, retention_days)


def _s3_store(bucket: str, prefix: str, endpoint: str | None,
              retention_days: int) -> LedgerStore:
    import boto3  # only the S3 store needs it

    from zero_trust_clusters.components.ledger.s3 import S3Store

    try:
        client = boto3.client("s3", endpoint_url=endpoint) if endpoint else boto3.client("s3")
        return S3Store(client, bucket, prefix, retention_days=retention_days)
    except ValueError as exc:  # botocore's invalid endpoint / region, S3Store's retention
        raise fail(f"--s3-bucket/--s3-endpoint/--retention-days: {one_line(exc, 200)}") from None


def _azure_store(url: str, prefix: str, _endpoint: str | None,
                 _retention_days: int) -> LedgerStore:
    # Retention comes from the account's locked immutability policy, not from the writer.
    try:
        from azure.storage.blob import ContainerClient

        from zero_trust_clusters.components.ledger.azure_blob import AzureBlobStore
    except ImportError:
        raise fail("--azure-container: the Azure Blob store needs the ledger-azure extra "
                   "(pip install 'zero-trust-clusters[ledger-azure]')") from None
    key = os.environ.get("AZURE_STORAGE_KEY")
    try:
        if key:
            credential: Any = key
        else:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        container = ContainerClient.from_container_url(url, credential=credential)
    except (ValueError, ImportError) as exc:
        raise fail(f"--azure-container {url}: {one_line(exc, 200)}; give the container URL, "
                   "https://<account>.blob.core.windows.net/<container>") from None
    return AzureBlobStore(container, prefix)


def _gcs_store(bucket: str, prefix: str, _endpoint: str | None,
               _retention_days: int) -> LedgerStore:
    # Retention comes from the bucket's locked retention policy, not from the writer.
    try:
        from google.cloud import storage

        from zero_trust_clusters.components.ledger.gcs import GcsStore
    except ImportError:
        raise fail("--gcs-bucket: the Cloud Storage store needs the ledger-gcp extra "
                   "(pip install 'zero-trust-clusters[ledger-gcp]')") from None
    from google.auth.exceptions import GoogleAuthError

    try:
        # STORAGE_EMULATOR_HOST (the client's own setting) points it at an emulator.
        return GcsStore(storage.Client().bucket(bucket), prefix)
    except (ValueError, GoogleAuthError) as exc:
        raise fail(f"--gcs-bucket {bucket}: {one_line(exc, 200)}") from None


CloudStore = Callable[[str, str, str | None, int], LedgerStore]
CLOUD_STORES: dict[str, CloudStore] = {"--s3-bucket": _s3_store,
                                       "--azure-container": _azure_store,
                                       "--gcs-bucket": _gcs_store}


def _store_failures() -> tuple[type[BaseException], ...]:
    """The exceptions a store raises when the service or the network fails (SDKs that are
    not installed raise nothing)."""
    from botocore.exceptions import BotoCoreError, ClientError

    found: list[type[BaseException]] = [OSError, BotoCoreError, ClientError]
    try:
        from azure.core.exceptions import AzureError

        found.append(AzureError)
    except ImportError:
        pass
    try:
        from google.api_core.exceptions import GoogleAPIError
        from google.auth.exceptions import GoogleAuthError

        found += [GoogleAPIError, GoogleAuthError]
    except ImportError:
        pass
    return tuple(found)


@contextmanager
def _store_errors(store_flag: str = STORE_FLAGS) -> Iterator[None]:
    """Storage failures (permissions, network, service errors) as one line naming the flags."""
    try:
        yield
    except _store_failures() as exc:
        raise fail(f"{store_flag}: the ledger store failed: {one_line(exc, 300)}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _fail(message: str) -> typer.Exit:
    return fail(message)


def _read_crls(paths: list[Path]) -> list:
    from cryptography import x509

    crls = []
    for path in paths:
        try:
            crls.append(x509.load_pem_x509_crl(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise fail(f"--crl {path}: not a readable PEM CRL ({one_line(exc, 160)})") from None
    return crls


def _verifier(root: Path, crl_paths: list[Path]):
    from zero_trust_clusters.components.ledger.identity import pki_verifier, roots_from_file

    try:
        roots = roots_from_file(root)
    except (OSError, ValueError) as exc:
        raise fail(f"--root {root}: {one_line(exc, 200)}") from None
    crls = _read_crls(crl_paths)
    try:
        return pki_verifier(roots, crls)
    except ValueError as exc:
        raise fail(f"--root {root}: {one_line(exc, 200)}") from None


@app.command()
def record(
    stack: Annotated[str, typer.Option("--stack", "-s", help="The stack that was deployed.")],
    key: Annotated[Path, typer.Option("--key", envvar="ZTC_LEDGER_KEY",
                                      help="Deployer private key (PKCS#8 PEM).")],
    cert: Annotated[Path, typer.Option(
        "--cert", envvar="ZTC_LEDGER_CERT",
        help="Deployer certificate chain PEM, deployer certificate first.")],
    root: Annotated[Path, typer.Option(
        "--root", envvar="ZTC_LEDGER_ROOT",
        help="Shared root PEM: the deployer chain is checked before anything is written.")],
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="CRL PEM files: a revoked deployer certificate records nothing.")] = None,
    state: Annotated[str, typer.Option(
        "--state", help="`pulumi stack export` JSON file, or - for stdin.")] = "-",
    repo: Annotated[Path, typer.Option(
        "--repo", help="Checkout of the program and policies.")] = Path("."),
    project: Annotated[str | None, typer.Option("--project")] = None,
    ledger: LedgerOpt = DEFAULT_LEDGER,
    s3_bucket: BucketOpt = None,
    azure_container: AzureOpt = None,
    gcs_bucket: GcsOpt = None,
    s3_prefix: PrefixOpt = "ledger/",
    s3_endpoint: EndpointOpt = None,
    retention_days: RetentionOpt = 2555,
) -> None:
    """Append a signed entry for a deployed stack (reads `pulumi stack export`)."""
    from zero_trust_clusters.components.ledger.identity import signer_from_files

    try:
        raw = sys.stdin.read() if state == "-" else Path(state).read_text()
        document = json.loads(raw, parse_constant=_reject_constant)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(f"--state {state}: cannot read the stack export ({one_line(exc, 200)})") \
            from None
    if not isinstance(document, dict):
        raise _fail(f"--state {state}: not a `pulumi stack export` document (not a JSON object)")
    try:
        # Deployer keys from `ztc pki issue deployer` are encrypted with ZTC_PKI_PASSPHRASE.
        passphrase = (os.environ.get("ZTC_LEDGER_KEY_PASSPHRASE")
                      or os.environ.get("ZTC_PKI_PASSPHRASE"))
        signer = signer_from_files(key, cert, passphrase)
    except (OSError, ValueError) as exc:
        raise _fail(f"deployer identity (--key/--cert): {one_line(exc, 300)}") from None
    preflight = _verifier(root, crl or [])
    store = open_store(ledger, s3_bucket, s3_prefix, s3_endpoint, retention_days,
                       azure_container=azure_container, gcs_bucket=gcs_bucket)
    try:
        with _store_errors():
            entry = record_stack_export(document, stack=stack, store=store, signer=signer,
                                        repo_dir=repo, project=project, preflight=preflight)
    except (StackExportError, CodeDigestError, LedgerError) as exc:
        raise _fail(str(exc)) from None
    code = entry["code"]
    typer.echo(
        f"recorded entry {entry['seq']} in {store.location}: stack {stack}, "
        f"{entry['state']['resources']} resources, state {entry['state']['digest']}, "
        f"commit {code['commit']}{' (dirty tree ' + code['tree'] + ')' if code['dirty'] else ''}"
    )
    # The new head: keep it elsewhere (CI log, ticket) to detect truncation later.
    typer.echo(f"head {entry_hash(entry)}")


@app.command("verify")
def verify_cmd(
    root: Annotated[Path, typer.Option("--root", envvar="ZTC_LEDGER_ROOT",
                                       help="PEM file with the shared root certificate(s).")],
    crl: Annotated[list[Path] | None, typer.Option(
        "--crl", help="CRL PEM files to check signers against.")] = None,
    head: Annotated[str | None, typer.Option(
        "--head", help="Expected head hash (detects removed last entries).")] = None,
    ledger: LedgerOpt = DEFAULT_LEDGER,
    s3_bucket: BucketOpt = None,
    azure_container: AzureOpt = None,
    gcs_bucket: GcsOpt = None,
    s3_prefix: PrefixOpt = "ledger/",
    s3_endpoint: EndpointOpt = None,
) -> None:
    """Check every hash link, signature and signer chain; report the first broken entry."""
    verifier = _verifier(root, crl or [])
    store = open_store(ledger, s3_bucket, s3_prefix, s3_endpoint,
                       azure_container=azure_container, gcs_bucket=gcs_bucket)
    with _store_errors():
        report = verify(store, verifier, expected_head=head)
    for warning in report.warnings:
        warn(warning)
    if report.broken is not None:
        b = report.broken
        typer.secho(f"BROKEN at entry {b.seq} ({b.location}): {one_line(b.reason)}",
                    fg=typer.colors.RED)
        typer.echo(f"{report.entries} entries before it are intact.")
        raise typer.Exit(EXIT_FINDING)
    if report.entries == 0:
        # Nothing to vouch for: a typo in --ledger / --s3-bucket must not read as "OK".
        raise _fail(f"{STORE_FLAGS}: no ledger entries in {store.location}; nothing was "
                    "verified (check the store flags)")
    typer.secho(f"OK {report.entries} entries in {store.location}; head {report.head}",
                fg=typer.colors.GREEN)


def _subject(entry: dict[str, Any]) -> str:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    signer = entry.get("signer")
    pems = (signer.get("chain") if isinstance(signer, dict) else None) or []
    if not pems:
        return "(unsigned)"
    try:
        cert = x509.load_pem_x509_certificate(pems[0].encode())
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        return "(unreadable certificate)"
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


@app.command()
def show(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Only this stack.")] = None,
    last: Annotated[int, typer.Option("--last", min=0,
                                      help="Show the last N entries (0: all).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ledger: LedgerOpt = DEFAULT_LEDGER,
    s3_bucket: BucketOpt = None,
    azure_container: AzureOpt = None,
    gcs_bucket: GcsOpt = None,
    s3_prefix: PrefixOpt = "ledger/",
    s3_endpoint: EndpointOpt = None,
) -> None:
    """List who changed what and when (run `verify` to check the entries)."""
    store = open_store(ledger, s3_bucket, s3_prefix, s3_endpoint,
                       azure_container=azure_container, gcs_bucket=gcs_bucket)
    rows: list[dict[str, Any]] = []
    with _store_errors():
        stored_entries = list(store.entries())
    for stored in stored_entries:
        try:
            entry = json.loads(stored.data)
            if not isinstance(entry, dict):
                raise TypeError("not an object")
        except (ValueError, TypeError, RecursionError):
            rows.append({"seq": stored.seq, "time": "?", "stack": "?",
                         "signer": "(unreadable entry)", "digest": "", "resources": "",
                         "commit": "", "dirty": None})
            continue
        if stack and entry.get("stack") != stack:
            continue
        code, st = entry.get("code"), entry.get("state")
        code, st = (code if isinstance(code, dict) else {}), (st if isinstance(st, dict) else {})
        rows.append({"seq": entry.get("seq"), "time": entry.get("time"),
                     "stack": entry.get("stack"), "signer": _subject(entry),
                     "digest": st.get("digest"), "resources": st.get("resources"),
                     "commit": code.get("commit"), "dirty": code.get("dirty")})
    rows = rows[-last:] if last else rows
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, sort_keys=True))
        return
    table = Table(title=f"change ledger {store.location}")
    for column in ("seq", "when (UTC)", "stack", "who (signer)", "state digest",
                   "resources", "commit"):
        table.add_column(column, overflow="fold")
    for row in rows:
        commit = str(row["commit"] or "none")[:12] + (" dirty" if row["dirty"] else "")
        cells = (str(row["seq"]), str(row["time"]), str(row["stack"]), str(row["signer"]),
                 str(row["digest"] or "")[:19], str(row["resources"]), commit)
        table.add_row(*(escape(one_line(c, 120)) for c in cells))
    console.print(table)


def bench_ledger(
    entries: Annotated[int, typer.Option("--entries", help="Ledger length to verify.")] = 10_000,
) -> None:
    """`ztc ledger verify` time for N entries next to the raw ECDSA verification rate."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from zero_trust_clusters.components.ledger.identity import pki_verifier, signer_from_certified
    from zero_trust_clusters.components.pki import authority as pki

    root = pki.create_root_ca("bench.example")
    deployer = pki.issue_deployer_certificate(
        pki.issue_signing_intermediate(root), "bench-deployer")
    signer = signer_from_certified(deployer)
    start = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="ztc-ledger-bench-") as tmp:
        # Built directly (not through `append`, which re-lists the directory per entry)
        # and without fsync: only verification is being measured.
        store = DirectoryStore(Path(tmp), fsync=False)
        prev, payloads = GENESIS_PREV, []
        t0 = time.perf_counter()
        for seq in range(entries):
            entry = build_entry(
                seq=seq, prev=prev, stack=f"stack-{seq % 3}", project="bench",
                time=start + timedelta(seconds=seq),
                state={"digest": "sha256:" + f"{seq:064x}", "resources": 400 + seq % 50,
                       "secrets": 3},
                code={"commit": f"{seq:040x}", "tree": f"{seq:040x}", "dirty": False,
                      "subtrees": {}},
                signer=signer,
            )
            store.put_new(seq, canonical_bytes(entry) + b"\n")
            payloads.append((signing_payload(entry), entry["signature"]["value"]))
            prev = entry_hash(entry)
        build_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = verify(store, pki_verifier([root.certificate]))
        verify_s = time.perf_counter() - t0
        if not report.ok or report.entries != entries:
            raise _fail(f"benchmark ledger did not verify: {report.broken}")

    import base64

    public = deployer.certificate.public_key()
    raw = [(p, base64.b64decode(s)) for p, s in payloads]
    t0 = time.perf_counter()
    for payload, signature in raw:
        public.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    raw_s = time.perf_counter() - t0

    ledger_rate, raw_rate = entries / verify_s, entries / raw_s
    console.print(f"ledger: {entries} entries built+signed+written in {build_s:.2f} s")
    console.print(f"ztc ledger verify: {entries} entries in {verify_s:.3f} s "
                  f"= {ledger_rate:,.0f} entries/s")
    console.print(f"raw ECDSA P-256 verify (same payloads): {raw_s:.3f} s "
                  f"= {raw_rate:,.0f} verifies/s")
    console.print(f"ratio ledger/raw: {ledger_rate / raw_rate:.2f} "
                  "(the rest is reading, JSON, canonical form and SHA-256 links)")
