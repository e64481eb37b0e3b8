"""okta_client_from_env: SSWS API token, or an OAuth 2.0 service app with private_key_jwt."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ssoprov.errors import ApiError
from ssoprov.okta.okta_client import OktaConfigError, okta_client_from_env
from tests.okta.conftest import FAST_POLICY, OktaSandbox

SERVICE_APP = "0oaServiceApp0000001"


def test_an_api_token_makes_an_ssws_client_that_keeps_the_token_out_of_repr(
    okta_sandbox: OktaSandbox,
) -> None:
    client = okta_client_from_env(
        {"OKTA_ORG_URL": okta_sandbox.url + "/", "OKTA_API_TOKEN": okta_sandbox.token}, policy=FAST_POLICY
    )
    assert repr(client) == f"OktaClient('{okta_sandbox.url}/', mode=SSWS)"
    assert okta_sandbox.token not in repr(client)
    assert asyncio.run(client.find_group_by_name("Admins")).name == "Admins"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "OKTA_ORG_URL is not set"),
        ({"OKTA_ORG_URL": "https://acme.okta.com"}, "set OKTA_API_TOKEN"),
        ({"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_CLIENT_ID": SERVICE_APP}, "OKTA_PRIVATE_KEY_FILE"),
        ({"OKTA_ORG_URL": "http://acme.okta.com", "OKTA_API_TOKEN": "00x"}, "must be https://"),
        (
            {
                "OKTA_ORG_URL": "https://acme.okta.com",
                "OKTA_CLIENT_ID": "x",
                "OKTA_PRIVATE_KEY_FILE": "/nonexistent",
            },
            "reading OKTA_PRIVATE_KEY_FILE /nonexistent",
        ),
    ],
)
def test_unusable_settings_say_what_to_set(environ: dict, message: str) -> None:
    with pytest.raises(OktaConfigError, match=message):
        okta_client_from_env(environ)


def test_a_service_app_with_private_key_jwt_gets_bearer_tokens(
    okta_sandbox: OktaSandbox, service_key: tuple[str, str], tmp_path: Path
) -> None:
    private, public = service_key
    okta_sandbox.stand_in.auth.register_service_app(
        SERVICE_APP, public, {"okta.apps.manage", "okta.groups.read", "okta.users.read"}
    )
    key_file = tmp_path / "service-app.pem"
    key_file.write_text(private)
    client = okta_client_from_env(
        {
            "OKTA_ORG_URL": okta_sandbox.url,
            "OKTA_CLIENT_ID": SERVICE_APP,
            "OKTA_PRIVATE_KEY_FILE": str(key_file),
        },
        policy=FAST_POLICY,
    )
    assert repr(client) == f"OktaClient('{okta_sandbox.url}', mode=PrivateKey)"

    async def scenario() -> None:
        app = await client.create_oidc_web_app("Via OAuth", ["https://broker.example/cb"])
        group = await client.find_group_by_name("Engineering")
        await client.assign_group(app.id, group.id, group_name=group.name)
        with pytest.raises(OktaConfigError, match="SSWS API tokens only; set OKTA_API_TOKEN"):
            await client.set_groups_claim(app.id, "groups", "regex", ".*")
        await client.deactivate_and_delete_app(app.id)

    asyncio.run(scenario())
    assert set(okta_sandbox.stand_in.auth.header_forms) == {"Bearer <token>"}


def test_a_scope_the_service_app_was_not_granted_is_refused(
    okta_sandbox: OktaSandbox, service_key: tuple[str, str]
) -> None:
    private, public = service_key
    okta_sandbox.stand_in.auth.register_service_app(SERVICE_APP, public, {"okta.groups.read"})
    client = okta_client_from_env(
        {
            "OKTA_ORG_URL": okta_sandbox.url,
            "OKTA_CLIENT_ID": SERVICE_APP,
            "OKTA_PRIVATE_KEY": private,
            "OKTA_SCOPES": "okta.groups.read,okta.apps.manage",
        },
        policy=FAST_POLICY,
    )
    with pytest.raises(ApiError, match=r"finding the Okta group named 'Sales': HTTP 400 invalid_scope"):
        asyncio.run(client.find_group_by_name("Sales"))
