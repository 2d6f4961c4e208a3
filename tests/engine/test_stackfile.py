"""Stack files are read as the CLI reads them; secure values become marked placeholders."""

import pytest
import yaml

from zero_trust_clusters.engine.stackfile import (
    SECURE_PLACEHOLDER,
    StackFileError,
    load_stack_config,
    to_pulumi_config,
)


def _write(tmp_path, document) -> None:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / "Pulumi.s.yaml").write_text(yaml.safe_dump(document))


def test_secure_values_are_replaced_by_marked_placeholders(tmp_path):
    _write(tmp_path, {"config": {
        "zero-trust-clusters:pkiRootKey": {"secure": "v1:AAAA"},
        "zero-trust-clusters:posture": {"trustDomain": "x.example.com"},
    }})
    config, secure = load_stack_config("s", tmp_path)
    assert secure == ["zero-trust-clusters:pkiRootKey"]
    assert config["zero-trust-clusters:pkiRootKey"] == SECURE_PLACEHOLDER
    assert "v1:AAAA" not in str(config)
    assert to_pulumi_config(config)["zero-trust-clusters:posture"] == '{"trustDomain": "x.example.com"}'


@pytest.mark.parametrize(
    ("content", "message"),
    [("config: [1, 2]", "must be a mapping"), ("config: {a: [}", "not valid YAML")],
)
def test_malformed_stack_files_are_reported(tmp_path, content, message):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.s.yaml").write_text(content)
    with pytest.raises(StackFileError, match=message):
        load_stack_config("s", tmp_path)


def test_unknown_stack_lists_the_known_ones(tmp_path):
    _write(tmp_path, {"config": {}})
    with pytest.raises(StackFileError, match="known stacks: s"):
        load_stack_config("nope", tmp_path)
