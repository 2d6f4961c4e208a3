"""One error path for the whole CLI: one line naming the file/key/flag, exit 2, never a
traceback, never exit 1 (which means "the check found something")."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from zero_trust_clusters.cli import main as cli
from zero_trust_clusters.cli import preview_cli
from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.engine.stackfile import load_stack_config

NS = "zero-trust-clusters"


def ztc(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _project(tmp_path: Path, config: dict | None = None, text: str | None = None) -> Path:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    body = text if text is not None else yaml.safe_dump({"config": config})
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(body)
    (tmp_path / "__main__.py").write_text("raise SystemExit('not reached')\n")
    return tmp_path


@pytest.fixture
def dev() -> dict:
    return copy.deepcopy(load_stack_config("dev")[0])


def _preview(capsys, project: Path, *extra: str):
    return ztc(capsys, "preview", "--stack", "t", "--project-dir", str(project), *extra)


def test_a_yaml_syntax_error_is_one_line(capsys, tmp_path):
    code, out, err = _preview(capsys, _project(tmp_path, text="config:\n  a: [1,\n  b: }\n"))
    assert code == 2
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1 and "Pulumi.t.yaml" in lines[0] and "line " in lines[0], lines


def test_brackets_in_messages_survive(capsys, tmp_path, dev):
    dev[f"{NS}:posture"]["ledger"] = {"bucketName": "X", "region": "eu-west-1"}
    code, out, err = _preview(capsys, _project(tmp_path, dev))
    assert code == 2
    assert "[a-z0-9]" in out + err  # Rich markup used to swallow it


def test_a_100kb_value_is_not_echoed_whole(capsys, tmp_path, dev):
    dev[f"{NS}:posture"]["trustDomain"] = "y" * 100_000
    code, out, err = _preview(capsys, _project(tmp_path, dev))
    assert code == 2 and len(out + err) < 5000


def test_plaintext_root_key_in_a_stack_file_is_warned_about(capsys, tmp_path, dev):
    dev[f"{NS}:pkiRootPassphrase"] = "hunter2hunter2"
    code, _out, err = _preview(capsys, _project(tmp_path, dev), "--policy-pack-config",
                              str(tmp_path / "missing.json"))
    assert code == 2
    assert "warning:" in err and "pkiRootPassphrase" in err and "--secret" in err


@pytest.mark.parametrize("make", ["file", "under-a-file"])
def test_a_bad_out_is_refused_before_any_work(capsys, tmp_path, dev, make):
    blocker = tmp_path / "out"
    blocker.write_text("a file")
    out_dir = blocker if make == "file" else blocker / "sub"
    code, _out, err = _preview(capsys, _project(tmp_path, dev), "--out", str(out_dir))
    assert code == 2 and "--out" in err and "Traceback" not in err


@pytest.mark.parametrize("content", ["[1, 2]", '"advisory"', "NaN", "{", "\xff"])
def test_a_non_object_policy_pack_config_is_refused(capsys, tmp_path, dev, content):
    config = tmp_path / "pack.json"
    config.write_text(content, errors="surrogateescape")
    code, _out, err = _preview(capsys, _project(tmp_path, dev), "--policy-pack-config",
                              str(config))
    assert code == 2 and "--policy-pack-config" in err and "Traceback" not in err


def test_render_refuses_a_private_key_as_trust_bundle(capsys, tmp_path):
    key = tmp_path / "root-ca.key.pem"
    key.write_text(pki.private_key_to_pem(pki.generate_key()))
    out_dir = tmp_path / "rendered"
    code, _out, err = ztc(capsys, "render", "--stack", "dev", "--out", str(out_dir),
                         "--trust-bundle", str(key))
    assert code == 2 and "--trust-bundle" in err and "private key" in err
    written = [p.read_text() for p in out_dir.rglob("*") if p.is_file()]
    assert not any("PRIVATE KEY" in text for text in written)


def test_render_embeds_only_the_roots_of_a_bundle(capsys, tmp_path):
    root = pki.create_root_ca("dev.zt.example.com")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(root.certificate_pem + "# a comment that must not travel\n")
    out_dir = tmp_path / "rendered"
    code, _out, err = ztc(capsys, "render", "--stack", "dev", "--out", str(out_dir),
                         "--trust-bundle", str(bundle))
    assert code == 0, err
    texts = "".join(p.read_text() for p in out_dir.rglob("*.yaml"))
    assert root.certificate_pem.strip().splitlines()[1] in texts
    assert "a comment that must not travel" not in texts


def test_render_refuses_an_intermediate_as_trust_bundle(capsys, tmp_path):
    root = pki.create_root_ca("dev.zt.example.com")
    inter = pki.issue_intermediate_ca(root, "dev-aws", "dev-aws.dev.zt.example.com")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(inter.certificate_pem)
    code, _out, err = ztc(capsys, "render", "--stack", "dev", "--out", str(tmp_path / "r"),
                         "--trust-bundle", str(bundle))
    assert code == 2 and "--trust-bundle" in err


def test_render_out_as_a_file_is_one_line(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    code, _out, err = ztc(capsys, "render", "--stack", "dev", "--out", str(target))
    assert code == 2 and "--out" in err and "Traceback" not in err


def test_an_unexpected_exception_is_one_line_with_the_trace_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ZTC_CRASH_DIR", str(tmp_path / "crashes"))

    def boom(**_kwargs):
        raise ZeroDivisionError("deep inside")

    monkeypatch.setattr(preview_cli.engine, "capture_stack", lambda *a, **k: boom())
    code, _out, err = ztc(capsys, "preview", "--stack", "dev")
    assert code == 2
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    assert "deep inside" in line


def test_a_crash_outside_any_handler_is_exit_2_with_the_trace_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ZTC_CRASH_DIR", str(tmp_path / "crashes"))
    monkeypatch.setattr(cli.pki_cli.pki, "load_certificates",
                        lambda *_: (_ for _ in ()).throw(KeyError("unplanned")))
    pem = tmp_path / "c.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    code, _out, err = ztc(capsys, "pki", "inspect", str(pem))
    assert code == 2 and "Traceback" not in err
    [trace] = list((tmp_path / "crashes").glob("ztc-crash-*.txt"))
    assert str(trace) in err and "KeyError" in trace.read_text()


def test_usage_errors_are_one_line_exit_2(capsys):
    code, _out, err = ztc(capsys, "pki", "issue", "nonsense")
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err


def test_report_with_a_bad_stack_is_one_line(capsys):
    code, _out, err = ztc(capsys, "report", "--stack", "no-such-stack")
    assert code == 2 and "no-such-stack" in err
