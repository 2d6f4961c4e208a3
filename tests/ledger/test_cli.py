"""`ztc ledger record | verify | show` end to end, with key files from the real PKI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from zero_trust_clusters.cli.ledger_cli import app
from zero_trust_clusters.components.ledger.state import SECRET_SIG_KEY, SECRET_SIG_VALUE
from zero_trust_clusters.components.ledger.store import entry_name

runner = CliRunner()
ztc = typer.Typer()
ztc.add_typer(app, name="ledger")  # mounted the way zero_trust_clusters/cli/main.py mounts it

EXPORT = {
    "version": 3,
    "deployment": {
        "resources": [
            {"urn": "urn:pulumi:dev::zero-trust-clusters::pulumi:pulumi:Stack::z-dev",
             "type": "pulumi:pulumi:Stack"},
            {"urn": "urn:pulumi:dev::zero-trust-clusters::aws:kms/key:Key::ledger-key",
             "type": "aws:kms/key:Key",
             "inputs": {"enableKeyRotation": True,
                        "policy": {SECRET_SIG_KEY: SECRET_SIG_VALUE,
                                   "ciphertext": "v1:TOPSECRET"}}},
        ]
    },
}


@pytest.fixture
def files(tmp_path: Path, shared_pki, repo: Path) -> dict[str, str]:
    key, chain, root = tmp_path / "deployer.key", tmp_path / "chain.pem", tmp_path / "root.pem"
    key.write_text(shared_pki.deployer.private_key_pem())
    chain.write_text(shared_pki.deployer.chain_pem(shared_pki.root.certificate))
    root.write_text(shared_pki.root.certificate_pem)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(EXPORT))
    return {"key": str(key), "cert": str(chain), "root": str(root), "export": str(export),
            "ledger": str(tmp_path / "ledger"), "repo": str(repo)}


def record(f, stack="dev", **extra):
    args = ["ledger", "record", "--stack", stack, "--key", f["key"], "--cert", f["cert"],
            "--root", f["root"], "--ledger", f["ledger"], "--repo", f["repo"]]
    for name, value in extra.items():
        args += [f"--{name}", value]
    return runner.invoke(ztc, args, input=json.dumps(EXPORT))


def verify(f, *extra):
    return runner.invoke(ztc, ["ledger", "verify", "--root", f["root"], "--ledger", f["ledger"],
                               *extra])


def test_record_verify_show(files):
    first = record(files)  # stack export on stdin, as in `pulumi stack export | ztc ...`
    assert first.exit_code == 0, first.output
    assert "recorded entry 0" in first.output and "1 resources" in first.output
    second = record(files, stack="prod", state=files["export"])
    assert second.exit_code == 0, second.output
    head = re.search(r"head (sha256:[0-9a-f]{64})", second.output).group(1)

    entry = json.loads((Path(files["ledger"]) / entry_name(0)).read_text())
    assert entry["project"] == "zero-trust-clusters" and entry["state"]["secrets"] == 1
    assert "TOPSECRET" not in json.dumps(entry)
    assert len(entry["signer"]["chain"]) == 2  # deployer + signing CA; the root is the anchor

    ok = verify(files, "--head", head)
    assert ok.exit_code == 0, ok.output
    assert "OK 2 entries" in ok.output

    table = runner.invoke(ztc, ["ledger", "show", "--ledger", files["ledger"]])
    assert table.exit_code == 0 and "prod" in table.output  # human table; --json for tools
    shown = runner.invoke(ztc, ["ledger", "show", "--ledger", files["ledger"], "--json",
                                "--stack", "prod"])
    [row] = [json.loads(line) for line in shown.output.splitlines()]
    assert row["signer"] == "ci-deployer" and row["seq"] == 1 and row["resources"] == 1
    assert row["commit"] == entry["code"]["commit"] and row["dirty"] is False


def test_verify_reports_the_first_broken_entry(files):
    for _ in range(3):
        assert record(files).exit_code == 0
    path = Path(files["ledger"]) / entry_name(1)
    entry = json.loads(path.read_text())
    entry["stack"] = "prod"
    path.chmod(0o644)
    path.write_text(json.dumps(entry))
    result = verify(files)
    assert result.exit_code == 1
    assert "BROKEN at entry 1" in result.output and "signature does not match" in result.output
    assert "1 entries before it are intact" in result.output


def test_user_errors_say_what_to_change(files, tmp_path):
    bad_export = runner.invoke(
        ztc, ["ledger", "record", "--stack", "dev", "--key", files["key"], "--cert",
              files["cert"], "--root", files["root"], "--ledger", files["ledger"],
              "--repo", files["repo"]],
        input='{"not": "an export"}',
    )
    assert bad_export.exit_code == 2 and "pulumi stack export" in bad_export.output
    other_key = tmp_path / "other.key"
    from zero_trust_clusters.components.pki import authority as pki

    other_key.write_text(pki.private_key_to_pem(pki.generate_key()))
    mismatch = record({**files, "key": str(other_key)})
    assert mismatch.exit_code == 2 and "deployer certificate first" in mismatch.output
    no_repo = record({**files, "repo": str(tmp_path)})
    assert no_repo.exit_code == 2 and "--repo" in no_repo.output


def test_record_refuses_a_deployer_outside_the_pki_before_writing(files, outside_pki, tmp_path):
    key, chain = tmp_path / "outsider.key", tmp_path / "outsider.pem"
    key.write_text(outside_pki.deployer.private_key_pem())
    chain.write_text(outside_pki.deployer.chain_pem())
    result = record({**files, "key": str(key), "cert": str(chain)})
    assert result.exit_code == 2 and "refusing to record" in result.output
    assert not Path(files["ledger"]).exists()  # nothing was written


def test_record_and_verify_against_an_s3_endpoint(files, monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(name, value)
        import boto3

        boto3.client("s3", endpoint_url=endpoint).create_bucket(
            Bucket="ztc-ledger-cli", ObjectLockEnabledForBucket=True)
        s3_args = {"s3-bucket": "ztc-ledger-cli", "s3-endpoint": endpoint}
        for _ in range(2):
            result = record(files, **s3_args)
            assert result.exit_code == 0, result.output
        assert "s3://ztc-ledger-cli/ledger/" in result.output
        ok = verify(files, "--s3-bucket", "ztc-ledger-cli", "--s3-endpoint", endpoint)
        assert ok.exit_code == 0 and "OK 2 entries" in ok.output
    finally:
        server.stop()


def test_record_verify_show_against_cloud_storage(files, monkeypatch):
    from .fake_gcs import serve

    with serve() as (state, endpoint):
        state.create_bucket("ztc-ledger-cli", retention_seconds=86400)
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)  # the client's own setting
        for _ in range(2):
            result = record(files, **{"gcs-bucket": "ztc-ledger-cli"})
            assert result.exit_code == 0, result.output
        assert "gs://ztc-ledger-cli/ledger/" in result.output
        ok = verify(files, "--gcs-bucket", "ztc-ledger-cli")
        assert ok.exit_code == 0 and "OK 2 entries" in ok.output, ok.output
        shown = runner.invoke(ztc, ["ledger", "show", "--json", "--gcs-bucket", "ztc-ledger-cli"])
        assert [json.loads(line)["seq"] for line in shown.output.splitlines()] == [0, 1]
        missing = verify(files, "--gcs-bucket", "no-such-bucket")
        assert missing.exit_code == 2
        [line] = [x for x in missing.output.splitlines() if x.strip()]
        assert line.startswith("error: --ledger/--s3-bucket/--azure-container/--gcs-bucket:")


def test_record_verify_show_against_azure_blob(files, monkeypatch, azurite):
    from azure.storage.blob import BlobServiceClient

    from .azurite import ACCOUNT, KEY

    BlobServiceClient(azurite, credential={"account_name": ACCOUNT, "account_key": KEY}) \
        .get_container_client("ledger-cli").create_container()
    monkeypatch.setenv("AZURE_STORAGE_KEY", KEY)
    url = f"{azurite}/ledger-cli"
    for _ in range(2):
        result = record(files, **{"azure-container": url})
        assert result.exit_code == 0, result.output
    assert f"{url}/ledger/" in result.output
    ok = verify(files, "--azure-container", url)
    assert ok.exit_code == 0 and "OK 2 entries" in ok.output, ok.output
    shown = runner.invoke(ztc, ["ledger", "show", "--json", "--azure-container", url])
    assert [json.loads(line)["seq"] for line in shown.output.splitlines()] == [0, 1]
    missing = verify(files, "--azure-container", f"{azurite}/no-such-container")
    assert missing.exit_code == 2
    [line] = [x for x in missing.output.splitlines() if x.strip()]
    assert line.startswith("error: --ledger/--s3-bucket/--azure-container/--gcs-bucket:")


def test_one_store_at_a_time_and_a_bad_container_url(files):
    both = verify(files, "--s3-bucket", "a-bucket", "--gcs-bucket", "b-bucket")
    assert both.exit_code == 2 and "--s3-bucket/--gcs-bucket: name one ledger store" in \
        both.output
    bad = verify(files, "--azure-container", "not a url")
    assert bad.exit_code == 2 and "--azure-container" in bad.output
    assert len([x for x in bad.output.splitlines() if x.strip()]) == 1
