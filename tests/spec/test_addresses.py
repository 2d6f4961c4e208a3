"""Address-set coverage (zero_trust_clusters/policies/ztc_policy/addresses.py), shared by the spec and the pack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zero_trust_clusters.components.spec import addresses

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/0"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        [f"{i}.0.0.0/8" for i in range(256)],
        ["::ffff:0.0.0.0/96"],
        ["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"],
        ["64:ff9b::/96"],
        ["::/0"],
        ["2000::/3"],
        ["2000::/4", "3000::/4"],
        # Everything public without the private ranges is still the Internet.
        ["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3",
         "64.0.0.0/2", "128.0.0.0/1"],
    ],
    ids=lambda c: f"{c[0]}+{len(c) - 1}",
)
def test_split_ranges_that_cover_the_internet(cidrs):
    assert addresses.covers_internet(cidrs)


@pytest.mark.parametrize(
    "cidrs",
    [["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"],
     [f"{i}.0.0.0/8" for i in range(256) if i != 8],  # one public /8 short
     ["2000::/4"], ["fc00::/7"], []],
    ids=lambda c: f"{c[0] if c else 'empty'}+{max(len(c) - 1, 0)}",
)
def test_sets_short_of_the_internet(cidrs):
    assert not addresses.covers_internet(cidrs)


def test_coverage_of_a_given_range_and_size():
    assert addresses.covers(["10.0.0.0/9", "10.128.0.0/9"], "10.0.0.0/8")
    assert not addresses.covers(["10.0.0.0/9"], "10.0.0.0/8")
    assert addresses.covers(["::ffff:10.0.0.0/104"], "10.1.0.0/16")  # IPv4-mapped counts
    assert addresses.coverage(["8.8.8.0/24", "10.0.0.0/8"]).public_v4 == 256
    assert addresses.exceeds(["52.0.0.0/8"], max_public_v4=2**20, max_public_v6=2**96)
    assert not addresses.exceeds(["52.94.0.0/22"], max_public_v4=2**20, max_public_v6=2**96)


def test_the_pack_imports_it_without_the_components():
    """The pack runs in its own virtualenv with only zero_trust_clusters/policies/ on its path."""
    code = ("import sys; sys.path = [p for p in sys.path if p not in ('', {!r})]; "
            "sys.path.insert(0, {!r}); import ztc_policy.addresses as a; "
            "assert 'zero_trust_clusters' not in sys.modules; "
            "print(a.covers_internet(['0.0.0.0/1', '128.0.0.0/1']))").format(
        str(ROOT), str(ROOT / "zero_trust_clusters" / "policies"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd="/", check=True)
    assert result.stdout.strip() == "True"
