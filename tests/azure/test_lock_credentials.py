"""The immutability lock signs in as azure-native does: the stack's `azure-native:*` config, else
the ARM_* environment, else DefaultAzureCredential; `environment` picks the cloud's ARM endpoint
and authority. Nothing here calls Entra ID: the credentials are only built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from azure.identity import (
    ClientAssertionCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
)

from zero_trust_clusters.components.azure.immutability_lock import (
    AccountImmutabilityLockProvider,
    ImmutabilityLockError,
    credential_and_endpoint,
)

TENANT = "00000000-0000-0000-0000-0000000000aa"
CLIENT = "00000000-0000-0000-0000-0000000000bb"
SP_ENV = {"ARM_TENANT_ID": TENANT, "ARM_CLIENT_ID": CLIENT}


@dataclass
class Built:
    kind: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@pytest.fixture
def built(monkeypatch) -> list[Built]:
    """Records which azure-identity credential is built, and with what (no sign-in happens)."""
    import azure.identity

    seen: list[Built] = []
    for kind in ("CertificateCredential", "ClientAssertionCredential", "ClientSecretCredential",
                 "DefaultAzureCredential", "ManagedIdentityCredential"):
        def make(*args: Any, _kind: str = kind, **kwargs: Any) -> Built:
            seen.append(Built(_kind, args, kwargs))
            return seen[-1]
        monkeypatch.setattr(azure.identity, kind, make)
    return seen


def test_client_secret_from_the_arm_environment(built):
    credential, endpoint = credential_and_endpoint({}, {**SP_ENV, "ARM_CLIENT_SECRET": "s3cret"})
    assert credential == Built("ClientSecretCredential", (TENANT, CLIENT, "s3cret"),
                               {"authority": "login.microsoftonline.com"})
    assert endpoint.base_url == "https://management.azure.com/"


def test_stack_config_wins_over_the_environment(built):
    settings = {"tenantId": TENANT, "clientId": CLIENT, "clientSecret": "from-config"}
    credential, _ = credential_and_endpoint(settings, {"ARM_TENANT_ID": "other",
                                                       "ARM_CLIENT_ID": "other",
                                                       "ARM_CLIENT_SECRET": "other"})
    assert credential.args == (TENANT, CLIENT, "from-config")


def test_a_client_secret_without_tenant_names_the_setting():
    with pytest.raises(ImmutabilityLockError, match="azure-native:tenantId or ARM_TENANT_ID"):
        credential_and_endpoint({}, {"ARM_CLIENT_ID": CLIENT, "ARM_CLIENT_SECRET": "s"})


def test_oidc_token_and_token_file(built, tmp_path):
    env = {**SP_ENV, "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "jwt-from-ci"}
    credential, _ = credential_and_endpoint({}, env)
    assert credential.kind == "ClientAssertionCredential" and credential.args[:2] == (TENANT, CLIENT)
    assert credential.args[2]() == "jwt-from-ci"
    token_file = tmp_path / "token"
    token_file.write_text("jwt-from-file\n")
    credential, _ = credential_and_endpoint(
        {"useOidc": "true", "oidcTokenFilePath": str(token_file)}, SP_ENV)
    assert credential.kind == "ClientAssertionCredential"
    assert credential.args[2]() == "jwt-from-file"  # read at sign-in: a projected token rotates


def test_oidc_without_a_token_fails_loudly():
    with pytest.raises(ImmutabilityLockError, match="ARM_OIDC_TOKEN"):
        credential_and_endpoint({}, {**SP_ENV, "ARM_USE_OIDC": "true"})


def test_managed_identity_system_and_user_assigned(built):
    credential, _ = credential_and_endpoint({}, {"ARM_USE_MSI": "true"})
    assert credential == Built("ManagedIdentityCredential", (), {"client_id": None})
    credential, _ = credential_and_endpoint({"useMsi": "true", "clientId": CLIENT}, {})
    assert credential == Built("ManagedIdentityCredential", (), {"client_id": CLIENT})


def test_client_certificate(built):
    env = {**SP_ENV, "ARM_CLIENT_CERTIFICATE_PATH": "/ci/sp.pfx",
           "ARM_CLIENT_CERTIFICATE_PASSWORD": "pw", "ARM_CLIENT_SECRET": "loses"}
    credential, _ = credential_and_endpoint({}, env)
    assert credential == Built("CertificateCredential", (TENANT, CLIENT), {
        "certificate_path": "/ci/sp.pfx", "password": "pw",
        "authority": "login.microsoftonline.com"})


def test_nothing_configured_falls_back_to_default_credential(built):
    credential, endpoint = credential_and_endpoint({}, {})
    assert credential == Built("DefaultAzureCredential", (),
                               {"authority": "login.microsoftonline.com"})
    assert endpoint.credential_scopes == ("https://management.azure.com/.default",)
    credential, _ = credential_and_endpoint({"useDefaultAzureCredential": "true",
                                             "clientSecret": "ignored"}, SP_ENV)
    assert credential.kind == "DefaultAzureCredential"  # azure-native checks it first


def test_the_real_credentials_accept_these_arguments(tmp_path):
    """Without the recorder: azure-identity takes every keyword built above."""
    env = {**SP_ENV, "ARM_ENVIRONMENT": "usgovernment"}
    assert isinstance(credential_and_endpoint({}, {**env, "ARM_CLIENT_SECRET": "s"})[0],
                      ClientSecretCredential)
    assert isinstance(credential_and_endpoint({}, {**env, "ARM_USE_OIDC": "true",
                                                   "ARM_OIDC_TOKEN": "t"})[0],
                      ClientAssertionCredential)
    assert isinstance(credential_and_endpoint({}, {**env, "ARM_USE_MSI": "true"})[0],
                      ManagedIdentityCredential)
    assert isinstance(credential_and_endpoint({}, env)[0], DefaultAzureCredential)


@pytest.mark.parametrize(("environment", "base_url", "scope", "authority"), [
    ("public", "https://management.azure.com/", "https://management.azure.com/.default",
     "login.microsoftonline.com"),
    ("usgovernment", "https://management.usgovcloudapi.net/",
     "https://management.core.usgovcloudapi.net/.default", "login.microsoftonline.us"),
    ("china", "https://management.chinacloudapi.cn/",
     "https://management.chinacloudapi.cn/.default", "login.chinacloudapi.cn"),
])
def test_environment_selects_endpoint_and_authority(built, environment, base_url, scope,
                                                    authority):
    env = {**SP_ENV, "ARM_CLIENT_SECRET": "s", "ARM_ENVIRONMENT": environment}
    credential, endpoint = credential_and_endpoint({}, env)
    assert endpoint.base_url == base_url and endpoint.credential_scopes == (scope,)
    assert credential.kwargs["authority"] == authority
    # the stack config's spelling wins over the environment's
    _, endpoint = credential_and_endpoint({"environment": environment},
                                          {**env, "ARM_ENVIRONMENT": "public"})
    assert endpoint.base_url == base_url


def test_an_unknown_environment_is_refused():
    with pytest.raises(ImmutabilityLockError, match="ARM_ENVIRONMENT 'germany'"):
        credential_and_endpoint({}, {"ARM_ENVIRONMENT": "germany"})


def test_the_provider_hands_the_settings_to_the_client_and_keeps_them_out_of_outputs():
    seen: list[dict[str, Any]] = []

    class Stop(Exception):
        pass

    def factory(subscription_id: str, settings: Any) -> Any:
        seen.append(dict(settings))
        raise Stop

    props = {"accountId": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/"
             "rg/providers/Microsoft.Storage/storageAccounts/st", "armSettings": {"useMsi": "true"},
             "immutabilityPeriodSinceCreationInDays": 1, "allowProtectedAppendWrites": False}
    with pytest.raises(Stop):
        AccountImmutabilityLockProvider(client_factory=factory).create(props)
    assert seen == [{"useMsi": "true"}]


@pytest.fixture
def stack_config():
    """Sets the stack config for one test and puts the old one back."""
    from pulumi.runtime import config as runtime_config

    old = dict(runtime_config.CONFIG.get())
    yield runtime_config.set_all_config
    runtime_config.set_all_config(old)


def test_the_program_passes_the_stacks_azure_native_settings_with_secrets_kept_secret(
        stack_config):
    import asyncio

    from zero_trust_clusters.components.azure.immutability_lock import stack_arm_settings

    stack_config({"azure-native:clientId": CLIENT, "azure-native:tenantId": TENANT,
                  "azure-native:clientSecret": "s3cret", "azure-native:environment": "china",
                  "azure-native:location": "chinanorth3"})
    async def read() -> tuple[dict[str, Any], bool, str]:
        found = stack_arm_settings()
        secret = found["clientSecret"]
        assert isinstance(secret, pulumi.Output)
        return found, await secret.is_secret(), await secret.future()

    # Not asyncio.run: it leaves the main thread without an event loop, which later tests
    # building Outputs outside a program need.
    loop = asyncio.new_event_loop()
    try:
        settings, is_secret, value = loop.run_until_complete(read())
    finally:
        loop.close()
    assert set(settings) == {"clientId", "tenantId", "clientSecret", "environment"}
    assert settings["clientId"] == CLIENT and settings["environment"] == "china"
    assert is_secret is True and value == "s3cret"
