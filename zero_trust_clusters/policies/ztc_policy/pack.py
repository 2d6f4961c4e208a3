"""The policies of the pack: one resource policy per control, plus the stack policies."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import exemptions
from .catalog import BY_ID, CONTROLS
from .config import problems, schema_properties, settings
from .findings import Finding, Status, fail
from .rules import RULES, Resource
from .rules.registry import cannot_judge, judge
from .serve import memo
from .stack import node_roles
from .stack import rules as stack_rules
from .stack.graph import Node, Ownership, nodes_from_policy_resources
from .stack.posture import Posture, evaluate
from .values import forget_reads, raw

Validate = Callable[[Any, ReportViolation], None]


def _never_raises(control: str | None, validate: Validate) -> Validate:
    """Whatever a request holds, the policy answers with violations, never a gRPC error: an
    exception escaping the checks becomes a violation naming the field being read."""

    def guarded(args: Any, report: ReportViolation) -> None:
        forget_reads()
        try:
            validate(args, report)
        except Exception as error:  # noqa: BLE001 - the input is untrusted
            report(cannot_judge(control, error).wire, None)

    return guarded


def _config(policy: str, args: Any, control: str | None,
            report: ReportViolation) -> dict[str, Any]:
    """The policy's settings; each value that does not fit its schema is a violation."""
    given = args.get_config()
    for problem in problems(policy, given):
        report(fail(control, problem).wire, None)
    return settings(policy, given)


def _props(args: ResourceValidationArgs) -> dict[str, Any]:
    """The resource's plain properties, unwrapped once per Analyze call (serve.memo)."""
    shared = memo()
    if shared is None:
        return raw(args.props)
    if "props" not in shared:
        shared["props"] = raw(args.props)
    return shared["props"]

PACK_NAME = "zero-trust-clusters"


def _resource_policy(control: str) -> ResourceValidationPolicy:
    meta = BY_ID[control]
    types = {ty for r in RULES if r.control == control for ty in r.types}

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        cfg = _config(control, args, control, report)
        res = Resource(args.resource_type, args.name, args.urn, _props(args))
        # Unknown values go to the not-verifiable policy (its own enforcement level).
        found = [f for f in judge(res, control, cfg) if f.status == Status.FAIL]
        names = {args.urn, args.name}
        for f in exemptions.apply(found, cfg, control, lambda _u: names, control):
            report(f.wire, None)

    notes = "; ".join(f"{cloud}: {note}" for cloud, note in meta.notes.items())
    return ResourceValidationPolicy(
        name=control,
        description=f"[{control}] {meta.title} [{meta.principle}]",
        validate=_never_raises(control, validate),
        config_schema=PolicyConfigSchema(properties=schema_properties(control)),
        severity=Severity.HIGH,
        tags=["zero-trust", *sorted({r.cloud for r in RULES if r.control == control})],
        remediation_steps=notes,
    )


UNVERIFIABLE_POLICY = "not-verifiable-at-preview"
# Policies spanning controls: each finding names its control (its trailer, findings.py).
MULTI_CONTROL_POLICIES = ("posture-evidence", "posture-parity", UNVERIFIABLE_POLICY,
                          "phase-elsewhere")


def _unverifiable_policy() -> ResourceValidationPolicy:
    """Every value a control depends on that is still unknown: mandatory unless configured.

    The SDK would turn an unknown into an advisory and pass the control (fail-open); the rules
    catch unknowns first and report them here, naming the control. Lowering this policy to
    advisory lets a first deployment through while the matrix shows the cells not verifiable.
    """
    by_type: dict[str, set[str]] = {}
    for r in RULES:
        for ty in r.types:
            by_type.setdefault(ty, set()).add(r.control)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        controls = by_type.get(args.resource_type)
        if not controls:
            return
        cfg = _config(UNVERIFIABLE_POLICY, args, None, report)
        res = Resource(args.resource_type, args.name, args.urn, _props(args))
        found = [f for c in sorted(controls) for f in judge(res, c, {**settings(c, None), **cfg})
                 if f.status == Status.UNVERIFIABLE]
        names = {args.urn, args.name}
        for f in exemptions.apply(found, cfg, UNVERIFIABLE_POLICY, lambda _u: names):
            report(f.wire, None)

    return ResourceValidationPolicy(
        name=UNVERIFIABLE_POLICY,
        description="A value a zero-trust control depends on is unknown at preview, so the "
                    "control could not be verified",
        validate=_never_raises(None, validate),
        config_schema=PolicyConfigSchema(properties=schema_properties(UNVERIFIABLE_POLICY)),
        severity=Severity.HIGH, tags=["zero-trust", "preview"],
    )


StackCheck = Callable[[Posture, Mapping[str, Any]], list[Finding]]

STACK_POLICIES: list[tuple[str, str, str | None, StackCheck]] = [
    ("ZT-CHANGE-LEDGER-worm", ("[ZT-CHANGE-LEDGER] A change-ledger store in the stack is "
     "write-once for the posture's retention (S3 Object Lock COMPLIANCE, a Locked Azure "
     "immutability policy, a locked GCS retention policy)"), "ZT-CHANGE-LEDGER",
     stack_rules.ledger_worm),
    ("ZT-CHANGE-LEDGER-in-stack", ("[ZT-CHANGE-LEDGER] The change ledger's store is part of "
     "the stack (advisory: otherwise verify it with ztc ledger verify)"), "ZT-CHANGE-LEDGER",
     stack_rules.ledger_in_stack),
    ("posture-evidence", "Every cluster has resources implementing every required control",
     None, stack_rules.posture_evidence),
    ("posture-parity", "Every cluster holds the same controls, whatever its cloud",
     None, stack_rules.posture_parity),
    ("ZT-SANDBOX-every-cluster", ("[ZT-SANDBOX] Every cluster has a VM-sandbox pool and the "
     "common RuntimeClass"), "ZT-SANDBOX", stack_rules.sandbox_everywhere),
    ("ZT-MTLS-SHARED-ROOT-one-root", ("[ZT-MTLS-SHARED-ROOT] Every cluster's intermediate "
     "chains to the one shared root"), "ZT-MTLS-SHARED-ROOT", stack_rules.one_root),
    ("ZT-NETPOL-DEFAULT-DENY-every-namespace", ("[ZT-NETPOL-DEFAULT-DENY] Every workload "
     "namespace has a default-deny NetworkPolicy"), "ZT-NETPOL-DEFAULT-DENY",
     stack_rules.namespaces_default_deny),
    ("ZT-MTLS-SHARED-ROOT-mesh-enforced", ("[ZT-MTLS-SHARED-ROOT] Every workload namespace is "
     "in the mesh, STRICT, deny-by-default, and allows exactly its declared callers by SPIFFE "
     "principal"), "ZT-MTLS-SHARED-ROOT", stack_rules.mesh_enforced),
    ("ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh", ("[ZT-MTLS-SHARED-ROOT] Sandboxed pods cannot "
     "join the mesh: an admission policy keeps them in sandboxed namespaces, behind their "
     "meshed sandbox gateway (advisory where none does)"),
     "ZT-MTLS-SHARED-ROOT", stack_rules.sandbox_outside_mesh),
    ("phase-elsewhere", ("A cluster's other phase (cloud resources or in-cluster objects) is "
     "checked in its own stack (advisory)"), None, stack_rules.phase_elsewhere),
    ("ZT-NET-SEGMENT-no-world-to-clusters", ("[ZT-NET-SEGMENT] No SG, NSG or firewall rule "
     "admits 0.0.0.0/0 or ::/0 to a cluster's nodes or control plane"), "ZT-NET-SEGMENT",
     stack_rules.no_world_to_clusters),
    ("ZT-AUDIT-IMMUTABLE-chain", ("[ZT-AUDIT-IMMUTABLE] Every cluster's audit logs reach a "
     "locked sink through every link (EKS log group -> subscription -> Firehose -> Object Lock "
     "bucket; AKS diagnostic setting -> immutable storage account; GKE sink -> locked bucket), "
     "each retention at least minRetentionDays"), "ZT-AUDIT-IMMUTABLE", stack_rules.audit_chain),
    ("ZT-AUDIT-IMMUTABLE-lock-pending", ("[ZT-AUDIT-IMMUTABLE] An Azure immutability policy on "
     "the audit chain is Unlocked and nothing in the stack locks it (advisory: ARM creates it "
     "so; our components lock it in the same deployment)"), "ZT-AUDIT-IMMUTABLE", stack_rules.audit_lock_pending),
    ("ZT-IAM-ONLY-no-insecure-bindings", ("[ZT-IAM-ONLY] No cluster setting re-enables RBAC "
     "bindings to system:anonymous, system:unauthenticated or system:authenticated"),
     "ZT-IAM-ONLY", stack_rules.insecure_binding_settings),
    ("ZT-IMAGE-PROVENANCE-admission-effect", ("[ZT-IMAGE-PROVENANCE] Admission really covers "
     "every workload namespace and denies unmatched and unattested images"),
     "ZT-IMAGE-PROVENANCE", stack_rules.admission_effect),
    ("ZT-SANDBOX-scheduling", ("[ZT-SANDBOX] The sandbox RuntimeClass schedules only onto "
     "pools that run the VM sandbox"), "ZT-SANDBOX", stack_rules.sandbox_scheduling),
    ("ZT-NODE-IDENTITY-node-role-policies", ("[ZT-NODE-IDENTITY] A role EC2 nodes assume holds "
     "only the worker managed policies (config nodeRolePolicies)"), "ZT-NODE-IDENTITY",
     node_roles.node_role_policies),
]


# Policies that only inform by default (everything else is mandatory).
ADVISORY_POLICIES = {"ZT-CHANGE-LEDGER-in-stack": EnforcementLevel.ADVISORY,
                     "ZT-MTLS-SHARED-ROOT-sandbox-outside-mesh": EnforcementLevel.ADVISORY,
                     "phase-elsewhere": EnforcementLevel.ADVISORY,
                     "ZT-AUDIT-IMMUTABLE-lock-pending": EnforcementLevel.ADVISORY}


def _graph(args: StackValidationArgs) -> tuple[list[Node], Ownership]:
    """The stack's nodes and ownership, built once per AnalyzeStack call (serve.memo)."""
    shared = memo()
    if shared is not None and "graph" in shared:
        return shared["graph"]
    nodes = nodes_from_policy_resources(args.resources)
    graph = (nodes, Ownership(nodes))
    if shared is not None:
        shared["graph"] = graph
    return graph


def _posture(args: StackValidationArgs, control: str | None,
             cfg: Mapping[str, Any]) -> Posture:
    """evaluate() of the stack, once per call and distinct control setting: the stack policies
    of one AnalyzeStack call with default settings share one posture."""
    nodes, own = _graph(args)
    tuned = {k: v for k, v in cfg.items() if k != "exemptions"}
    if control is None or tuned == {k: v for k, v in settings(control, None).items()
                                    if k != "exemptions"}:
        key, configs = "posture", None
    else:
        key, configs = f"posture {control} {json.dumps(tuned, sort_keys=True, default=repr)}", \
            {control: tuned}
    shared = memo()
    if shared is not None and key in shared:
        return shared[key]
    posture = evaluate(nodes, configs, own)
    if shared is not None:
        shared[key] = posture
    return posture


def _stack_policy(name: str, description: str, control: str | None,
                  check: StackCheck) -> StackValidationPolicy:
    schema_key = control if control else name

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        cfg = _config(schema_key, args, control, report)
        posture = _posture(args, control, cfg)
        own = posture.ownership

        def names(urn: str | None) -> set[str]:
            node = own.by_urn.get(urn or "")
            return {x for x in (urn, node.name if node else None, own.name_of(urn)) if x}

        for f in exemptions.apply(check(posture, cfg), cfg, name, names, control):
            report(f.wire, f.urn)

    props = schema_properties(schema_key)
    return StackValidationPolicy(
        name=name, description=description, validate=_never_raises(control, validate),
        enforcement_level=ADVISORY_POLICIES.get(name),
        config_schema=PolicyConfigSchema(properties=props), severity=Severity.HIGH,
        tags=["zero-trust", "stack"],
    )


def all_policies() -> list[Policy]:
    return [_resource_policy(c.id) for c in CONTROLS] + [_unverifiable_policy()] + [
        _stack_policy(*p) for p in STACK_POLICIES]


PACK_KWARGS: dict[str, Any] = {
    "name": PACK_NAME,
    "enforcement_level": EnforcementLevel.MANDATORY,
    "description": "Zero-trust posture for EKS, AKS and GKE, per cloud and across clouds",
    "display_name": "Zero-Trust Clusters",
    "tags": ["zero-trust", "kubernetes", "aws", "azure", "gcp"],
}
