"""AWS JSON policy documents (IAM trust and identity policies, KMS key policies, bucket
policies) read the way AWS reads them.

A document arrives as a JSON string or an object; `Statement` is one object or a list;
`Action`/`Principal`/`Resource` a string or a list; `NotAction`/`NotPrincipal`/`NotResource`
invert them. Action names are matched case-insensitively with `*` and `?` wildcards
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html);
the grammar's Effect is exactly "Allow" or "Deny"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).

parliament (pinned for the schema stage) parses documents too, but it needs boto3 and its
linter, which the pack's own virtualenv (zero_trust_clusters/policies/requirements.txt) does not carry, and it
answers grammar and action-database questions, not "who may do what"; so the pack reads the
few elements it judges here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import addresses


class DocumentError(ValueError):
    """A document AWS would not read as written: the message names the element."""


@dataclass(frozen=True)
class Statement:
    where: str  # "Statement[1]" (or "Statement" when it is a single object)
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]
    not_action: bool
    principals: dict[str, tuple[str, ...]] | None  # None: no Principal element
    not_principal: bool
    resources: tuple[str, ...]
    not_resource: bool
    condition: dict[str, Any]

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in items):
        raise DocumentError(f"{where} holds {value!r:.80}; IAM takes a string or a list of "
                            "strings")
    return tuple(items)


def _principals(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if isinstance(value, dict):
        return {str(k): _strings(v, f"{where}.{k}") for k, v in value.items()}
    raise DocumentError(f"{where} is {value!r:.80}; IAM takes \"*\" or an object such as "
                        "{\"AWS\": [...]}")


def load(value: Any) -> dict[str, Any]:
    """The document as an object, whether it came as JSON text or an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError) as error:
            raise DocumentError(f"is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise DocumentError(f"is a {type(value).__name__}, not a policy document object")
    return value


def statements(value: Any) -> list[Statement]:
    """Every statement of a document, normalised; DocumentError names what AWS would refuse."""
    doc = load(value)
    raw = doc.get("Statement", [])
    single = isinstance(raw, dict)
    if not isinstance(raw, (dict, list)):
        raise DocumentError(f"Statement is {raw!r:.80}; IAM takes an object or a list")
    out = []
    for i, s in enumerate([raw] if single else raw):
        where = "Statement" if single else f"Statement[{i}]"
        if not isinstance(s, dict):
            raise DocumentError(f"{where} is {s!r:.80}, not an object")
        effect = s.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise DocumentError(f"{where}.Effect is {effect!r:.40}; the IAM grammar takes "
                                "exactly \"Allow\" or \"Deny\"")
        not_action = "NotAction" in s
        not_principal = "NotPrincipal" in s
        not_resource = "NotResource" in s
        principal_key = "NotPrincipal" if not_principal else "Principal"
        condition = s.get("Condition") or {}
        if not isinstance(condition, dict):
            raise DocumentError(f"{where}.Condition is {condition!r:.80}, not an object")
        out.append(Statement(
            where=where, effect=effect,
            actions=_strings(s.get("NotAction" if not_action else "Action", []),
                             f"{where}.{'NotAction' if not_action else 'Action'}"),
            not_action=not_action,
            principals=_principals(s[principal_key], f"{where}.{principal_key}")
            if principal_key in s else None,
            not_principal=not_principal,
            resources=_strings(s.get("NotResource" if not_resource else "Resource", []),
                               f"{where}.{'NotResource' if not_resource else 'Resource'}"),
            not_resource=not_resource,
            condition=condition))
    return out


@lru_cache(maxsize=4096)
def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in glob), re.IGNORECASE | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action entry (with * and ?) covers `action`; case-insensitive, as IAM."""
    return _pattern(pattern.strip()).fullmatch(action) is not None


def covers_every_action(s: Statement) -> bool:
    """"*" (every action of every service), or NotAction (every action but a few)."""
    return s.not_action or any(a.strip() == "*" or a.strip().startswith("*:") for a in s.actions)


def service_wildcards(s: Statement) -> list[str]:
    """Action entries covering every action of one service ("s3:*", "IAM:*", "ec2:*?")."""
    out = []
    for a in s.actions:
        service, _, name = a.strip().partition(":")
        if service and name and set(name) <= {"*", "?"} and "*" in name:
            out.append(a)
    return out


def on_every_resource(s: Statement) -> bool:
    return s.not_resource or any(r.strip() == "*" for r in s.resources)


def wildcard_principals(s: Statement) -> list[str]:
    """How a statement names everyone: "*", {"AWS": "*"}, a `*` inside a principal, or
    NotPrincipal (everyone except the few named)."""
    if s.not_principal:
        return ["NotPrincipal (everyone except the principals named)"]
    if s.principals is None:
        return []
    return [("*" if kind == "*" else f"{kind}: {v}")
            for kind, values in s.principals.items() for v in values if "*" in v]


# Condition keys that, with a fixed value, limit a wildcard principal to known callers: the
# keys of S3's definition of a non-public policy ("The meaning of "public"",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
# and PublicAccessBlockConfiguration in the S3 API reference). Other keys (aws:PrincipalOrgID
# among them) are not on that list, so they do not count: name the principals instead.
# Condition keys are case-insensitive.
_LIMITING_KEYS = frozenset(k.casefold() for k in (
    "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
    "aws:userid", "s3:x-amz-server-side-encryption-aws-kms-key-id"))
_EXACT_OPERATORS = ("stringequals", "stringequalsignorecase", "arnequals", "stringlike",
                    "arnlike")


def limited_by_condition(s: Statement) -> bool:
    """A condition pins callers to fixed accounts, ARNs, VPCs or private source ranges.

    `...IfExists` never limits (a request without the key passes); a value with a wildcard is
    not fixed; aws:SourceIp limits only to ranges that are not as good as the Internet."""
    for operator, block in s.condition.items():
        op = str(operator).casefold().split(":", 1)[-1]
        if op.endswith("ifexists") or not isinstance(block, dict):
            continue
        for key, values in block.items():
            vals = values if isinstance(values, list) else [values]
            if not vals or not all(isinstance(v, str) and v for v in vals):
                continue
            k = str(key).casefold()
            if k in _LIMITING_KEYS and op in _EXACT_OPERATORS and not any(
                    "*" in v or "?" in v for v in vals):
                return True
            if k == "aws:sourceip" and op == "ipaddress" and _private_enough(vals):
                return True
    return False


def _private_enough(cidrs: list[str]) -> bool:
    from .values import world_sources  # (values imports addresses; no cycle at import time)

    try:
        for c in cidrs:
            addresses.parse(c)
    except ValueError:
        return False
    return not world_sources(cidrs)
