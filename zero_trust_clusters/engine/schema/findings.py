"""What the schema stage reports: one finding per faulty value, and the stage's report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

# Which check produced a finding (one per module of this package).
CHECKS = ("sdk", "kubernetes", "crd", "helm", "aws-model", "policy-document", "api-rule")
VALUE_LIMIT = 120


def show(value: Any) -> str:
    """A short, printable form of a (masked) property value."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


@dataclass(frozen=True, order=True)
class Finding:
    """One input the provider (or the API behind it) would reject."""

    urn: str
    path: str  # wire (camelCase) property path: `securityRules[1].sourceAddressPrefixes[0]`
    value: str  # printable, masked (`[secret]`, `[unknown]` never carry a value)
    expected: str  # what the provider or API expects, in words
    source: str  # where that expectation comes from: SDK class, schema file, doc URL
    check: str  # one of CHECKS

    @property
    def resource(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def line(self) -> str:
        return (
            f"{self.urn} {self.path or '(resource)'} = {self.value}: expected {self.expected} "
            f"[{self.check}: {self.source}]"
        )

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class SchemaReport:
    """The stage's result: every finding, how many resources it checked, how long it took."""

    findings: list[Finding] = field(default_factory=list)
    resources_checked: int = 0
    seconds: float = 0.0
    # Resources of a type no check knows (reported, never silently passed as clean).
    unchecked_types: list[str] = field(default_factory=list)
    # A first preview (computed outputs unknown): required-input checks were off.
    first_preview: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings

    def by_check(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.check] = counts.get(finding.check, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "resourcesChecked": self.resources_checked,
            "seconds": round(self.seconds, 3),
            "uncheckedTypes": self.unchecked_types,
            "firstPreview": self.first_preview,
            "findings": [f.to_json() for f in self.findings],
        }
