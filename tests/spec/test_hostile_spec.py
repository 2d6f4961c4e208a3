"""Hostile and careless stack config: every class is refused in `load_spec`, naming the key,
before anything is registered (the issue "Hostile and careless input", spec findings)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.spec import SECURE_PLACEHOLDER, SpecError, load_spec
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine.stackfile import load_stack_config

NS = "zero-trust-clusters"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def dev() -> dict:
    config, _ = load_stack_config("dev")
    return copy.deepcopy(config)


def _problems(config: dict, **kwargs) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(config, **kwargs)
    return caught.value.problems


def _cluster(config: dict, cloud: str) -> dict:
    return next(c for c in config[f"{NS}:clusters"] if c["cloud"] == cloud)


def _index(config: dict, cloud: str) -> int:
    return next(i for i, c in enumerate(config[f"{NS}:clusters"]) if c["cloud"] == cloud)


def _posture(config: dict) -> dict:
    return config[f"{NS}:posture"]


def _assert_keyed(problems: list[str], key: str, hint: str = "") -> None:
    matching = [p for p in problems if p.startswith(f"{NS}:{key}")]
    assert matching, problems
    assert any(hint in p for p in matching), matching


# ---------------------------------------------------------------- full-string matching

NEWLINE_CASES = [
    (lambda c: _posture(c).update(trustDomain="dev.zt.example.com\n"), "posture.trustDomain"),
    (lambda c: _posture(c)["workloadNamespaces"][0].update(name="payments\n"),
     "posture.workloadNamespaces[0].name"),
    (lambda c: _posture(c)["groups"]["admins"].update(kubernetesGroup="ztc-admins\n"),
     "posture.groups.admins.kubernetesGroup"),
    (lambda c: _posture(c)["groups"]["admins"]["awsRoleArns"].__setitem__(
        0, "arn:aws:iam::111122223333:role/dev-platform-admin\n"),
     "posture.groups.admins.awsRoleArns[0]"),
    (lambda c: _posture(c)["groups"]["admins"].update(
        azureGroupObjectId="5f1c1a7e-2b7d-4a38-9c53-0d7a8f0a1b01\n"),
     "posture.groups.admins.azureGroupObjectId"),
    (lambda c: _cluster(c, "gcp")["gcp"].update(project=_cluster(c, "gcp")["gcp"]["project"] + "\n"),
     "clusters[2].gcp.project"),
    (lambda c: _cluster(c, "azure")["azure"].update(
        subscriptionId=_cluster(c, "azure")["azure"]["subscriptionId"] + "\n"),
     "clusters[1].azure.subscriptionId"),
    (lambda c: _cluster(c, "aws").update(name="dev-aws\n"), "clusters[0].name"),
]


@pytest.mark.parametrize(("mutate", "key"), NEWLINE_CASES)
def test_a_trailing_newline_is_refused_naming_the_key(dev, mutate, key):
    """`re.match(...$)` accepted "value\\n": every validator now matches the full string."""
    assert _index(dev, "aws") == 0 and _index(dev, "azure") == 1 and _index(dev, "gcp") == 2
    mutate(dev)
    _assert_keyed(_problems(dev), key)


def test_a_key_with_a_newline_stays_on_one_line(dev):
    _cluster(dev, "aws")["labels"] = {"env\n": "dev"}
    problems = _problems(dev)
    _assert_keyed(problems, "clusters[0].labels.'env\\n'")
    assert all("\n" not in p for p in problems)


def test_a_huge_value_is_not_echoed_whole(dev):
    _posture(dev)["trustDomain"] = "x" * 100_000
    problems = _problems(dev)
    _assert_keyed(problems, "posture.trustDomain")
    assert all(len(p) < 600 for p in problems), [len(p) for p in problems]


def test_unknown_project_config_keys_are_refused(dev):
    dev[f"{NS}:postures"] = {"trustDomain": "x.example.com"}
    dev["aws:region"] = "eu-west-1"  # another namespace: the provider's business, not ours
    problems = _problems(dev)
    _assert_keyed(problems, "postures", "not a known setting")
    assert not any("aws:region" in p for p in problems)


# ---------------------------------------------------------------- address sets by coverage

WORLD_SETS = [
    ["0.0.0.0/0"],
    ["0.0.0.0/1", "128.0.0.0/1"],
    [f"{i}.0.0.0/8" for i in range(256)],
    ["::ffff:0.0.0.0/96"],
    ["::/0"],
    ["2000::/3"],
    ["2000::/4", "3000::/4"],
]


@pytest.mark.parametrize("cidrs", WORLD_SETS, ids=lambda c: f"{c[0]}+{len(c) - 1}")
def test_egress_sets_covering_the_internet_are_refused(dev, cidrs):
    _posture(dev)["workloadNamespaces"][0]["egressToCidrs"] = cidrs
    _assert_keyed(_problems(dev), "posture.workloadNamespaces[0].egressToCidrs", "Internet")


def test_oversize_public_egress_is_refused_and_service_ranges_pass(dev):
    _posture(dev)["workloadNamespaces"][0]["egressToCidrs"] = ["52.0.0.0/8"]
    _assert_keyed(_problems(dev), "posture.workloadNamespaces[0].egressToCidrs", "/12")
    _posture(dev)["workloadNamespaces"][0]["egressToCidrs"] = [
        "10.200.0.0/16", "203.0.113.0/24", "52.94.0.0/22", "2600:1f00::/40"]
    load_spec(dev)


@pytest.mark.parametrize("cidrs", WORLD_SETS[:4], ids=lambda c: f"{c[0]}+{len(c) - 1}")
def test_authorized_networks_refuse_the_split_internet_too(dev, cidrs):
    _posture(dev)["authorizedNetworks"] = cidrs
    _assert_keyed(_problems(dev), "posture.authorizedNetworks")


# ---------------------------------------------------------------- per-cloud data files

@pytest.mark.parametrize(
    ("cloud", "field", "value", "key"),
    [
        ("aws", "region", "mars-north-9", "region"),
        ("azure", "region", "mars-north-9", "region"),
        ("gcp", "region", "mars-north9", "region"),
        ("aws", "machine", "m99z.bogus", "nodePools.general.machineType"),
        ("azure", "machine", "Standard_Z999q_v9", "nodePools.general.machineType"),
        ("gcp", "machine", "n9-superfast-4", "nodePools.general.machineType"),
    ],
)
def test_unknown_regions_and_machine_types_are_refused(dev, cloud, field, value, key):
    cluster = _cluster(dev, cloud)
    if field == "region":
        cluster["region"] = value
    else:
        cluster["nodePools"]["general"]["machineType"] = value
    _assert_keyed(_problems(dev), f"clusters[{_index(dev, cloud)}].{key}")


# AKS pools boot with Trusted Launch; Azure lists these sizes as unsupported
# (https://learn.microsoft.com/azure/virtual-machines/trusted-launch#virtual-machines-sizes).
@pytest.mark.parametrize("size", ["Standard_ND96asr_v4", "Standard_ND96amsr_A100_v4",
                                  "Standard_NC6", "Standard_NV12", "Standard_NP10s"])
def test_aks_sizes_without_trusted_launch_are_refused(dev, size):
    _cluster(dev, "azure")["nodePools"]["general"]["machineType"] = size
    _assert_keyed(_problems(dev), f"clusters[{_index(dev, 'azure')}].nodePools.general.machineType",
                  "does not support Trusted Launch")


def test_aks_generation_2_gpu_sizes_stay_accepted(dev):
    _cluster(dev, "azure")["nodePools"]["general"]["machineType"] = "Standard_NC4as_T4_v3"
    load_spec(dev)


@pytest.mark.parametrize(
    ("cloud", "value"),
    [("aws", "a" * 257), ("aws", "semi;colon"), ("azure", "v" * 257), ("gcp", "UPPER"),
     ("gcp", "x" * 64)],
)
def test_label_values_are_checked_per_cloud(dev, cloud, value):
    _cluster(dev, cloud)["labels"] = {"team": value}
    _assert_keyed(_problems(dev), f"clusters[{_index(dev, cloud)}].labels.team")


def test_azure_names_with_consecutive_hyphens_derive_valid_names(dev):
    """Key Vault names may not hold `--`; the derived name folds them (and keeps a hash of the
    cluster name, so `dev--azure` and `dev-azure` still get different vaults)."""
    from zero_trust_clusters.components.azure import known

    _cluster(dev, "azure")["name"] = "dev--azure"
    spec = load_spec(dev)
    cluster = next(c for c in spec.clusters if c.cloud == "azure")
    assert known.problems(cluster) == []
    other = cluster.model_copy(update={"name": "dev-azure"})
    vault, other_vault = (known._derived_names(c)["keyVault"] for c in (cluster, other))
    assert "--" not in vault and vault != other_vault


def test_the_shipped_stacks_use_only_known_regions_and_sizes():
    for stack in ("dev", "prod"):
        load_spec(load_stack_config(stack)[0])


# ---------------------------------------------------------------- offline root in load_spec

@pytest.fixture(scope="module")
def offline_root():
    return pki.create_root_ca("dev.zt.example.com")


def _offline(dev: dict, tmp_path: Path, root, **secrets) -> dict:
    (tmp_path / "pki").mkdir(exist_ok=True)
    (tmp_path / "pki" / "root-ca.pem").write_text(root.certificate_pem)
    _posture(dev)["pki"] = {"rootMode": "offline", "offlineRootCertificateFile": "pki/root-ca.pem"}
    dev.update({f"{NS}:{k}": v for k, v in secrets.items()})
    return dev


def test_offline_root_with_the_right_key_and_passphrase_loads(dev, tmp_path, offline_root):
    config = _offline(dev, tmp_path, offline_root, pkiRootKey=offline_root.private_key_pem(
        PASSPHRASE), pkiRootPassphrase=PASSPHRASE)
    assert load_spec(config, project_dir=tmp_path).posture.pki.root_mode == "offline"


@pytest.mark.parametrize(
    ("secrets", "key", "hint"),
    [
        ({"pkiRootPassphrase": "wrong passphrase!"}, "pkiRootPassphrase", "does not decrypt"),
        ({"pkiRootKey": SECURE_PLACEHOLDER}, "pkiRootKey", "offline engine cannot decrypt"),
        ({"pkiRootKey": None}, "pkiRootKey", "is required"),
        ({"pkiRootKey": "other"}, "pkiRootKey", "not the key of the root"),
        ({"pkiRootKey": "-----BEGIN PRIVATE KEY-----"}, "pkiRootKey", "encrypted PEM"),
    ],
)
def test_offline_root_problems_are_found_before_registration(
    dev, tmp_path, offline_root, secrets, key, hint
):
    values = {"pkiRootKey": offline_root.private_key_pem(PASSPHRASE),
              "pkiRootPassphrase": PASSPHRASE}
    values.update(secrets)
    if values["pkiRootKey"] == "other":
        values["pkiRootKey"] = pki.create_root_ca("dev.zt.example.com").private_key_pem(PASSPHRASE)
    values = {k: v for k, v in values.items() if v is not None}
    config = _offline(dev, tmp_path, offline_root, **values)
    problems = _problems(config, project_dir=tmp_path)
    _assert_keyed(problems, key, hint)
    assert all("check the passphrase" not in p for p in problems)


def test_offline_root_file_missing_or_for_another_domain(dev, tmp_path, offline_root):
    config = _offline(dev, tmp_path, offline_root)
    (tmp_path / "pki" / "root-ca.pem").unlink()
    _assert_keyed(_problems(config, project_dir=tmp_path),
                  "posture.pki.offlineRootCertificateFile", "init-root")
    other = pki.create_root_ca("prod.zt.example.com")
    (tmp_path / "pki" / "root-ca.pem").write_text(other.certificate_pem)
    _assert_keyed(_problems(config, project_dir=tmp_path),
                  "posture.pki.offlineRootCertificateFile", "trustDomain")


# ---------------------------------------------------------------- nothing registered

def _stack(tmp_path: Path, config: dict) -> Path:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / "Pulumi.hostile.yaml").write_text(yaml.safe_dump({"config": config}))
    (tmp_path / "__main__.py").write_text("raise SystemExit('the program must not run')\n")
    return tmp_path


INVALID_CLASSES = {
    "trailing newline": NEWLINE_CASES[0][0],
    "world egress": lambda c: _posture(c)["workloadNamespaces"][0].update(
        egressToCidrs=["0.0.0.0/1", "128.0.0.0/1"]),
    "unknown region": lambda c: _cluster(c, "aws").update(region="mars-north-9"),
    "unknown machine type": lambda c: _cluster(c, "azure")["nodePools"]["general"].update(
        machineType="Standard_Z999q_v9"),
    "bad label": lambda c: _cluster(c, "gcp").update(labels={"team": "UPPER"}),
    "unknown key": lambda c: c.update({f"{NS}:posturee": {}}),
    "offline root without secrets": lambda c: _posture(c).update(
        pki={"rootMode": "offline", "offlineRootCertificateFile": "pki/root-ca.pem"}),
}


@pytest.mark.parametrize("name", sorted(INVALID_CLASSES))
def test_an_invalid_stack_registers_nothing(dev, tmp_path, monkeypatch, name):
    ran = []
    monkeypatch.setattr(engine, "run_program", lambda *a, **k: ran.append(a))
    INVALID_CLASSES[name](dev)
    with pytest.raises(SpecError):
        engine.capture_stack("hostile", root=_stack(tmp_path, dev))
    assert ran == []


def test_a_wrong_offline_root_passphrase_registers_nothing(dev, tmp_path, monkeypatch,
                                                           offline_root):
    """Before: 265 resources were registered, then the intermediate failed naming no key."""
    ran = []
    monkeypatch.setattr(engine, "run_program", lambda *a, **k: ran.append(a))
    config = _offline(dev, tmp_path, offline_root,
                      pkiRootKey=offline_root.private_key_pem(PASSPHRASE),
                      pkiRootPassphrase="not the passphrase")
    with pytest.raises(SpecError) as caught:
        engine.capture_stack("hostile", root=_stack(tmp_path, config))
    _assert_keyed(caught.value.problems, "pkiRootPassphrase", "does not decrypt")
    assert ran == []
