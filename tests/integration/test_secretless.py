"""Secretless organizations (`clientAuthentication.method: privateKeyJwt`) end to end: `pulumi up`,
a real sign-in through Keycloak, which authenticates at the IdP's token endpoint with a client
assertion signed by the realm's key, the mapped roles granted, and no client secret anywhere."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.okta.store import GroupsClaim
from ssoprov.okta.okta_client import okta_client_from_env
from ssoprov.verify_login import LoginReport, verify_login
from tests.integration.keycloak_view import connection_view
from tests.integration.organizations import (
    entra_organization,
    generic_oidc_organization,
    okta_organization,
    stack_config,
)
from tests.integration.signin_loop import signing_in
from tests.sandbox.signin_flow import okta_web_app
from tests.support.projects import StackProject

SECRETLESS = {"clientAuthentication": {"method": "privateKeyJwt"}}


def sign_in(sandbox: LocalSandbox, realm: str, alias: str, login: str) -> LoginReport:
    return verify_login(sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)


def assert_no_secret_anywhere(sandbox: LocalSandbox, realm: str, alias: str, project: StackProject) -> None:
    """Keycloak holds no client secret for the connection, and neither the stack's state nor its
    outputs hold one (the only secret in state is Pulumi's own pickled dynamic provider)."""
    provider = connection_view(sandbox, realm, alias).provider
    assert provider["config"]["clientAuthMethod"] == "private_key_jwt"
    assert "clientSecret" not in provider["config"], provider["config"]
    outputs = project.stack.outputs()
    assert not [name for name, output in outputs.items() if output.secret], outputs
    assert "secretExpiresAt" not in outputs and "secretRotateBy" not in outputs  # no secret to expire
    resources: list[dict[str, Any]] = project.stack.export_stack().deployment["resources"]
    assert not [r["urn"] for r in resources if "Secret" in r["type"]]
    for resource in resources:
        held = {**resource.get("inputs", {}), **resource.get("outputs", {})}
        secret_values = [
            key for key, value in held.items() if key != "__provider" and "ciphertext" in json.dumps(value)
        ]
        assert not secret_values, (resource["urn"], secret_values)
        assert not {"client_secret", "clientSecret"} & set(held), resource["urn"]


def test_an_entra_organization_signs_in_with_the_broker_s_key_and_holds_no_secret(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    organization = {**entra_organization(sandbox, realm), **SECRETLESS}
    project = stack_project("acme", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)

    alice = sign_in(sandbox, realm, "acme", "alice@contoso.example")

    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)
    app = sandbox.graph.store.get_application_by_app_id(project.stack.outputs()["clientId"].value)
    assert app["passwordCredentials"] == [] and len(app["keyCredentials"]) == 1
    assert_no_secret_anywhere(sandbox, realm, "acme", project)
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


def test_an_okta_organization_signs_in_with_the_broker_s_key_and_holds_no_secret(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    organization = {**okta_organization(sandbox, realm), **SECRETLESS}
    project = stack_project("globex", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)

    alice = sign_in(sandbox, realm, "globex", "alice@acme.example")

    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)
    store = sandbox.okta.store
    [app] = [a for a in store.apps() if a.client_id == project.stack.outputs()["clientId"].value]
    assert app.token_endpoint_auth_method == "private_key_jwt"
    assert store.secrets(app.id) == [] and [k.status for k in store.jwks(app.id)] == ["ACTIVE"]
    assert_no_secret_anywhere(sandbox, realm, "globex", project)
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


def test_a_generic_oidc_organization_hands_over_the_broker_s_key_instead_of_taking_a_secret(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    """The customer's IT team made a private_key_jwt client at their provider (the Okta stand-in);
    `up` needs no secret and outputs the broker's key; sign-ins work once they register it."""
    alias = "initech"
    redirect_uri = f"{sandbox.keycloak_url}/realms/{realm}/broker/{alias}/endpoint"
    claim = GroupsClaim("GROUPS", "REGEX", "ORG_URL", "groups", ".*")
    store = sandbox.okta.store
    client_id, _ = okta_web_app(
        store, redirect_uri, ["Engineering"], claim=claim, auth_method="private_key_jwt"
    )
    organization = {
        **generic_oidc_organization(sandbox, realm, client_id, alias),
        "roleMappings": [{"group": "Engineering", "role": "developer"}],
        "defaultRole": "member",
        **SECRETLESS,
    }
    project = stack_project(alias, stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    outputs = project.stack.outputs()
    handed_over = outputs["brokerKey"].value

    assert handed_over["jwksUrl"] == f"{sandbox.keycloak_url}/realms/{realm}/protocol/openid-connect/certs"
    published = httpx.get(handed_over["jwksUrl"]).json()["keys"]
    assert handed_over["jwk"] in [{k: key[k] for k in handed_over["jwk"]} for key in published]
    assert handed_over["certificatePem"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert any(f"client {client_id} for private_key_jwt" in step for step in outputs["manualSteps"].value)
    not_yet = sign_in(sandbox, realm, alias, "alice@acme.example")
    assert not not_yet.signed_in, "the provider cannot have trusted a key nobody registered"

    [app] = [a for a in store.apps() if a.client_id == client_id]
    okta = okta_client_from_env(sandbox.engine_env(), org_url=sandbox.okta_url)
    asyncio.run(okta.add_jwk(app.id, handed_over["jwk"]))  # what the customer's IT team does
    alice = sign_in(sandbox, realm, alias, "alice@acme.example")

    assert alice.signed_in, alice.detail
    assert "developer" in alice.roles
    assert_no_secret_anywhere(sandbox, realm, alias, project)
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


def test_switching_an_entra_organization_to_the_key_and_back_fails_no_sign_in(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    """Each way, the new credential exists and the IdP trusts it before Keycloak switches to it,
    and the old one is removed only after (the engine's delete phase)."""
    organization = entra_organization(sandbox, realm)
    project = stack_project("acme", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    client_id = project.stack.outputs()["clientId"].value

    with signing_in(sandbox.keycloak_url, realm, "acme", "alice@contoso.example") as results:
        project.write_config(stack_config({**organization, **SECRETLESS}))
        project.stack.up(show_secrets=False)
        switched = len(results)
        project.write_config(stack_config(organization))
        project.stack.up(show_secrets=False)

    assert switched and len(results) > switched, "no sign-in ran during a switch"
    assert all(r.signed_in for r in results), [r.detail for r in results if not r.signed_in]
    app = sandbox.graph.store.get_application_by_app_id(client_id)
    assert len(app["passwordCredentials"]) == 1 and app["keyCredentials"] == []
    config = connection_view(sandbox, realm, "acme").provider["config"]
    assert config["clientAuthMethod"] == "client_secret_basic" and config["clientSecret"] == "**********"
    assert "jwtX509HeadersEnabled" not in config
