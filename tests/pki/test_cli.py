"""`ztc pki` end to end in a temp dir: the offline root never lands in plaintext."""

from __future__ import annotations

import re
import stat

import pytest
import typer
from typer.testing import CliRunner

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.cli.pki_cli import PASSPHRASE_ENV, app, bench_pki

PASSPHRASE = "correct horse battery staple"
runner = CliRunner()


def ztc(*args: str, passphrase: str | None = PASSPHRASE):
    env = {PASSPHRASE_ENV: passphrase} if passphrase is not None else {}
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def offline_root(tmp_path):
    result = ztc("init-root", "--trust-domain", "dev.zt.example.com", "--out-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    return tmp_path


def test_init_root_writes_only_an_encrypted_key(offline_root):
    key_file = offline_root / "root-ca.key.pem"
    text = key_file.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert "BEGIN PRIVATE KEY" not in text
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    cert = pki.load_certificate((offline_root / "root-ca.pem").read_text())
    key = pki.load_private_key(text, PASSPHRASE)
    assert key.public_key() == cert.public_key()


def test_init_root_refuses_short_passphrases_and_overwrites(offline_root, tmp_path):
    short = ztc(
        "init-root",
        "--trust-domain",
        "x.example.com",
        "--out-dir",
        str(tmp_path / "n"),
        passphrase="short",
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    again = ztc("init-root", "--trust-domain", "dev.zt.example.com", "--out-dir", str(offline_root))
    assert again.exit_code == 2 and "--force" in again.output


def test_prompted_passphrase_is_confirmed(tmp_path):
    result = runner.invoke(
        app,
        ["init-root", "--trust-domain", "dev.zt.example.com", "--out-dir", str(tmp_path)],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        env={PASSPHRASE_ENV: None},
    )
    assert result.exit_code == 0, result.output
    pki.load_private_key((tmp_path / "root-ca.key.pem").read_text(), PASSPHRASE)


def test_issue_verify_revoke_and_expiries(offline_root):
    d = offline_root
    root_args = ["--ca-cert", str(d / "root-ca.pem"), "--ca-key", str(d / "root-ca.key.pem")]
    aws_args = ["--ca-cert", str(d / "dev-aws.pem"), "--ca-key", str(d / "dev-aws.key.pem")]
    assert (
        ztc(
            "issue",
            "intermediate",
            *root_args,
            "--out",
            str(d / "dev-aws"),
            "--name",
            "dev-aws",
            "--trust-domain",
            "dev-aws.dev.zt.example.com",
        ).exit_code
        == 0
    )
    assert "ENCRYPTED" in (d / "dev-aws.key.pem").read_text()
    issued = ztc(
        "issue",
        "workload",
        *aws_args,
        "--out",
        str(d / "api"),
        "--trust-domain",
        "dev-aws.dev.zt.example.com",
        "--namespace",
        "shop",
        "--service-account",
        "api",
    )
    assert issued.exit_code == 0, issued.output
    serial = re.search(r"serial ([0-9a-f]+)", issued.output).group(1)

    ok = ztc("verify", str(d / "api.pem"), "--roots", str(d / "root-ca.pem"))
    assert ok.exit_code == 0 and "spiffe://dev-aws.dev.zt.example.com/ns/shop/sa/api" in ok.output

    revoked = ztc("revoke", serial, *aws_args, "--crl", str(d / "dev-aws.crl.pem"))
    assert revoked.exit_code == 0, revoked.output
    refused = ztc(
        "verify",
        str(d / "api.pem"),
        "--roots",
        str(d / "root-ca.pem"),
        "--crl",
        str(d / "dev-aws.crl.pem"),
    )
    assert refused.exit_code == 1 and "revoked" in refused.output

    republished = ztc("publish-crl", *aws_args, "--crl", str(d / "dev-aws.crl.pem"))
    assert "CRL #2 with 1 revoked" in republished.output
    inspect = ztc("inspect", str(d / "api.pem"))
    assert "san:         spiffe://dev-aws.dev.zt.example.com/ns/shop/sa/api" in inspect.output
    assert "permitted:   dev-aws.dev.zt.example.com" in inspect.output

    expiries = ztc("expiries", str(d)).output.splitlines()
    assert any("spiffe://dev-aws" in line for line in expiries[:2])  # 24 h leaf (and CRL) first
    assert "root CA G1" in expiries[-1]  # the 10 y root last


def test_wrong_passphrase_is_a_clean_error(offline_root):
    d = offline_root
    result = ztc(
        "issue",
        "ledger-ca",
        "--ca-cert",
        str(d / "root-ca.pem"),
        "--ca-key",
        str(d / "root-ca.key.pem"),
        "--out",
        str(d / "ledger"),
        passphrase="not the right one",
    )
    assert result.exit_code == 2 and "check the passphrase" in result.output


def test_ledger_ca_and_deployer_certificate(offline_root):
    d = offline_root
    assert (
        ztc(
            "issue",
            "ledger-ca",
            "--ca-cert",
            str(d / "root-ca.pem"),
            "--ca-key",
            str(d / "root-ca.key.pem"),
            "--out",
            str(d / "ledger"),
        ).exit_code
        == 0
    )
    assert (
        ztc(
            "issue",
            "deployer",
            "--ca-cert",
            str(d / "ledger.pem"),
            "--ca-key",
            str(d / "ledger.key.pem"),
            "--out",
            str(d / "ci"),
            "--name",
            "ci-bot",
        ).exit_code
        == 0
    )
    ok = ztc("verify", str(d / "ci.pem"), "--roots", str(d / "root-ca.pem"), "--usage", "deployer")
    assert ok.exit_code == 0 and "CN=ci-bot" in ok.output
    as_workload = ztc("verify", str(d / "ci.pem"), "--roots", str(d / "root-ca.pem"))
    assert as_workload.exit_code == 1


def test_bench_prints_both_rates_and_their_ratio():
    bench = typer.Typer()
    bench.command()(bench_pki)
    result = runner.invoke(bench, ["--iterations", "20"])
    assert result.exit_code == 0, result.output
    rates = dict(re.findall(r"^(.+?)\s*:\s*([0-9.]+)$", result.output, re.MULTILINE))
    signs = float(rates["raw ECDSA P-256 signatures/s"])
    issues = float(rates["leaf issuances/s (key+sign)"])
    assert float(rates["ratio issuance/signature"]) == pytest.approx(issues / signs, abs=0.002)


def test_verify_checks_uri_constrained_chains_with_openssl(offline_root):
    """The estate's intermediates carry URI name constraints, which `cryptography` refuses to
    evaluate: `ztc pki verify` checks such chains with OpenSSL, constraints enforced."""
    d = offline_root
    root_args = ["--ca-cert", str(d / "root-ca.pem"), "--ca-key", str(d / "root-ca.key.pem")]
    issued = ztc("issue", "intermediate", *root_args, "--out", str(d / "dev-gcp"), "--name",
                 "dev-gcp", "--trust-domain", "dev-gcp.dev.zt.example.com",
                 "--uri-name-constraint")
    assert issued.exit_code == 0, issued.output
    gcp_args = ["--ca-cert", str(d / "dev-gcp.pem"), "--ca-key", str(d / "dev-gcp.key.pem")]
    result = ztc("issue", "workload", *gcp_args, "--out", str(d / "ledger"), "--trust-domain",
                 "dev-gcp.dev.zt.example.com", "--namespace", "payments",
                 "--service-account", "ledger")
    assert result.exit_code == 0, result.output
    # The CLI refuses to issue outside the intermediate's trust domain; a stolen key would not.
    gcp = pki.CertifiedKey(pki.load_certificate((d / "dev-gcp.pem").read_text()),
                           pki.load_private_key((d / "dev-gcp.key.pem").read_text(), PASSPHRASE))
    forged = pki.issue_workload_certificate(
        gcp, pki.spiffe_id("dev-aws.dev.zt.example.com", "payments", "forged"))
    (d / "forged.pem").write_text(forged.chain_pem())

    ok = ztc("verify", str(d / "ledger.pem"), "--roots", str(d / "root-ca.pem"))
    forged = ztc("verify", str(d / "forged.pem"), "--roots", str(d / "root-ca.pem"))

    assert ok.exit_code == 0, ok.output
    assert "OK spiffe://dev-gcp.dev.zt.example.com/ns/payments/sa/ledger" in ok.output
    assert forged.exit_code == 1 and "permitted subtree violation" in forged.output
