"""JSON policy documents (IAM identity and trust policies, KMS key policies, bucket policies):
parsed, then checked against the IAM policy grammar and parliament's IAM action database.

The schema types these properties as plain strings. Two layers check them:
- the grammar, as a strict JSON Schema per document kind, from the IAM JSON policy element
  reference (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
  and .../reference_policies_elements.html): closed statement keys, Version values, Effect,
  exactly one of Action/NotAction, Principal required in resource-based and trust policies and
  prohibited in identity-based ones ("Has prohibited field Principal"), Resource required in
  identity policies and prohibited in role trust policies ("Has prohibited field Resource"),
  IAM Sids alphanumeric;
- the IAM action database parliament ships (duo-labs/parliament, maintained, offline) for
  what a grammar cannot know: unknown service prefixes and unknown actions (wildcards
  expanded); an action newer than that database but in botocore's model of the service is
  accepted. Only parliament's data is read: its linter (security advice such as RESOURCE_STAR,
  not API rules) costs most of its import time, which the preview's budget cannot carry.
  Condition operators are part of the grammar (.../reference_policies_elements_condition_operators.html).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import jsonschema

from zero_trust_clusters.engine.schema.aws_models import botocore_session, service_model
from zero_trust_clusters.engine.schema.findings import Finding, show
from zero_trust_clusters.engine.schema.plan import PlanResource, join, opaque

GRAMMAR_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"

# (Pulumi type, property path) -> document kind: identity | trust | resource.
DOCUMENTS: dict[tuple[str, str], str] = {
    ("aws:iam/role:Role", "assumeRolePolicy"): "trust",
    ("aws:iam/role:Role", "inlinePolicies[].policy"): "identity",
    ("aws:iam/rolePolicy:RolePolicy", "policy"): "identity",
    ("aws:iam/policy:Policy", "policy"): "identity",
    ("aws:iam/userPolicy:UserPolicy", "policy"): "identity",
    ("aws:iam/groupPolicy:GroupPolicy", "policy"): "identity",
    ("aws:kms/key:Key", "policy"): "resource",
    ("aws:kms/keyPolicy:KeyPolicy", "policy"): "resource",
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"): "resource",
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"): "resource",
    ("aws:sns/topicPolicy:TopicPolicy", "policy"): "resource",
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"): "resource",
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"): "resource",
}

# Condition operators, optionally ...IfExists, optionally ForAllValues:/ForAnyValue: (IAM
# JSON policy elements: Condition operators).
_OPERATOR = (
    r"^((ForAllValues|ForAnyValue):)?"
    r"(String(Not)?Equals(IgnoreCase)?|String(Not)?Like|"
    r"Numeric(Not)?Equals|Numeric(LessThan|GreaterThan)(Equals)?|"
    r"Date(Not)?Equals|Date(LessThan|GreaterThan)(Equals)?|Bool|BinaryEquals|"
    r"(Not)?IpAddress|Arn(Not)?(Equals|Like))(IfExists)?$|^Null$"
)

# A string or a list of them (`pattern` applies to strings, `items` to lists).
_STRINGS = {"type": ["string", "array"], "minItems": 1, "items": {"type": "string"}}
_ACTION_PATTERN = r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$"
_ACTIONS = {
    "type": ["string", "array"],
    "pattern": _ACTION_PATTERN,
    "minItems": 1,
    "items": {"type": "string", "pattern": _ACTION_PATTERN},
}
_PRINCIPAL = {
    "anyOf": [
        {"const": "*"},
        {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                k: _STRINGS for k in ("AWS", "Service", "Federated", "CanonicalUser")
            },
        },
    ]
}
_CONDITION = {
    "type": "object",
    "propertyNames": {"pattern": _OPERATOR},
    "additionalProperties": {
        "type": "object",
        "additionalProperties": {
            "type": ["string", "boolean", "number", "array"],
            "items": {"type": ["string", "boolean", "number"]},
        },
    },
}


def _statement(kind: str) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "Sid": {"type": "string"},
            "Effect": {"enum": ["Allow", "Deny"]},
            "Principal": _PRINCIPAL,
            "NotPrincipal": _PRINCIPAL,
            "Action": _ACTIONS,
            "NotAction": _ACTIONS,
            "Resource": _STRINGS,
            "NotResource": _STRINGS,
            "Condition": _CONDITION,
        },
        "required": ["Effect"],
        "allOf": [
            {"oneOf": [{"required": ["Action"]}, {"required": ["NotAction"]}]},
            {"not": {"required": ["Resource", "NotResource"]}},
            {"not": {"required": ["Principal", "NotPrincipal"]}},
        ],
    }
    principal = {"anyOf": [{"required": ["Principal"]}, {"required": ["NotPrincipal"]}]}
    resource = {"anyOf": [{"required": ["Resource"]}, {"required": ["NotResource"]}]}
    if kind == "identity":
        statement["allOf"] += [{"not": principal}, resource]
        statement["properties"]["Sid"] = {"type": "string", "pattern": "^[0-9A-Za-z]*$"}
    elif kind == "trust":
        statement["allOf"] += [principal, {"not": resource}]
        statement["properties"]["Sid"] = {"type": "string", "pattern": "^[0-9A-Za-z]*$"}
    else:
        statement["allOf"] += [principal, resource]
    return statement


@cache
def grammar(kind: str) -> jsonschema.Validator:
    statement = _statement(kind)
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "Version": {"enum": ["2012-10-17", "2008-10-17"]},
            "Id": {"type": "string"},
            # A single statement object is allowed; check() lists it first.
            "Statement": {"type": "array", "minItems": 1, "items": statement},
        },
        "required": ["Statement"],
    }
    return jsonschema.Draft202012Validator(schema)


def documents(resource: PlanResource) -> Iterator[tuple[str, str, str]]:
    """(property path, JSON text, kind) of each policy document the resource carries."""
    for (type_, path), kind in DOCUMENTS.items():
        if type_ != resource.type:
            continue
        if path.endswith("[].policy"):
            items = resource.inputs.get(path.split("[]")[0]) or []
            for i, item in enumerate(items if isinstance(items, list) else []):
                text = item.get("policy") if isinstance(item, dict) else None
                if isinstance(text, str):
                    yield join(join(path.split("[]")[0], i), "policy"), text, kind
        elif isinstance(resource.inputs.get(path), str):
            yield path, resource.inputs[path], kind


def handles(resource: PlanResource) -> bool:
    return any(type_ == resource.type for type_, _ in DOCUMENTS)


def check(resource: PlanResource) -> Iterator[Finding]:
    for path, text, kind in documents(resource):
        if opaque(text):
            continue
        try:
            document = json.loads(text)
        except ValueError as error:
            yield Finding(resource.urn, path, show(text),
                          f"a JSON policy document ({error.msg} at line {error.lineno})",
                          GRAMMAR_URL, "policy-document")
            continue
        if isinstance(document, dict) and isinstance(document.get("Statement"), dict):
            document = {**document, "Statement": [document["Statement"]]}
        found = list(_grammar_errors(resource.urn, path, document, kind))
        yield from found
        if not found:
            yield from _action_findings(resource.urn, path, document)


def _grammar_errors(urn: str, path: str, document: Any, kind: str) -> Iterator[Finding]:
    source = f"IAM policy grammar ({kind} policy), {GRAMMAR_URL}"
    for error in grammar(kind).iter_errors(document):
        where = path
        for part in error.absolute_path:
            where = join(where, part)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(error.schema["properties"])
            for key in sorted(set(error.instance) - set(allowed)):
                yield Finding(urn, join(where, key), show(error.instance[key]),
                              f"a policy element ({', '.join(allowed)})", source,
                              "policy-document")
            continue
        yield Finding(urn, where, show(error.instance), _explain(error, kind), source,
                      "policy-document")


def _explain(error: jsonschema.ValidationError, kind: str) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "not":
        element = schema["not"].get("anyOf", [{"required": ["?"]}])[0]["required"][0]
        return f"no {element}/Not{element} element in a {kind} policy (IAM: Has prohibited field)"
    if error.validator == "anyOf" and schema["anyOf"][0].get("required"):
        element = schema["anyOf"][0]["required"][0]
        return f"a {element} (or Not{element}) element in a {kind} policy"
    if error.validator == "oneOf" and schema["oneOf"][0].get("required"):
        return "exactly one of Action or NotAction"
    if error.validator in ("oneOf", "anyOf") and error.context:
        # The branch of the instance's own shape explains best ({"Aws": ...} is no `"*"`).
        shaped = [e for e in error.context if e.validator not in ("const", "type")]
        return _explain(jsonschema.exceptions.best_match(shaped or error.context), kind)
    if error.validator == "pattern" and error.validator_value == _OPERATOR:
        return (
            "an IAM condition operator (StringEquals, StringLike, ArnLike, Bool, IpAddress, "
            "NumericLessThan, DateGreaterThan, Null, ..., optionally ...IfExists and "
            "ForAllValues:/ForAnyValue:)"
        )
    if error.validator == "pattern":
        return f"a value matching {error.validator_value}"
    if error.validator == "enum":
        return f"one of {', '.join(map(str, error.validator_value))}"
    return error.message


@cache
def _database_source() -> str:
    return f"IAM action database of parliament {dist_version('parliament')}"


@cache
def _actions() -> dict[str, frozenset[str]]:
    """IAM prefix -> its actions (lower case), from parliament's iam_definition.json (found
    without importing parliament, whose import runs its linter's set-up)."""
    spec = importlib.util.find_spec("parliament")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("parliament (pinned in pyproject.toml) is not installed")
    path = Path(spec.submodule_search_locations[0]) / "iam_definition.json"
    actions: dict[str, set[str]] = {}
    for service in json.loads(path.read_text()):
        names = actions.setdefault(service["prefix"], set())
        names.update(p["privilege"].lower() for p in service["privileges"])
    return {prefix: frozenset(names) for prefix, names in actions.items()}


def _action_findings(urn: str, path: str, document: dict[str, Any]) -> Iterator[Finding]:
    for i, statement in enumerate(document["Statement"]):
        element = "Action" if "Action" in statement else "NotAction"
        actions = statement[element]
        where = join(join(join(path, "Statement"), i), element)
        listed = actions if isinstance(actions, list) else [actions]
        for j, action in enumerate(listed):
            problem = _unknown(action)
            if problem:
                yield Finding(urn, join(where, j) if isinstance(actions, list) else where,
                              show(action), problem, _database_source(), "policy-document")


@cache
def _unknown(action: str) -> str | None:
    """What is unknown about an action (`s3:GetObject`, `kms:*`, `s3:Get*`), or None."""
    if action == "*":
        return None
    prefix, _, name = action.partition(":")
    if _botocore_knows(prefix, name):
        return None  # an API operation of that service (fast path, and newer than the DB)
    known = _actions().get(prefix)
    if known is None:
        return f"a known service prefix ({prefix!r} is none)"
    if any(fnmatch.fnmatchcase(candidate, name.lower()) for candidate in known):
        return None
    return f"a known {prefix} action"


def _botocore_knows(prefix: str, name: str) -> bool:
    """An action botocore's model of the service has as an operation (wildcards expanded)."""
    if not name or prefix not in _available_services():
        return False
    operations = service_model(prefix).operation_names
    return any(fnmatch.fnmatchcase(op, name) for op in operations)


@cache
def _available_services() -> frozenset[str]:
    return frozenset(botocore_session().get_available_services())
