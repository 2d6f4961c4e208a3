"""Node metadata endpoints are judged as the clouds read the values, over the pack's real gRPC
(ZT-NODE-METADATA): EC2 launch-template metadata options (exact enums, a hop limit that is a
whole number 1..maxHopLimit, 1.0 included, a string or a boolean failing closed, unset values
not proven), GKE's metadata server and legacy endpoints, AKS pods' IMDS access (issue 14,
"judge meaning")."""

from __future__ import annotations

import pytest
from policy_testkit.verdicts import judge

LT = "aws:ec2/launchTemplate:LaunchTemplate"
POOL = "gcp:container/nodePool:NodePool"
AKS = "azure-native:containerservice:ManagedCluster"
C = "ZT-NODE-METADATA"


def _lt(**options) -> dict:
    base = {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
    return {"imageId": "ami-1", "metadataOptions": {
        k: v for k, v in {**base, **options}.items() if v is not None}}


LT_CASES = {
    # name: (inputs, the field a violation names, or None)
    "components": (_lt(), None),
    "hop-float": (_lt(httpPutResponseHopLimit=1.0), None),
    # A numeric string: that the provider coerces it is not established, so it fails closed.
    "hop-text": (_lt(httpPutResponseHopLimit="1"), "httpPutResponseHopLimit"),
    "imds-off": (_lt(httpEndpoint="disabled", httpTokens="optional"), None),
    "hop-two": (_lt(httpPutResponseHopLimit=2), "httpPutResponseHopLimit"),
    "hop-true": (_lt(httpPutResponseHopLimit=True), "httpPutResponseHopLimit"),
    "hop-fraction": (_lt(httpPutResponseHopLimit=1.5), "httpPutResponseHopLimit"),
    "hop-zero-text": (_lt(httpPutResponseHopLimit="0"), "httpPutResponseHopLimit"),
    # Unset: the AMI's or account's default applies (2 hops under an ImdsSupport v2.0 AMI).
    "hop-unset": (_lt(httpPutResponseHopLimit=None), "httpPutResponseHopLimit"),
    "tokens-capital": (_lt(httpTokens="Required"), "httpTokens"),
    "tokens-unset": (_lt(httpTokens=None), "httpTokens"),
    "endpoint-capital": (_lt(httpEndpoint="Enabled"), "httpEndpoint"),
}


@pytest.fixture(scope="module")
def templates(pack):
    return judge(pack, [(LT, name, inputs) for name, (inputs, _) in LT_CASES.items()])


def test_launch_template_metadata_options(templates):
    def named(messages: list[str], field: str | None) -> str | None:
        if not messages:
            return None
        return field if all(f"metadataOptions.{field} is" in m for m in messages) else "?"

    found = {name: named([m for p, m in templates[name] if p == C], field)
             for name, (_, field) in LT_CASES.items()}
    assert found == {name: field for name, (_, field) in LT_CASES.items()}


def _pool(mode="GKE_METADATA", **metadata) -> dict:
    config = {"serviceAccount": "nodes@p.iam.gserviceaccount.com",
              "workloadMetadataConfig": {"mode": mode}}
    if metadata:
        config["metadata"] = metadata
    return {"nodeConfig": config}


def test_gke_metadata_server_and_legacy_endpoints(pack):
    found = judge(pack, [
        (POOL, "components", _pool(**{"disable-legacy-endpoints": "true"})),
        (POOL, "unset-legacy", _pool()),
        (POOL, "bool-true", _pool(**{"disable-legacy-endpoints": True})),
        (POOL, "legacy-on", _pool(**{"disable-legacy-endpoints": "false"})),
        (POOL, "legacy-on-capital", _pool(**{"disable-legacy-endpoints": "False"})),
        (POOL, "legacy-gibberish", _pool(**{"disable-legacy-endpoints": "yes please"})),
        (POOL, "mode-lower", _pool(mode="gke_metadata")),
    ])
    mine = {name: [m for p, m in v if p == C] for name, v in found.items()}
    for name in ("components", "unset-legacy", "bool-true"):
        assert mine[name] == [], name
    for name in ("legacy-on", "legacy-on-capital", "legacy-gibberish"):
        assert any("disable-legacy-endpoints is" in m for m in mine[name]), name
    assert any("workloadMetadataConfig.mode is 'gke_metadata'" in m for m in mine["mode-lower"])


def test_aks_pod_imds_access_when_an_api_can_set_it(pack):
    base = {"securityProfile": {"workloadIdentity": {"enabled": True}},
            "oidcIssuerProfile": {"enabled": True}}
    found = judge(pack, [
        (AKS, "ga-api", base),
        (AKS, "none-lower", {**base, "networkProfile": {"podLinkLocalAccess": "none"}}),
        (AKS, "imds", {**base, "networkProfile": {"podLinkLocalAccess": "IMDS"}}),
        (AKS, "imds-lower", {**base, "networkProfile": {"podLinkLocalAccess": "imds"}}),
    ])
    mine = {name: [m for p, m in v if p == C] for name, v in found.items()}
    assert mine["ga-api"] == [] and mine["none-lower"] == []
    for name in ("imds", "imds-lower"):
        assert any("networkProfile.podLinkLocalAccess is" in m for m in mine[name]), name


def test_gke_cluster_default_and_inline_pools_are_judged_like_node_pools(pack):
    cluster = "gcp:container/cluster:Cluster"
    good = _pool()["nodeConfig"]
    found = judge(pack, [
        (cluster, "no-node-config", {"removeDefaultNodePool": True}),
        (cluster, "default-pool-good", {"nodeConfig": good}),
        (cluster, "default-pool-legacy", {"nodeConfig": {
            **good, "metadata": {"disable-legacy-endpoints": "false"}}}),
        (cluster, "inline-gce-metadata", {"nodePools": [
            {"name": "a", "nodeConfig": good},
            {"name": "b", "nodeConfig": {**good, "workloadMetadataConfig": {
                "mode": "GCE_METADATA"}}}]}),
    ])
    mine = {name: [m for p, m in v if p == C] for name, v in found.items()}
    assert mine["no-node-config"] == [] and mine["default-pool-good"] == []
    assert any("disable-legacy-endpoints is 'false'" in m for m in mine["default-pool-legacy"])
    assert [m.splitlines()[1].split(" is ")[0] for m in mine["inline-gce-metadata"]] == [
        "[ZT-NODE-METADATA] nodePools[1].nodeConfig.workloadMetadataConfig.mode"]
