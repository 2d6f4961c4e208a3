"""The per-cloud data files: each names its source, and the AWS lists equal what the pinned
botocore says (so a botocore bump that adds regions or instance types is noticed)."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
from pathlib import Path

import botocore
import pytest

from zero_trust_clusters.components import datafiles

DATA_FILES = sorted(Path(datafiles.ROOT).glob("*/data/*.json"))


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_cloud_data_file_names_its_source(path):
    document = datafiles.load(path.parent.parent.name, path.stem)
    assert document["source"].strip()
    assert "http" in document["source"] or "botocore" in document["source"]


def test_aws_data_matches_the_pinned_botocore():
    data = Path(botocore.__file__).parent / "data"
    version = importlib.metadata.version("botocore")
    endpoints = json.loads((data / "endpoints.json").read_text())
    regions = {
        region: partition["partition"]
        for partition in endpoints["partitions"]
        for region in partition["regions"]
        if region in partition["services"].get("eks", {}).get("endpoints", {})
    }
    model = json.loads(gzip.decompress((data / "ec2/2016-11-15/service-2.json.gz").read_bytes()))
    types = sorted(model["shapes"]["InstanceType"]["enum"])
    assert datafiles.load("aws", "regions")["regions"] == regions, json.dumps(regions)
    assert datafiles.load("aws", "instance_types")["instanceTypes"] == types, json.dumps(types)
    assert version in datafiles.load("aws", "regions")["source"]


def test_a_data_file_without_source_is_refused(tmp_path, monkeypatch):
    (tmp_path / "x" / "data").mkdir(parents=True)
    (tmp_path / "x" / "data" / "y.json").write_text('{"items": []}')
    monkeypatch.setattr(datafiles, "ROOT", tmp_path)
    datafiles.load.cache_clear()
    try:
        with pytest.raises(ValueError, match="no `source`"):
            datafiles.load("x", "y")
    finally:
        datafiles.load.cache_clear()
