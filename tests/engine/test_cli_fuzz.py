"""Hypothesis-driven fuzzing of every `ztc` command: random flags, files and values.

Asserted for every run, through `zero_trust_clusters.cli.main.run` (the process entry point):
- the exit code is 0, 1 or 2, and 1 only from a command whose documented meaning includes
  "the check found something" (preview, report, ledger verify, pki verify);
- nothing crashed: no traceback on stderr, no crash report written (every failure handled);
- no private key on stdout or stderr, nor in any written file that is not a key file.

CI runs the bounded, derandomized profile (a few seconds); the long local profile:
    ZTC_FUZZ_PROFILE=long python -m pytest tests/engine/test_cli_fuzz.py -n 0
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from zero_trust_clusters.cli import main as cli
from zero_trust_clusters.cli.pki_cli import PASSPHRASE_ENV
from zero_trust_clusters.components.ledger.chain import append
from zero_trust_clusters.components.ledger.identity import signer_from_certified
from zero_trust_clusters.components.ledger.local import DirectoryStore
from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.engine.stackfile import load_stack_config

PASSPHRASE = "correct horse battery staple"
settings.register_profile(
    "ztc-fuzz-ci", max_examples=120, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "ztc-fuzz-long", max_examples=3000, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PROFILE = settings.get_profile(f"ztc-fuzz-{os.environ.get('ZTC_FUZZ_PROFILE', 'ci')}")
# Commands whose exit code 1 means "checked, and the check found something".
FINDING_COMMANDS = {("preview",), ("report",), ("ledger", "verify"), ("pki", "verify")}


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """Real and broken inputs: a PKI, CRLs, a ledger, stack exports, a project with stacks."""
    root_dir = Path(tempfile.mkdtemp(prefix="ztc-fuzz-"))
    w = root_dir / "in"
    w.mkdir()
    root = pki.create_root_ca("dev.zt.example.com")
    inter = pki.issue_intermediate_ca(root, "dev-aws", "dev-aws.dev.zt.example.com")
    leaf = pki.issue_workload_certificate(
        inter, pki.spiffe_id("dev-aws.dev.zt.example.com", "shop", "api"))
    signing = pki.issue_signing_intermediate(root)
    deployer = pki.issue_deployer_certificate(signing, "ci")
    files = {
        "root-ca.pem": root.certificate_pem,
        "root-ca.key.pem": root.private_key_pem(PASSPHRASE),
        "inter.pem": inter.chain_pem(),
        "inter.key.pem": inter.private_key_pem(PASSPHRASE),
        "leaf.pem": leaf.chain_pem(),
        "leaf.key.pem": leaf.private_key_pem(),
        "ledger-ca.pem": signing.chain_pem(),
        "ledger-ca.key.pem": signing.private_key_pem(PASSPHRASE),
        "deployer.pem": deployer.chain_pem(),
        "deployer.key.pem": deployer.private_key_pem(),
        "inter.crl.pem": pki.crl_to_pem(pki.build_crl(inter, [leaf.certificate.serial_number])),
        "truncated.pem": root.certificate_pem[: len(root.certificate_pem) // 2],
        "corrupt.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "corrupt.crl.pem": "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
        "mixed.key.pem": root.certificate_pem + root.private_key_pem(),
        "empty.pem": "",
        "export.json": json.dumps({"deployment": {"resources": [
            {"urn": "urn:pulumi:dev::zero-trust-clusters::aws:s3/bucket:Bucket::b",
             "type": "aws:s3/bucket:Bucket", "inputs": {"x": 1}}]}}),
        "list.json": "[1, 2]",
        "nan.json": '{"a": NaN}',
        "pack.json": json.dumps({"x": "advisory"}),
        "bad.yaml": "config: [1,\n",
    }
    for name, text in files.items():
        (w / name).write_text(text)
    (w / "a-directory").mkdir()
    (w / "dangling.pem").symlink_to(w / "nowhere")
    store = DirectoryStore(w / "ledger")
    for _ in range(2):
        append(store, signer=signer_from_certified(deployer), stack="dev", project="p",
               state={"digest": "sha256:" + "0" * 64, "resources": 1, "secrets": 0}, code={})
    project = w / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "__main__.py").write_text("raise SystemExit('the fuzz never plans a stack')\n")
    config, _ = load_stack_config("dev")
    broken = dict(config)
    broken["zero-trust-clusters:clusters"] = [{**config["zero-trust-clusters:clusters"][0],
                                               "region": "mars-north-9"}]
    (project / "stacks" / "Pulumi.invalid.yaml").write_text(yaml.safe_dump({"config": broken}))
    (project / "stacks" / "Pulumi.broken.yaml").write_text("config: {a: [}\n")
    (project / "stacks" / "Pulumi.list.yaml").write_text("- 1\n- 2\n")
    yield w
    shutil.rmtree(root_dir, ignore_errors=True)


INPUT_FILES = ["root-ca.pem", "root-ca.key.pem", "inter.pem", "inter.key.pem", "leaf.pem",
               "leaf.key.pem", "ledger-ca.pem", "ledger-ca.key.pem", "deployer.pem",
               "deployer.key.pem", "inter.crl.pem", "truncated.pem", "corrupt.pem",
               "corrupt.crl.pem", "mixed.key.pem", "empty.pem", "export.json", "list.json",
               "nan.json", "pack.json", "bad.yaml", "a-directory", "dangling.pem", "missing.pem",
               "ledger", "project"]
# No NUL: a real argv cannot carry one.
text = st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=24)
number = st.one_of(st.integers(-10, 10), st.integers(-(2**40), 2**40), st.just(0)).map(str)
words = st.sampled_from(["dev", "dev-aws", "dev-aws.dev.zt.example.com", "dev.zt.example.com",
                         "evil.example.com", "UPPER", "a\nb", "[red]x[/red]", "", "x" * 300,
                         "ecdsa-p384", "ecdsa-p1", "1f", "-1f", "0x10", "NaN", "nan", "inf"])
value = st.one_of(words, text, number)


def _in(name: str) -> st.SearchStrategy[str]:
    return st.just(name)


@st.composite
def invocation(draw) -> tuple[list[str], list[str]]:
    """(args with {in}/{out} placeholders, the command path)."""
    infile = st.sampled_from(INPUT_FILES).map(lambda n: "{in}/" + n)
    outfile = st.sampled_from(["x", "sub/dir/x", "existing", "a-dir", "in-file/x"]).map(
        lambda n: "{out}/" + n)
    anyfile = st.one_of(infile, outfile, value)
    command = draw(st.sampled_from([
        ("pki", "init-root"), ("pki", "issue"), ("pki", "inspect"), ("pki", "verify"),
        ("pki", "revoke"), ("pki", "publish-crl"), ("pki", "expiries"),
        ("ledger", "record"), ("ledger", "verify"), ("ledger", "show"),
        ("render",), ("preview",), ("report",), ("bogus",),
    ]))
    options: dict[str, st.SearchStrategy[str]] = {}
    positional: list[st.SearchStrategy[str]] = []
    flags: list[str] = []
    if command == ("pki", "init-root"):
        options = {"--trust-domain": value, "--out-dir": outfile, "--key-algorithm": value,
                   "--validity-days": number, "--generation": number}
        flags = ["--force"]
    elif command == ("pki", "issue"):
        positional = [st.sampled_from(["intermediate", "workload", "ledger-ca", "deployer",
                                       "root"])]
        ca = draw(st.sampled_from(["root-ca", "inter", "leaf", "ledger-ca", "deployer"]))
        options = {"--ca-cert": st.one_of(_in("{in}/" + ca + ".pem"), infile),
                   "--ca-key": st.one_of(_in("{in}/" + ca + ".key.pem"), infile),
                   "--out": outfile, "--name": value, "--trust-domain": value,
                   "--namespace": value, "--service-account": value}
        flags = ["--force", "--uri-name-constraint"]
    elif command == ("pki", "inspect"):
        positional = [anyfile]
    elif command == ("pki", "verify"):
        positional = [st.one_of(_in("{in}/leaf.pem"), _in("{in}/deployer.pem"), infile)]
        options = {"--roots": st.one_of(_in("{in}/root-ca.pem"), infile),
                   "--usage": st.sampled_from(["client", "server", "deployer", "x"]),
                   "--crl": st.one_of(_in("{in}/inter.crl.pem"), infile)}
    elif command in (("pki", "revoke"), ("pki", "publish-crl")):
        if command == ("pki", "revoke"):
            positional = [value, value]
        options = {"--ca-cert": st.one_of(_in("{in}/inter.pem"), infile),
                   "--ca-key": st.one_of(_in("{in}/inter.key.pem"), infile),
                   "--crl": st.one_of(_in("{out}/existing.crl.pem"), outfile, infile),
                   "--next-update-hours": number}
        flags = ["--new-crl"]
    elif command == ("pki", "expiries"):
        positional = [anyfile, anyfile]
        options = {"--warn-days": number}
    elif command == ("ledger", "record"):
        options = {"--stack": value, "--key": st.one_of(_in("{in}/deployer.key.pem"), infile),
                   "--cert": st.one_of(_in("{in}/deployer.pem"), infile),
                   "--root": st.one_of(_in("{in}/root-ca.pem"), infile),
                   "--state": st.one_of(_in("{in}/export.json"), infile, value),
                   "--ledger": st.one_of(_in("{out}/ledger"), outfile, infile),
                   "--repo": st.one_of(_in("{in}/project"), infile),
                   "--crl": st.one_of(_in("{in}/inter.crl.pem"), infile)}
    elif command == ("ledger", "verify"):
        options = {"--root": st.one_of(_in("{in}/root-ca.pem"), infile),
                   "--ledger": st.one_of(_in("{out}/ledger"), outfile, infile),
                   "--head": value, "--crl": st.one_of(_in("{in}/inter.crl.pem"), infile)}
    elif command == ("ledger", "show"):
        options = {"--ledger": st.one_of(_in("{out}/ledger"), infile), "--stack": value,
                   "--last": number}
        flags = ["--json"]
    elif command == ("render",):
        options = {"--stack": st.sampled_from(["dev", "nope", "../x", ""]) | value,
                   "--out": outfile, "--trust-bundle": st.one_of(_in("{in}/root-ca.pem"), infile)}
    elif command == ("preview",):
        options = {"--stack": st.sampled_from(["invalid", "broken", "list", "nope"]) | value,
                   "--project-dir": st.one_of(_in("{in}/project"), infile),
                   "--out": outfile, "--format": st.sampled_from(["text", "json", "md", "x"]),
                   "--policy-pack-config": infile}
    elif command == ("report",):
        options = {"--stack": st.sampled_from(["nope", "../etc", ""]) | text,
                   "--format": st.sampled_from(["text", "json", "x"]), "--out": outfile,
                   "--policy-pack-config": infile}
    args = list(command)
    args += [draw(s) for s in positional[: draw(st.integers(0, len(positional)))]]
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True)) if options else []
    for name in chosen:
        args += [name, draw(options[name])]
    args += [f for f in flags if draw(st.booleans())]
    if draw(st.integers(0, 9)) == 0:  # now and then, garbage on top
        args.insert(draw(st.integers(0, len(args))), draw(st.sampled_from(
            ["--bogus", "--force", "--", "-", "--help", "--ca-cert"])))
    # Usually a complete command (the flags it needs); sometimes whatever was drawn.
    if options and draw(st.integers(0, 3)):
        for name in sorted(options):
            if name not in chosen and name in REQUIRED.get(tuple(command), ()):
                args += [name, draw(options[name])]
    return args, list(command)


REQUIRED = {
    ("pki", "init-root"): ("--trust-domain",),
    ("pki", "issue"): ("--ca-cert", "--ca-key", "--out"),
    ("pki", "verify"): ("--roots",),
    ("pki", "revoke"): ("--ca-cert", "--ca-key", "--crl"),
    ("pki", "publish-crl"): ("--ca-cert", "--ca-key", "--crl"),
    ("ledger", "record"): ("--stack", "--key", "--cert", "--root", "--state", "--ledger",
                           "--repo"),
    ("ledger", "verify"): ("--root", "--ledger"),
    ("render",): ("--stack", "--out"),
    ("preview",): ("--stack", "--project-dir"),
    ("report",): ("--stack",),
}


def _prepare_out(workspace: Path, out: Path) -> None:
    out.mkdir()
    (out / "existing").write_text("an existing file\n")
    (out / "a-dir").mkdir()
    (out / "in-file").write_text("a file where a directory is expected\n")
    shutil.copy(workspace / "inter.crl.pem", out / "existing.crl.pem")
    shutil.copytree(workspace / "ledger", out / "ledger")


@PROFILE
@given(drawn=invocation(), passphrase=st.sampled_from([PASSPHRASE, "wrong passphrase!", ""]))
def test_every_command_fails_cleanly(workspace, capsys, monkeypatch, drawn, passphrase):
    args, command = drawn
    out = Path(tempfile.mkdtemp(prefix="ztc-fuzz-out-"))
    shutil.rmtree(out)
    crashes = out.parent / (out.name + "-crashes")
    try:
        _prepare_out(workspace, out)
        monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
        monkeypatch.setenv("ZTC_LEDGER_KEY_PASSPHRASE", "")
        monkeypatch.setenv("ZTC_CRASH_DIR", str(crashes))
        for name in ("ZTC_LEDGER_DIR", "ZTC_LEDGER_BUCKET", "ZTC_LEDGER_ROOT", "ZTC_LEDGER_KEY",
                     "ZTC_LEDGER_CERT"):
            monkeypatch.delenv(name, raising=False)
        argv = [a.replace("{in}", str(workspace)).replace("{out}", str(out)) for a in args]
        capsys.readouterr()
        code = cli.run(argv)
        captured = capsys.readouterr()
        where = f"ztc {' '.join(args)} -> {code}\n{captured.err[-2000:]}"
        event(f"{' '.join(command)} -> exit {code}")  # --hypothesis-show-statistics
        assert code in (0, 1, 2), where
        if code == 1:
            assert tuple(command) in FINDING_COMMANDS, where
        for stream in (captured.out, captured.err):
            assert "Traceback" not in stream, where
            assert "PRIVATE KEY" not in stream, where
        assert not crashes.exists(), where + "\n" + "".join(
            p.read_text() for p in crashes.glob("*"))
        for path in out.rglob("*"):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(".key.pem"):
                assert b"PRIVATE KEY" not in path.read_bytes(), f"{where}\nkey material in {path}"
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(crashes, ignore_errors=True)
