"""JSON policy documents (IAM identity and trust policies, KMS key policies, bucket policies):
parsed, then checked against the IAM policy grammar and with parliament.

The schema types these properties as plain strings. Two layers check them:
- the grammar, as a strict JSON Schema per document kind, from the IAM JSON policy element
  reference (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
  and .../reference_policies_elements.html): closed statement keys, Version values, Effect,
  exactly one of Action/NotAction, Principal required in resource-based and trust policies and
  prohibited in identity-based ones ("Has prohibited field Principal"), Resource required in
  identity policies and prohibited in role trust policies ("Has prohibited field Resource"),
  IAM Sids alphanumeric;
- parliament (duo-labs, maintained, offline: it ships the IAM action database) for what a
  grammar cannot know: unknown service prefixes, unknown actions and unknown condition
  operators. Its security advice (RESOURCE_STAR, ...) is not an API rule and is not reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version as dist_version
from typing import Any

import jsonschema

from scripts.engine.schema.findings import Finding, show
from scripts.engine.schema.plan import PlanResource, join, opaque

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

# Parliament issues that are API facts (the rest is security advice or false alarms about
# condition key types, e.g. kms:EncryptionContext:aws:logs:arn with ArnLike, which the
# CloudWatch Logs docs prescribe).
PARLIAMENT_ISSUES = {"UNKNOWN_PREFIX", "UNKNOWN_ACTION", "UNKNOWN_OPERATOR"}

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
            yield from _parliament(resource.urn, path, document, kind)


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
    if error.validator == "pattern":
        return f"a value matching {error.validator_value}"
    if error.validator == "enum":
        return f"one of {', '.join(map(str, error.validator_value))}"
    return error.message


@cache
def _parliament_source() -> str:
    return f"parliament {dist_version('parliament')} IAM action database"


def _parliament(urn: str, path: str, document: dict[str, Any], kind: str) -> Iterator[Finding]:
    for i, statement in enumerate(document["Statement"]):
        # parliament reads every statement as an identity policy's: a trust policy's statement
        # gets a placeholder Resource so only the action and operator checks speak.
        probe = dict(statement)
        if kind == "trust":
            probe.setdefault("Resource", "*")
        for issue, detail in _parliament_issues(json.dumps(probe, sort_keys=True)):
            yield Finding(urn, join(join(path, "Statement"), i), show(detail),
                          f"a known {issue.removeprefix('UNKNOWN_').lower()}",
                          _parliament_source(), "policy-document")


@cache
def _parliament_issues(statement: str) -> tuple[tuple[str, str], ...]:
    """parliament's API-fact issues for one statement (cached: roles share statements)."""
    from parliament import analyze_policy_string  # imported only when a document is present

    policy = analyze_policy_string(
        f'{{"Version": "2012-10-17", "Statement": [{statement}]}}',
        include_community_auditors=False,
    )
    issues = []
    for issue in policy.findings:
        if issue.issue not in PARLIAMENT_ISSUES:
            continue
        detail = issue.detail if isinstance(issue.detail, str) else json.dumps(issue.detail)
        if issue.issue == "UNKNOWN_ACTION" and _botocore_knows(detail):
            continue
        issues.append((issue.issue, detail))
    return tuple(issues)


def _botocore_knows(detail: str) -> bool:
    """An action newer than parliament's database that botocore's model of the service has."""
    import botocore.session

    action = detail.split()[-1].strip("'\"") if detail else ""
    prefix, _, name = action.partition(":")
    session = botocore.session.get_session()
    if not name or prefix not in session.get_available_services():
        return False
    return name in session.get_service_model(prefix).operation_names
