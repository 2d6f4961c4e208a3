"""`ztc pki` under careless and hostile input: one line, exit 2, nothing half-written.

Through `zero_trust_clusters.cli.main.run`, the one error path every `ztc` command ends in.
"""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path

import pytest

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.cli.main import run
from zero_trust_clusters.cli.pki_cli import PASSPHRASE_ENV

PASSPHRASE = "correct horse battery staple"


def ztc(capsys, *args: str) -> tuple[int, str]:
    code = run(["pki", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(autouse=True)
def passphrase(monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)


@pytest.fixture
def d(tmp_path, capsys) -> Path:
    code, out = ztc(capsys, "init-root", "--trust-domain", "dev.zt.example.com",
                    "--out-dir", str(tmp_path))
    assert code == 0, out
    code, out = ztc(capsys, "issue", "intermediate", *_ca(tmp_path, "root-ca"), "--out",
                    str(tmp_path / "dev-aws"), "--name", "dev-aws", "--trust-domain",
                    "dev-aws.dev.zt.example.com")
    assert code == 0, out
    return tmp_path


def _ca(d: Path, name: str) -> list[str]:
    return ["--ca-cert", str(d / f"{name}.pem"), "--ca-key", str(d / f"{name}.key.pem")]


def _workload(capsys, d: Path, out: str, *extra: str) -> tuple[int, str]:
    return ztc(capsys, "issue", "workload", *_ca(d, "dev-aws"), "--out", str(d / out),
               "--trust-domain", "dev-aws.dev.zt.example.com", *extra)


def _one_error_line(output: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert "Traceback" not in output


# ---------------------------------------------------------------- exit codes

def test_handled_pki_errors_exit_2_not_1(capsys, d):
    code, out = ztc(capsys, "init-root", "--trust-domain", "dev.zt.example.com",
                    "--out-dir", str(d))
    assert code == 2 and "--force" in out
    _one_error_line(out)


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")  # no terminal, on purpose
def test_init_root_with_no_passphrase_source_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv(PASSPHRASE_ENV)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nothing to read at the prompt
    code, out = ztc(capsys, "init-root", "--trust-domain", "dev.zt.example.com",
                    "--out-dir", str(tmp_path / "n"))
    assert code == 2 and PASSPHRASE_ENV in out
    assert not (tmp_path / "n" / "root-ca.key.pem").exists()


# ---------------------------------------------------------------- files

def test_force_over_a_0644_key_leaves_a_0600_key(capsys, d):
    key = d / "api.key.pem"
    assert _workload(capsys, d, "api")[0] == 0
    key.chmod(0o644)
    assert _workload(capsys, d, "api", "--force")[0] == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_an_existing_key_alone_stops_the_issue_before_anything_is_written(capsys, d):
    (d / "api.key.pem").write_text("keep me")
    code, out = _workload(capsys, d, "api")
    assert code == 2 and "api.key.pem" in out
    assert not (d / "api.pem").exists()
    assert (d / "api.key.pem").read_text() == "keep me"


def test_a_directory_at_the_key_path_keeps_the_certificate(capsys, d):
    """Before: the certificate was overwritten, then the key write failed (a lost CA key)."""
    before = (d / "dev-aws.pem").read_text()
    (d / "dev-aws.key.pem").unlink()
    (d / "dev-aws.key.pem").mkdir()
    code, out = ztc(capsys, "issue", "intermediate", *_ca(d, "root-ca"), "--out",
                    str(d / "dev-aws"), "--name", "dev-aws", "--trust-domain",
                    "dev-aws.dev.zt.example.com", "--force")
    assert code == 2 and "is a directory" in out
    _one_error_line(out)
    assert (d / "dev-aws.pem").read_text() == before


def test_keys_are_never_written_through_a_dangling_symlink(capsys, d, tmp_path):
    target = tmp_path / "elsewhere.key"
    (d / "api.key.pem").symlink_to(target)
    code, out = _workload(capsys, d, "api", "--force")
    assert code == 2 and "symlink" in out
    assert not target.exists() and not (d / "api.pem").exists()


def test_certificates_are_0644_and_keys_0600_under_umask_000(capsys, d):
    old = os.umask(0)
    try:
        assert _workload(capsys, d, "api")[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((d / "api.pem").stat().st_mode) == 0o644
    assert stat.S_IMODE((d / "api.key.pem").stat().st_mode) == 0o600


# ---------------------------------------------------------------- CRLs

def _serial(out: str) -> str:
    return re.search(r"serial ([0-9a-f]+)", out).group(1)


def test_a_typo_in_crl_does_not_start_a_fresh_crl(capsys, d):
    code, out = _workload(capsys, d, "api")
    serial = _serial(out)
    assert ztc(capsys, "revoke", serial, *_ca(d, "dev-aws"), "--crl",
               str(d / "dev-aws.crl.pem"))[0] == 0
    code, out = ztc(capsys, "revoke", "abc", *_ca(d, "dev-aws"), "--crl",
                    str(d / "dev-aws.crl.pme"))
    assert code == 2 and "dev-aws.crl.pem" in out and "--new-crl" in out
    assert not (d / "dev-aws.crl.pme").exists()
    code, out = ztc(capsys, "publish-crl", *_ca(d, "dev-aws"), "--crl", str(d / "typo.pem"))
    assert code == 2 and not (d / "typo.pem").exists()
    # The revoked leaf stays revoked.
    code, out = ztc(capsys, "verify", str(d / "api.pem"), "--roots", str(d / "root-ca.pem"),
                    "--crl", str(d / "dev-aws.crl.pem"))
    assert code == 1 and "revoked" in out


def test_new_crl_is_started_only_when_asked(capsys, d):
    code, out = ztc(capsys, "publish-crl", *_ca(d, "dev-aws"), "--crl", str(d / "first.pem"))
    assert code == 2 and "--new-crl" in out
    code, out = ztc(capsys, "publish-crl", *_ca(d, "dev-aws"), "--crl", str(d / "first.pem"),
                    "--new-crl")
    assert code == 0, out


@pytest.mark.parametrize("serial", ["-1f", "0x1f", "1_000", "zz", "0", "f" * 41, " 1f"])
def test_odd_serials_are_one_line_errors(capsys, d, serial):
    code, out = ztc(capsys, "revoke", serial, *_ca(d, "dev-aws"), "--crl", str(d / "c.pem"),
                    "--new-crl")
    assert code == 2
    _one_error_line(out)


@pytest.mark.parametrize("hours", ["-5", "0", "100000"])
def test_crl_lifetime_out_of_range_is_one_line(capsys, d, hours):
    code, out = ztc(capsys, "revoke", "1f", *_ca(d, "dev-aws"), "--crl", str(d / "c.pem"),
                    "--new-crl", "--next-update-hours", hours)
    assert code == 2 and "--next-update-hours" in out
    assert not (d / "c.pem").exists()


# ---------------------------------------------------------------- corrupt input

@pytest.mark.parametrize("content", [
    b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    b"-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n",
    b"\xff\xfe garbage",
])
@pytest.mark.parametrize("command", ["inspect", "verify", "expiries"])
def test_truncated_or_corrupt_pem_is_one_line(capsys, d, content, command):
    bad = d / "bad.pem"
    bad.write_bytes(content)
    args = {"inspect": [str(bad)], "expiries": [str(bad)],
            "verify": [str(bad), "--roots", str(d / "root-ca.pem")]}[command]
    code, out = ztc(capsys, command, *args)
    assert code == 2, out
    _one_error_line(out)


def test_a_directory_given_as_a_file_is_one_line(capsys, d):
    code, out = ztc(capsys, "inspect", str(d))
    assert code == 2
    _one_error_line(out)


def test_roots_must_be_roots(capsys, d):
    assert _workload(capsys, d, "api")[0] == 0
    code, out = ztc(capsys, "verify", str(d / "api.pem"), "--roots", str(d / "dev-aws.pem"))
    assert code == 2 and "--roots" in out and "not a self-signed root" in out


# ---------------------------------------------------------------- issuance that cannot verify

def test_a_leaf_cannot_issue(capsys, d):
    assert _workload(capsys, d, "api")[0] == 0
    code, out = ztc(capsys, "issue", "workload", *_ca(d, "api"), "--out", str(d / "x"),
                    "--trust-domain", "dev-aws.dev.zt.example.com")
    assert code == 2 and "leaf" in out and not (d / "x.pem").exists()


def test_a_path_length_0_ca_cannot_issue_a_ca(capsys, d):
    code, out = ztc(capsys, "issue", "ledger-ca", *_ca(d, "dev-aws"), "--out", str(d / "l"))
    assert code == 2 and "not the root" in out and not (d / "l.pem").exists()
    code, out = ztc(capsys, "issue", "intermediate", *_ca(d, "dev-aws"), "--out", str(d / "i"),
                    "--name", "x", "--trust-domain", "x.dev-aws.dev.zt.example.com")
    assert code == 2 and not (d / "i.pem").exists()


def test_trust_domains_outside_the_issuer_are_refused(capsys, d):
    code, out = _workload(capsys, d, "x", "--trust-domain", "evil.example.com")
    assert code == 2 and "outside" in out and not (d / "x.pem").exists()
    code, out = ztc(capsys, "issue", "intermediate", *_ca(d, "root-ca"), "--out", str(d / "e"),
                    "--name", "e", "--trust-domain", "e.evil.example.com")
    assert code == 2 and "outside the root's trust domain" in out


def test_a_deployer_certificate_only_comes_from_a_ledger_signing_ca(capsys, d):
    code, out = ztc(capsys, "issue", "deployer", *_ca(d, "dev-aws"), "--out", str(d / "dep"),
                    "--name", "ci")
    assert code == 2 and "ledger signing CA" in out and not (d / "dep.pem").exists()
    code, out = ztc(capsys, "issue", "deployer", *_ca(d, "root-ca"), "--out", str(d / "dep"),
                    "--name", "ci")
    assert code == 2 and not (d / "dep.pem").exists()
    assert ztc(capsys, "issue", "ledger-ca", *_ca(d, "root-ca"), "--out", str(d / "lca"))[0] == 0
    code, out = ztc(capsys, "issue", "deployer", *_ca(d, "lca"), "--out", str(d / "dep"),
                    "--name", "ci")
    assert code == 0, out
    chain = pki.load_certificates((d / "dep.pem").read_bytes())
    root = pki.load_certificate((d / "root-ca.pem").read_bytes())
    assert len(pki.verify_deployer_certificate(chain[0], chain[1:], [root])) == 3
