"""A policy pack whose policies do nothing: the baseline of `ztc bench policy`.

It has as many resource and stack policies as the zero-trust pack (a test keeps the counts
equal), all mandatory, so the SDK does the same per-policy work (deserializing every resource's
properties for each policy) and only the policies' own work differs.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

RESOURCE_POLICIES = 20
STACK_POLICIES = 18


def _nothing(_args: ResourceValidationArgs | StackValidationArgs,
             _report: ReportViolation) -> None:
    return None


PolicyPack(
    name="noop",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name=f"noop-resource-{i}", description="does nothing",
                                       validate=_nothing) for i in range(RESOURCE_POLICIES)]
    + [StackValidationPolicy(name=f"noop-stack-{i}", description="does nothing",
                             validate=_nothing) for i in range(STACK_POLICIES)],
)
