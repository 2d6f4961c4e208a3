"""A small program for the engine tests: a provider, a component, a dynamic resource, a secret."""

import pulumi
import pulumi_aws as aws
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class TokenProvider(ResourceProvider):
    def create(self, props):
        # Numbers cross gRPC as doubles, as they do for a real dynamic provider.
        length = int(props["length"])
        return CreateResult(f"token-{length}", {"token": "t" * length})


class Token(Resource):
    token: pulumi.Output[str]

    def __init__(self, name: str, length: int, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TokenProvider(), name, {"length": length, "token": None}, opts)


class Storage(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("fixture:index:Storage", name, None, opts)
        config = pulumi.Config("fixture")  # not the project namespace: the spec owns that
        provider = aws.Provider(f"{name}-aws", region="eu-west-1", opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.token = Token(f"{name}-token", 8, pulumi.ResourceOptions(parent=self))
        self.key = aws.kms.Key(f"{name}-key", description=self.token.token, enable_key_rotation=True, opts=child)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=config.get_bool("forceDestroy") or False,
            tags={"password": pulumi.Output.secret("hunter2")},
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.key]),
        )
        self.register_outputs({"bucket": self.bucket.bucket})


if pulumi.Config("fixture").get_bool("fail"):
    raise RuntimeError("fixture program failed on purpose")
storage = Storage("store")
pulumi.export("token", pulumi.Output.secret(storage.token.token))
