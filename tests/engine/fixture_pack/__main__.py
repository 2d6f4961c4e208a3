"""A tiny policy pack for the engine tests: buckets must be versioned (mandatory)."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)


def _versioned(args, report_violation):
    if args.resource_type == "aws:s3/bucket:Bucket" and not args.props.get("forceDestroy") is False:
        report_violation("FIXTURE-VERSIONED: bucket must set forceDestroy=false")


def _stack_has_bucket(args, report_violation):
    if not any(r.resource_type == "aws:s3/bucket:Bucket" for r in args.resources):
        report_violation("FIXTURE-STACK: the stack has no bucket")


PolicyPack(
    name="fixture-pack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name="fixture-versioned", description="buckets keep data",
                                 validate=_versioned),
        StackValidationPolicy(name="fixture-stack", description="a bucket exists",
                              validate=_stack_has_bucket),
    ],
)
