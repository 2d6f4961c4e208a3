"""Shared fixtures: one real PKI (root -> ledger signing CA -> deployer) per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from zero_trust_clusters.components.ledger.chain import ChainVerifier
from zero_trust_clusters.components.ledger.entry import Signer
from zero_trust_clusters.components.ledger.identity import pki_verifier, signer_from_certified
from zero_trust_clusters.components.pki import authority as pki

from .azurite import run_azurite
from .support import git

STATE = {"digest": "sha256:" + "ab" * 32, "resources": 3, "secrets": 1}
CODE = {"commit": "c" * 40, "tree": "d" * 40, "dirty": False, "subtrees": {}}


@dataclass(frozen=True)
class Pki:
    root: pki.CertifiedKey
    signing_ca: pki.CertifiedKey
    deployer: pki.CertifiedKey

    @property
    def signer(self) -> Signer:
        return signer_from_certified(self.deployer)

    @property
    def verifier(self) -> ChainVerifier:
        return pki_verifier([self.root.certificate])

    @property
    def roots(self) -> list[x509.Certificate]:
        return [self.root.certificate]


@pytest.fixture(scope="session")
def shared_pki() -> Pki:
    root = pki.create_root_ca("ledger.example")
    signing_ca = pki.issue_signing_intermediate(root)
    return Pki(root, signing_ca, pki.issue_deployer_certificate(signing_ca, "ci-deployer"))


@pytest.fixture(scope="session")
def outside_pki() -> Pki:
    """A look-alike PKI nobody trusts: same names, different root key."""
    root = pki.create_root_ca("ledger.example")
    signing_ca = pki.issue_signing_intermediate(root)
    return Pki(root, signing_ca, pki.issue_deployer_certificate(signing_ca, "ci-deployer"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small git checkout with a program file and a zero_trust_clusters/policies/ directory."""
    root = tmp_path / "repo"
    (root / "zero_trust_clusters" / "policies").mkdir(parents=True)
    (root / "__main__.py").write_text("print('program')\n")
    (root / "zero_trust_clusters" / "policies" / "rules.py").write_text("RULES = []\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture(scope="module")
def azurite(tmp_path_factory) -> Iterator[str]:
    """The blob endpoint of an Azurite on 127.0.0.1 (its development account)."""
    with run_azurite(tmp_path_factory.mktemp("azurite")) as endpoint:
        yield endpoint
