"""The shared PKI's dynamic resources (ztcKind pki-root / pki-intermediate)."""

from __future__ import annotations

from .. import types as t
from ..findings import expect
from ..values import is_unknown, lookup
from .registry import rule

ROOT = "pki-root"
INTERMEDIATE = "pki-intermediate"


def pki_kind(r) -> str | None:
    if r.type != t.DYNAMIC:
        return None
    kind = lookup(r.props, "ztcKind")
    return kind if isinstance(kind, str) else None


@rule("ZT-MTLS-SHARED-ROOT", "pki", t.DYNAMIC, summary="PKI resources name their root")
def pki_fields(r, cfg):
    kind = pki_kind(r)
    c = "ZT-MTLS-SHARED-ROOT"
    if kind not in (ROOT, INTERMEDIATE):
        return []
    out = expect(r.props, "trustDomain", lambda v: bool(v), control=c,
                 why=f"{kind} trustDomain is {{value}}")
    if kind == INTERMEDIATE:
        # Unknown at a first preview (the root is created in the same run): the stack rule
        # then proves the chain through the property's dependency on the root instead.
        fp = lookup(r.props, "rootFingerprintSha256")
        if not is_unknown(fp):
            out += expect(r.props, "rootFingerprintSha256",
                          lambda v: isinstance(v, str) and len(v) >= 32, control=c,
                          why="pki-intermediate rootFingerprintSha256 is {value}")
        out += expect(r.props, "clusterName", lambda v: bool(v), control=c,
                      why="pki-intermediate clusterName is {value}")
    return out
