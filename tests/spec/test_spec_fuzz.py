"""Property-based fuzzing: any mangled config gives a clean SpecError, never a traceback."""

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zero_trust_clusters.components.spec import CONFIG_NAMESPACE, SpecError, load_spec
from zero_trust_clusters.engine.stackfile import load_stack_config

BASE, _ = load_stack_config("dev")

# Values that are wrong in interesting ways: other types, near-miss CIDRs, odd strings.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["0.0.0.0/0", "::/0", "10.0.0.0/8", "10.10.0.0/16", "300.1.1.1/16", "10.0.0.0/-1",
         "fe80::/10", "aws", "gcp", "oracle", "1.35", "1.99", "", " ", "ami-123", "x" * 300]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(BASE)


def _apply(config: dict, path: tuple, action: str, value: Any) -> None:
    parent = config
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        parent.pop(last)
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    else:
        parent[last] = value


mutation = st.tuples(
    st.sampled_from(PATHS), st.sampled_from(["replace", "delete", "duplicate"]), junk
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mangled_config_never_crashes(mutations):
    config = copy.deepcopy(BASE)
    for path, action, value in mutations:
        try:
            _apply(config, path, action, value)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier mutation removed or replaced this path
    try:
        load_spec(config)
    except SpecError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.startswith(f"{CONFIG_NAMESPACE}:"), problem
            assert ": " in problem and len(problem.split(": ", 1)[1]) > 5, problem


@settings(max_examples=100, deadline=None)
@given(junk)
def test_any_top_level_value_is_handled(value):
    for key in ("posture", "clusters"):
        config = copy.deepcopy(BASE)
        config[f"{CONFIG_NAMESPACE}:{key}"] = value
        try:
            load_spec(config)
        except SpecError as error:
            assert all(p.startswith(f"{CONFIG_NAMESPACE}:{key}") for p in error.problems), error
