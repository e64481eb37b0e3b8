"""The broker authenticates at the IdP's token endpoint the way the IdP app is registered: real
sign-ins through Keycloak, with the stand-in refusing any other method as Okta does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pulumi import automation as auto

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.okta.edge import TOKEN_PATH
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.verify_login import LoginReport, verify_login
from tests.integration.keycloak_view import connection_view
from tests.integration.organizations import generic_oidc_organization, okta_organization, stack_config
from tests.sandbox.signin_flow import okta_web_app
from tests.support.projects import StackProject


def sign_in(sandbox: LocalSandbox, realm: str, alias: str) -> LoginReport:
    return verify_login(
        sandbox.keycloak_url, realm, alias, login="alice@acme.example", password=SANDBOX_USER_PASSWORD
    )


def refused_token_requests(sandbox: LocalSandbox) -> int:
    return sum(1 for call in sandbox.okta.calls.all() if call.path == TOKEN_PATH and call.status == 401)


def client_auth_method(sandbox: LocalSandbox, realm: str, alias: str) -> str:
    return connection_view(sandbox, realm, alias).provider["config"]["clientAuthMethod"]


def set_client_auth_method(sandbox: LocalSandbox, realm: str, alias: str, method: str) -> None:
    """What an admin editing the identity provider in Keycloak's console does."""

    async def edit() -> None:
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
            provider = await admin.get_identity_provider(realm, alias)
            provider["config"]["clientAuthMethod"] = method  # the masked secret keeps the stored one
            await admin.update_identity_provider(realm, alias, provider)

    asyncio.run(edit())


def test_keycloak_authenticates_as_the_okta_app_is_registered_and_a_mismatch_is_refused(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    config = stack_config(okta_organization(sandbox, realm))
    project = stack_project("globex", config, env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    [app] = sandbox.okta.store.apps()
    assert app.token_endpoint_auth_method == "client_secret_basic"
    assert client_auth_method(sandbox, realm, "globex") == app.token_endpoint_auth_method
    matched = sign_in(sandbox, realm, "globex")
    assert matched.signed_in, matched.detail

    set_client_auth_method(sandbox, realm, "globex", "client_secret_post")
    before = refused_token_requests(sandbox)
    mismatched = sign_in(sandbox, realm, "globex")
    assert not mismatched.signed_in
    assert refused_token_requests(sandbox) == before + 1  # Okta's token endpoint said invalid_client

    project.stack.refresh(show_secrets=False)
    assert project.stack.up(show_secrets=False).summary.resource_changes.get("update") == 1
    assert client_auth_method(sandbox, realm, "globex") == "client_secret_basic"
    again = sign_in(sandbox, realm, "globex")
    assert again.signed_in, again.detail


def test_a_generic_provider_client_registered_for_client_secret_post(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    """The provider takes both methods, the client only client_secret_post: without the spec
    saying so the broker uses OpenID Connect's default and is refused; with it, sign-in works."""
    alias = "initech"
    redirect_uri = f"{sandbox.keycloak_url}/realms/{realm}/broker/{alias}/endpoint"
    client_id, secret = okta_web_app(
        sandbox.okta.store, redirect_uri, ["Engineering"], auth_method="client_secret_post"
    )
    organization = generic_oidc_organization(sandbox, realm, client_id, alias)
    project = stack_project(alias, stack_config(organization), env=sandbox.engine_env())
    project.stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(secret, secret=True))
    project.stack.up(show_secrets=False)
    assert client_auth_method(sandbox, realm, alias) == "client_secret_basic"
    assert not sign_in(sandbox, realm, alias).signed_in

    organization["identityProvider"]["tokenEndpointAuthMethod"] = "client_secret_post"
    project.write_config(stack_config(organization))
    project.stack.up(show_secrets=False)
    assert client_auth_method(sandbox, realm, alias) == "client_secret_post"
    signed_in = sign_in(sandbox, realm, alias)
    assert signed_in.signed_in, signed_in.detail
