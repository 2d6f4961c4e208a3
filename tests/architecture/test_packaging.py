"""The package's metadata follows the cloud registry: one extra per cloud holding that cloud's
SDK, no cloud SDK in the base install, and `[all]` naming every cloud. `.ci/wheel-check` then
installs the built wheel with `[aws]` alone into a fresh virtualenv and previews an example."""

import re
import tomllib
from pathlib import Path

from zero_trust_clusters import PACK_DIR
from zero_trust_clusters.components import clouds

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[=<>!~\[;\s]", r, maxsplit=1)[0].lower() for r in requirements}


def test_each_cloud_has_an_extra_with_its_sdk_and_the_base_has_none():
    extras = PROJECT["optional-dependencies"]
    base = _names(PROJECT["dependencies"])
    for entry in clouds.entries():
        sdk = f"pulumi-{entry.provider_package}"
        assert sdk in _names(extras[entry.name]), (entry.name, extras.get(entry.name))
        assert sdk not in base, f"{sdk} is installed for every cloud"
    assert extras["all"] == [
        f"zero-trust-clusters[{','.join(e.name for e in clouds.entries())}]"]


def test_the_pack_ships_in_the_package_and_pins_what_the_package_pins():
    assert (PACK_DIR / "PulumiPolicy.yaml").is_file() and (PACK_DIR / "__main__.py").is_file()
    pins = {r.split("==")[0]: r for r in PROJECT["dependencies"] if "==" in r}
    for line in (PACK_DIR / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert pins[line.split("==")[0]] == line.strip()
