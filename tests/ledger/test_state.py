import hashlib

from pulumi.runtime import rpc

from zero_trust_clusters.components.ledger.canonical import canonical_bytes
from zero_trust_clusters.components.ledger.state import (
    SECRET_SIG_KEY,
    SECRET_SIG_VALUE,
    UNKNOWN_VALUE,
    mask,
    resources_from_stack_export,
    state_digest,
)


def secret(value):
    return {SECRET_SIG_KEY: SECRET_SIG_VALUE, "value": value}


def resource(name, inputs, type_="aws:kms/key:Key"):
    return {"type": type_, "name": name, "inputs": inputs}


def test_wire_constants_match_the_pulumi_sdk():
    assert SECRET_SIG_KEY == rpc._special_sig_key
    assert SECRET_SIG_VALUE == rpc._special_secret_sig
    assert UNKNOWN_VALUE == rpc.UNKNOWN


def test_secret_values_never_reach_the_digest_input():
    password = "hunter2"
    masked, count = mask({"a": secret(password), "b": [secret({"nested": password})]})
    assert count == 2
    body = canonical_bytes(masked)
    assert password.encode() not in body
    # Not even a hash of it (a short secret's hash is guessable by brute force).
    assert hashlib.sha256(password.encode()).hexdigest().encode() not in body
    # Two different secrets give the same digest: nothing about the value leaks.
    one = state_digest([resource("k", {"password": secret("a")})])
    two = state_digest([resource("k", {"password": secret("b")})])
    assert one == two and one.secrets == 1


def test_stack_export_ciphertext_is_masked_like_a_wire_secret():
    exported = {SECRET_SIG_KEY: SECRET_SIG_VALUE, "ciphertext": "v1:abc"}
    assert state_digest([resource("k", {"p": exported})]) == state_digest(
        [resource("k", {"p": secret("x")})]
    )


def test_digest_ignores_registration_order_and_sees_every_input_change():
    a, b = resource("a", {"x": 1}), resource("b", {"y": [1, 2]}, "aws:s3/bucket:Bucket")
    assert state_digest([a, b]) == state_digest([b, a])
    changed = resource("b", {"y": [2, 1]}, "aws:s3/bucket:Bucket")
    assert state_digest([a, changed]).digest != state_digest([a, b]).digest
    renamed = resource("c", {"x": 1})
    assert state_digest([renamed, b]).digest != state_digest([a, b]).digest


def test_unknowns_get_their_own_marker():
    from pulumi.output import Unknown

    masked, _ = mask({"arn": UNKNOWN_VALUE, "id": Unknown()})
    assert masked == {"arn": {"$ztc": "unknown"}, "id": {"$ztc": "unknown"}}


def test_stack_export_resources():
    document = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": "urn:pulumi:dev::zero-trust-clusters::pulumi:pulumi:Stack::zt-dev",
                 "type": "pulumi:pulumi:Stack"},
                {"urn": "urn:pulumi:dev::zero-trust-clusters::aws:kms/key:Key::k",
                 "type": "aws:kms/key:Key", "inputs": {"enableKeyRotation": True}},
                {"urn": "urn:pulumi:dev::zero-trust-clusters::aws:kms/key:Key::old",
                 "type": "aws:kms/key:Key", "inputs": {}, "delete": True},
            ]
        },
    }
    resources = resources_from_stack_export(document)
    assert [r["name"] for r in resources] == ["zt-dev", "k"]
    result = state_digest(resources)
    assert result.resources == 1  # the Stack root carries no inputs and is left out
