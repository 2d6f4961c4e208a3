"""The one explicit aws.Provider every child of an EksCluster goes through."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.spec import ClusterSpec


def make_provider(parent: pulumi.Resource, name: str, cluster: ClusterSpec) -> aws.Provider:
    """The cluster's provider: its region, and its account via the assumed role."""
    return regional_provider(
        parent,
        name,
        region=cluster.region,
        role_arn=cluster.settings.account_role_arn if cluster.settings else None,
        tags={"ztc:cluster": name, **cluster.labels},
    )


def regional_provider(
    parent: pulumi.Resource,
    name: str,
    *,
    region: str,
    role_arn: str | None,
    tags: dict[str, str],
) -> aws.Provider:
    """Pin region (and account, via the assumed role) so no ambient CLI default is used."""
    assume_roles = None
    allowed_account_ids = None
    if role_arn:
        assume_roles = [aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=f"ztc-{name}")]
        # Refuse to touch any other account, even if the role's trust is misconfigured.
        allowed_account_ids = [role_arn.split(":")[4]]
    return aws.Provider(
        f"{name}-aws",
        aws.ProviderArgs(
            region=region,
            assume_roles=assume_roles,
            allowed_account_ids=allowed_account_ids,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={"ztc:managed-by": "zero-trust-clusters", **tags}
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
