import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zero_trust_clusters.components.ledger.canonical import (
    CanonicalFormError,
    canonical_bytes,
    digest,
    loads,
)


def test_sorted_keys_no_whitespace_and_utf8():
    assert canonical_bytes({"b": 1, "a": [True, None], "é": "ü"}) == (
        '{"a":[true,null],"b":1,"é":"ü"}'.encode()
    )


def test_integral_floats_are_integers_and_others_shortest_repr():
    # Pulumi's wire form turns every number into a double: 3 and 3.0 must hash alike.
    assert canonical_bytes({"n": 3.0}) == canonical_bytes({"n": 3}) == b'{"n":3}'
    assert canonical_bytes([0.1, -2.5, 1e-7]) == b"[0.1,-2.5,1e-07]"


@pytest.mark.parametrize("bad", [math.nan, math.inf, b"bytes", {1: "int key"}, {"s": {1, 2}}])
def test_values_without_a_canonical_form_are_refused(bad):
    with pytest.raises(CanonicalFormError):
        canonical_bytes(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_round_trip_through_json_is_stable(value):
    # What a store reads back re-canonicalizes to the very bytes that were signed.
    once = canonical_bytes(value)
    assert canonical_bytes(json.loads(once)) == once
    # The verifier's fast path (parse normalized, skip the walk) gives the same bytes.
    assert canonical_bytes(loads(once), normalized=True) == once


@pytest.mark.parametrize("text", ['{"a": NaN}', "[Infinity]", "[1e999]"])
def test_loads_refuses_what_json_cannot_spell(text):
    with pytest.raises(CanonicalFormError):
        loads(text)


def test_loads_normalizes_integral_floats():
    assert canonical_bytes(loads('{"n": 3.0, "x": 0.5}'), normalized=True) == b'{"n":3,"x":0.5}'


@given(st.dictionaries(st.text(max_size=5), st.integers(), min_size=2, max_size=6))
def test_key_order_does_not_matter(mapping):
    reordered = dict(reversed(list(mapping.items())))
    assert digest(mapping) == digest(reordered)
