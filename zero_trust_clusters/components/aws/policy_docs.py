"""IAM policy documents rendered by the provider's getPolicyDocument (typed, never raw JSON)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.context import AwsContext

Statement = aws.iam.GetPolicyDocumentStatementArgs
Principal = aws.iam.GetPolicyDocumentStatementPrincipalArgs
Condition = aws.iam.GetPolicyDocumentStatementConditionArgs


def document(ctx: AwsContext, statements: Sequence[Statement]) -> pulumi.Output[str]:
    return aws.iam.get_policy_document_output(
        statements=list(statements), opts=ctx.invoke_opts()
    ).json


def service_trust(ctx: AwsContext, service: str, *, tag_session: bool = False,
                  conditions: Sequence[Condition] = ()) -> pulumi.Output[str]:
    """A trust policy letting one AWS service principal assume the role."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else ["sts:AssumeRole"]
    return document(ctx, [
        Statement(
            effect="Allow",
            actions=actions,
            principals=[Principal(type="Service", identifiers=[service])],
            conditions=list(conditions) or None,
        )
    ])


def same_account(ctx: AwsContext) -> Condition:
    """Confused-deputy guard: only calls on behalf of this account."""
    return Condition(test="StringEquals", variable="aws:SourceAccount", values=[ctx.account_id])
