"""Only deployer certificates from a ledger signing CA may sign the change record.

Every cluster intermediate's key sits in the in-cluster Secret cert-manager/ztc-ca-issuer, so
a certificate it issues (or the root issues directly, or the intermediate itself) must never
produce an entry that `record` writes or `verify` accepts. `record` also checks revocation
and the continuity of the stored ledger before writing; `verify` on nothing is an error.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from zero_trust_clusters.cli.main import app
from zero_trust_clusters.components.ledger.chain import append, verify
from zero_trust_clusters.components.ledger.identity import pki_verifier, signer_from_certified
from zero_trust_clusters.components.ledger.local import DirectoryStore
from zero_trust_clusters.components.ledger.store import entry_name
from zero_trust_clusters.components.pki import authority as pki

from .conftest import CODE, STATE
from .test_cli import EXPORT

runner = CliRunner()


def _intermediate_signer(root: pki.CertifiedKey) -> pki.CertifiedKey:
    """The cluster intermediate itself, shaped as a 'deployer' (key + own certificate)."""
    return pki.issue_intermediate_ca(root, "dev-aws", "dev-aws.ledger.example")


def _forgeries(root: pki.CertifiedKey) -> dict[str, pki.CertifiedKey]:
    cluster_ca = pki.issue_intermediate_ca(root, "dev-aws", "dev-aws.ledger.example")
    # A CA with the ledger EKU but no ledger policy (what a look-alike CA would carry).
    key = pki.generate_key()
    # Built with the private helpers on purpose: no public function makes such a CA.
    eku_only = pki._issue(
        root, key, pki._name("look-alike signing CA"),
        (pki.utcnow() - dt.timedelta(minutes=5), pki.utcnow() + dt.timedelta(days=30)),
        [(x509.BasicConstraints(ca=True, path_length=0), True), (pki._ca_key_usage(), True),
         (x509.ExtendedKeyUsage([pki.CHANGE_LEDGER_SIGNING_OID]), False)],
    )
    look_alike = pki.CertifiedKey(eku_only, key)
    return {
        "deployer under a cluster intermediate": pki.issue_deployer_certificate(cluster_ca, "x"),
        "deployer straight from the root": pki.issue_deployer_certificate(root, "x"),
        "cluster intermediate itself": _intermediate_signer(root),
        "deployer under an EKU-only look-alike CA": pki.issue_deployer_certificate(look_alike, "x"),
    }


@pytest.fixture(scope="module")
def forgeries(shared_pki) -> dict[str, pki.CertifiedKey]:
    return _forgeries(shared_pki.root)


@pytest.mark.parametrize("kind", [
    "deployer under a cluster intermediate", "deployer straight from the root",
    "cluster intermediate itself", "deployer under an EKU-only look-alike CA",
])
def test_verify_refuses_entries_signed_outside_a_ledger_signing_ca(
    tmp_path, shared_pki, forgeries, kind
):
    store = DirectoryStore(tmp_path / "ledger")
    append(store, signer=shared_pki.signer, stack="dev", project="p", state=STATE, code=CODE)
    append(store, signer=signer_from_certified(forgeries[kind]), stack="dev", project="p",
           state=STATE, code=CODE)  # written without preflight, as an attacker would
    report = verify(store, shared_pki.verifier)
    assert report.broken is not None and report.broken.seq == 1, report
    assert report.entries == 1


def test_a_genuine_deployer_still_verifies(shared_pki):
    chain = pki.verify_deployer_certificate(
        shared_pki.deployer.certificate, [shared_pki.signing_ca.certificate], shared_pki.roots)
    assert len(chain) == 3


@pytest.fixture
def cli_files(tmp_path: Path, shared_pki, repo: Path) -> dict[str, Path]:
    root = tmp_path / "root.pem"
    root.write_text(shared_pki.root.certificate_pem)
    return {"root": root, "ledger": tmp_path / "ledger", "repo": repo, "tmp": tmp_path}


def _record(files, deployer: pki.CertifiedKey, *extra: str):
    key, chain = files["tmp"] / "d.key", files["tmp"] / "d.pem"
    key.write_text(deployer.private_key_pem())
    chain.write_text(deployer.chain_pem())
    return runner.invoke(app, [
        "ledger", "record", "--stack", "dev", "--key", str(key), "--cert", str(chain),
        "--root", str(files["root"]), "--ledger", str(files["ledger"]),
        "--repo", str(files["repo"]), *extra], input=json.dumps(EXPORT))


def test_record_refuses_a_cluster_intermediate_deployer_and_writes_nothing(
    cli_files, forgeries
):
    result = _record(cli_files, forgeries["deployer under a cluster intermediate"])
    assert result.exit_code == 2, result.output
    assert "ledger signing CA" in result.output
    assert not cli_files["ledger"].exists()


def test_record_refuses_a_revoked_deployer(cli_files, shared_pki):
    crl = pki.build_crl(shared_pki.signing_ca, [shared_pki.deployer.certificate.serial_number])
    crl_path = cli_files["tmp"] / "ledger-ca.crl.pem"
    crl_path.write_text(pki.crl_to_pem(crl))
    result = _record(cli_files, shared_pki.deployer, "--crl", str(crl_path))
    assert result.exit_code == 2, result.output
    assert "revoked" in result.output
    assert not cli_files["ledger"].exists()


def test_record_refuses_to_extend_a_ledger_with_a_gap(cli_files, shared_pki):
    for _ in range(2):
        assert _record(cli_files, shared_pki.deployer).exit_code == 0
    first = cli_files["ledger"] / entry_name(0)
    first.chmod(0o644)
    first.unlink()
    result = _record(cli_files, shared_pki.deployer)
    assert result.exit_code == 2 and "broken at entry 0" in result.output, result.output
    assert sorted(p.name for p in cli_files["ledger"].iterdir()) == [entry_name(1)]


@pytest.mark.parametrize("state", ["[1, 2]", '"text"', '{"deployment": {"resources": [1]}}',
                                   '{"deployment": {"resources": [{"urn": 5}]}}', "NaN"])
def test_record_refuses_a_non_object_stack_export(cli_files, shared_pki, state):
    key, chain = cli_files["tmp"] / "d.key", cli_files["tmp"] / "d.pem"
    key.write_text(shared_pki.deployer.private_key_pem())
    chain.write_text(shared_pki.deployer.chain_pem())
    result = runner.invoke(app, [
        "ledger", "record", "--stack", "dev", "--key", str(key), "--cert", str(chain),
        "--root", str(cli_files["root"]), "--ledger", str(cli_files["ledger"]),
        "--repo", str(cli_files["repo"])], input=state)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not cli_files["ledger"].exists()


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_verify_of_a_missing_or_empty_ledger_is_an_error(cli_files, make):
    if make == "empty":
        cli_files["ledger"].mkdir()
    result = runner.invoke(app, ["ledger", "verify", "--root", str(cli_files["root"]),
                                 "--ledger", str(cli_files["ledger"])])
    assert result.exit_code == 2, result.output
    assert "OK" not in result.output and "no ledger entries" in result.output


def test_pki_verifier_refuses_a_deployer_from_a_cluster_intermediate(shared_pki, forgeries):
    forged = forgeries["deployer under a cluster intermediate"]
    with pytest.raises(pki.PkiVerificationError, match="ledger signing CA"):
        pki_verifier(shared_pki.roots)(forged.certificate, list(forged.chain), pki.utcnow())
