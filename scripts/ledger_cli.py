"""`ztc ledger`: record, verify and show the signed change ledger; `ztc bench ledger`.

Deploy path (README): after `pulumi up -s <stack>` succeeds,

    pulumi stack export -s <stack> | ztc ledger record --stack <stack>

The deployer key and certificate chain come from `--key/--cert` (or ZTC_LEDGER_KEY /
ZTC_LEDGER_CERT); `record` (pre-flight) and `verify` trust the root in `--root` (or
ZTC_LEDGER_ROOT).
The store is the directory `--ledger` (default .ztc/ledger) unless `--s3-bucket` is set.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from components.ledger.canonical import canonical_bytes
from components.ledger.chain import LedgerError, verify
from components.ledger.code import CodeDigestError
from components.ledger.entry import GENESIS_PREV, build_entry, entry_hash, signing_payload
from components.ledger.local import DirectoryStore
from components.ledger.recording import record_stack_export
from components.ledger.state import StackExportError
from components.ledger.store import LedgerStore

app = typer.Typer(help="The signed, hash-chained change ledger (ZT-CHANGE-LEDGER).",
                  no_args_is_help=True)
console = Console(soft_wrap=True)  # long hashes and paths stay on one line

LedgerOpt = Annotated[Path, typer.Option("--ledger", envvar="ZTC_LEDGER_DIR",
                                         help="Directory store (the default store).")]
BucketOpt = Annotated[str | None, typer.Option(
    "--s3-bucket", envvar="ZTC_LEDGER_BUCKET",
    help="Use the S3 store in this bucket (Object Lock enabled).")]
PrefixOpt = Annotated[str, typer.Option("--s3-prefix", envvar="ZTC_LEDGER_PREFIX")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--s3-endpoint", envvar="ZTC_LEDGER_S3_ENDPOINT",
    help="Endpoint URL of an S3-compatible service.")]
RetentionOpt = Annotated[int, typer.Option(
    "--retention-days", envvar="ZTC_LEDGER_RETENTION_DAYS",
    help="Object Lock COMPLIANCE retention per new S3 entry.")]
DEFAULT_LEDGER = Path(".ztc/ledger")


def open_store(ledger: Path, bucket: str | None, prefix: str, endpoint: str | None,
               retention_days: int = 2555) -> LedgerStore:
    if not bucket:
        return DirectoryStore(ledger)
    import boto3  # only the S3 store needs it

    from components.ledger.s3 import S3Store

    client = boto3.client("s3", endpoint_url=endpoint) if endpoint else boto3.client("s3")
    return S3Store(client, bucket, prefix, retention_days=retention_days)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(2)


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
    state: Annotated[str, typer.Option(
        "--state", help="`pulumi stack export` JSON file, or - for stdin.")] = "-",
    repo: Annotated[Path, typer.Option(
        "--repo", help="Checkout of the program and policies.")] = Path("."),
    project: Annotated[str | None, typer.Option("--project")] = None,
    ledger: LedgerOpt = DEFAULT_LEDGER,
    s3_bucket: BucketOpt = None,
    s3_prefix: PrefixOpt = "ledger/",
    s3_endpoint: EndpointOpt = None,
    retention_days: RetentionOpt = 2555,
) -> None:
    """Append a signed entry for a deployed stack (reads `pulumi stack export`)."""
    from components.ledger.identity import pki_verifier, roots_from_file, signer_from_files

    try:
        raw = sys.stdin.read() if state == "-" else Path(state).read_text()
        document = json.loads(raw)
    except (OSError, json.JSONDecodeError) as exc:
        raise _fail(f"cannot read the stack export from {state}: {exc}") from None
    try:
        # Deployer keys from `ztc pki issue deployer` are encrypted with ZTC_PKI_PASSPHRASE.
        passphrase = (os.environ.get("ZTC_LEDGER_KEY_PASSPHRASE")
                      or os.environ.get("ZTC_PKI_PASSPHRASE"))
        signer = signer_from_files(key, cert, passphrase)
    except (OSError, ValueError) as exc:
        raise _fail(f"deployer identity (--key/--cert): {exc}") from None
    try:
        preflight = pki_verifier(roots_from_file(root))
    except (OSError, ValueError) as exc:
        raise _fail(f"--root: {exc}") from None
    store = open_store(ledger, s3_bucket, s3_prefix, s3_endpoint, retention_days)
    try:
        entry = record_stack_export(document, stack=stack, store=store, signer=signer,
                                    repo_dir=repo, project=project, preflight=preflight)
    except (StackExportError, CodeDigestError, LedgerError) as exc:
        raise _fail(str(exc)) from None
    code = entry["code"]
    console.print(
        f"recorded entry {entry['seq']} in {store.location}: stack {stack}, "
        f"{entry['state']['resources']} resources, state {entry['state']['digest']}, "
        f"commit {code['commit']}{' (dirty tree ' + code['tree'] + ')' if code['dirty'] else ''}"
    )
    # The new head: keep it elsewhere (CI log, ticket) to detect truncation later.
    console.print(f"head {entry_hash(entry)}")


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
    s3_prefix: PrefixOpt = "ledger/",
    s3_endpoint: EndpointOpt = None,
) -> None:
    """Check every hash link, signature and signer chain; report the first broken entry."""
    from cryptography import x509

    from components.ledger.identity import pki_verifier, roots_from_file

    try:
        roots = roots_from_file(root)
        crls = [x509.load_pem_x509_crl(p.read_bytes()) for p in crl or []]
        verifier = pki_verifier(roots, crls)
    except (OSError, ValueError) as exc:
        raise _fail(f"--root/--crl: {exc}") from None
    store = open_store(ledger, s3_bucket, s3_prefix, s3_endpoint)
    report = verify(store, verifier, expected_head=head)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
    if report.broken is not None:
        b = report.broken
        console.print(f"[red]BROKEN at entry {b.seq}[/red] ({b.location}): {b.reason}",
                      soft_wrap=True)
        console.print(f"{report.entries} entries before it are intact.")
        raise typer.Exit(1)
    console.print(f"[green]OK[/green] {report.entries} entries in {store.location}; "
                  f"head {report.head}")


def _subject(entry: dict[str, Any]) -> str:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    pems = (entry.get("signer") or {}).get("chain") or []
    if not pems:
        return "(unsigned)"
    try:
        cert = x509.load_pem_x509_certificate(pems[0].encode())
    except ValueError:
        return "(unreadable certificate)"
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


@app.command()
def show(
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Only this stack.")] = None,
    last: Annotated[int, typer.Option("--last", help="Show the last N entries (0: all).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ledger: LedgerOpt = DEFAULT_LEDGER,
    s3_bucket: BucketOpt = None,
    s3_prefix: PrefixOpt = "ledger/",
    s3_endpoint: EndpointOpt = None,
) -> None:
    """List who changed what and when (run `verify` to check the entries)."""
    store = open_store(ledger, s3_bucket, s3_prefix, s3_endpoint)
    rows: list[dict[str, Any]] = []
    for stored in store.entries():
        try:
            entry = json.loads(stored.data)
        except ValueError:
            rows.append({"seq": stored.seq, "time": "?", "stack": "?",
                         "signer": "(unreadable entry)", "digest": "", "resources": "",
                         "commit": "", "dirty": None})
            continue
        if stack and entry.get("stack") != stack:
            continue
        code, st = entry.get("code") or {}, entry.get("state") or {}
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
        commit = (row["commit"] or "none")[:12] + (" dirty" if row["dirty"] else "")
        table.add_row(str(row["seq"]), str(row["time"]), str(row["stack"]), row["signer"],
                      str(row["digest"] or "")[:19], str(row["resources"]), commit)
    console.print(table)


def bench_ledger(
    entries: Annotated[int, typer.Option("--entries", help="Ledger length to verify.")] = 10_000,
) -> None:
    """`ztc ledger verify` time for N entries next to the raw ECDSA verification rate."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from components.ledger.identity import pki_verifier, signer_from_certified
    from components.pki import authority as pki

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
