"""KeycloakAdminClient's transport rules, against scripted answers (no server): retries, errors, secrets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ssoprov.brokers.keycloak.client import MASKED_SECRET, KeycloakAdminClient, KeycloakUnreachable
from ssoprov.errors import ApiError, NotFoundError, RetryBudgetExceeded
from ssoprov.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, budget_seconds=5.0, base_delay=0.01, max_delay=0.02)
BASE = "http://127.0.0.1:1"
IDP = "/admin/realms/sso/identity-provider/instances"
Answer = httpx.Response | Exception


class Script:
    """Answers admin calls from a list per (method, path); token requests always succeed."""

    def __init__(self, answers: dict[tuple[str, str], list[Answer]]) -> None:
        self.answers = answers
        self.calls: list[httpx.Request] = []
        self.grants: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/protocol/openid-connect/token"):
            form = dict(httpx.QueryParams(request.content.decode()))
            self.grants.append(form)
            token = f"token-{len(self.grants)}"
            return httpx.Response(
                200,
                json={
                    "access_token": token,
                    "expires_in": 300,
                    "refresh_token": f"refresh-{len(self.grants)}",
                    "refresh_expires_in": 1800,
                },
            )
        self.calls.append(request)
        queue = self.answers[(request.method, request.url.path)]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(script: Callable[[httpx.Request], httpx.Response], body: Callable[[KeycloakAdminClient], Any]) -> Any:
    async def main() -> Any:
        async with KeycloakAdminClient(
            BASE, username="admin", password="admin-pw", policy=FAST, transport=httpx.MockTransport(script)
        ) as client:
            return await body(client)

    return asyncio.run(main())


def test_busy_server_and_refused_connections_are_retried() -> None:
    script = Script(
        {
            ("GET", "/admin/realms/sso/roles"): [
                httpx.ConnectError("Connection refused"),
                httpx.Response(503, json={"error": "unknown_error"}),
                httpx.Response(429, headers={"Retry-After": "0"}),
                httpx.Response(200, json=[{"name": "member"}]),
            ]
        }
    )
    assert run(script, lambda client: client.list_realm_roles("sso")) == [{"name": "member"}]
    assert len(script.calls) == 4


def test_a_create_is_not_repeated_when_it_may_have_happened() -> None:
    script = Script({("POST", f"{IDP}/acme/mappers"): [httpx.Response(500, json={"errorMessage": "boom"})]})
    mapper = {
        "name": "m",
        "identityProviderMapper": "oidc-hardcoded-role-idp-mapper",
        "config": {"role": "x"},
    }
    with pytest.raises(ApiError) as failed:
        run(script, lambda client: client.create_mapper("sso", "acme", mapper))
    assert len(script.calls) == 1
    assert str(failed.value) == (
        "Keycloak: creating mapper m of identity provider acme in realm sso: HTTP 500 boom"
    )

    script = Script({("POST", f"{IDP}/acme/mappers"): [httpx.ReadTimeout("timed out")]})
    with pytest.raises(KeycloakUnreachable, match="creating mapper m of identity provider acme"):
        run(script, lambda client: client.create_mapper("sso", "acme", mapper))
    assert len(script.calls) == 1

    created = httpx.Response(201, headers={"Location": f"{BASE}{IDP}/acme/mappers/1234-abcd"})
    script = Script({("POST", f"{IDP}/acme/mappers"): [httpx.Response(503), created]})
    assert run(script, lambda client: client.create_mapper("sso", "acme", mapper)) == "1234-abcd"
    assert len(script.calls) == 2


def test_retries_end_with_the_budget() -> None:
    script = Script({("GET", f"{IDP}/acme"): [httpx.Response(502)]})
    with pytest.raises(
        RetryBudgetExceeded, match="reading identity provider acme in realm sso: still failing"
    ):
        run(script, lambda client: client.get_identity_provider("sso", "acme"))
    assert len(script.calls) == FAST.attempts


def test_not_found_is_final_and_named() -> None:
    script = Script({("DELETE", f"{IDP}/acme"): [httpx.Response(404, json={"error": "HTTP 404 Not Found"})]})
    with pytest.raises(NotFoundError) as missing:
        run(script, lambda client: client.delete_identity_provider("sso", "acme"))
    assert str(missing.value) == (
        "Keycloak: deleting identity provider acme in realm sso: HTTP 404 HTTP 404 Not Found"
    )
    assert len(script.calls) == 1


def test_a_realm_that_does_not_exist_is_named_with_the_fix() -> None:
    script = Script(
        {("POST", "/admin/realms/custmers/roles"): [httpx.Response(404, json={"error": "Realm not found."})]}
    )
    with pytest.raises(NotFoundError) as missing:
        run(script, lambda client: client.create_realm_role("custmers", "member"))
    assert str(missing.value) == (
        "Keycloak: creating realm role member in realm custmers: HTTP 404 realm custmers does not exist on "
        f"{BASE}. Fix: create the realm in Keycloak, or name one that exists "
        "(ssoprov:organization.broker.realm and broker.url in a stack file; --realm and --keycloak-url for "
        "ssoprov adopt)"
    )


def test_an_admin_realm_that_does_not_exist_names_keycloak_auth_realm() -> None:
    def no_such_realm(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "Realm does not exist"})

    with pytest.raises(NotFoundError) as missing:
        run(no_such_realm, lambda client: client.list_realm_roles("sso"))
    assert str(missing.value).endswith(
        f"HTTP 404 realm master does not exist on {BASE}. Fix: set KEYCLOAK_AUTH_REALM to the realm the "
        "admin credentials belong to (unset: master)"
    )


def test_update_sends_the_mask_unless_a_new_secret_is_given() -> None:
    script = Script({("PUT", f"{IDP}/acme"): [httpx.Response(204)]})
    provider = {"alias": "acme", "providerId": "oidc", "config": {"clientId": "c", "clientSecret": ""}}
    run(script, lambda client: client.update_identity_provider("sso", "acme", provider))
    run(script, lambda client: client.update_identity_provider("sso", "acme", {"providerId": "oidc"}))
    rotated = {"alias": "acme", "providerId": "oidc", "config": {"clientSecret": "new-secret"}}
    run(script, lambda client: client.update_identity_provider("sso", "acme", rotated))
    sent = [json.loads(call.content)["config"].get("clientSecret") for call in script.calls]
    assert sent == [MASKED_SECRET, MASKED_SECRET, "new-secret"]
    assert provider["config"]["clientSecret"] == ""  # the caller's dict is left alone


def test_create_never_sends_a_blank_secret_and_errors_never_echo_one() -> None:
    script = Script({("POST", IDP): [httpx.Response(201)]})
    run(
        script,
        lambda client: client.create_identity_provider("sso", {"alias": "a", "config": {"clientSecret": ""}}),
    )
    assert "clientSecret" not in json.loads(script.calls[0].content)["config"]

    echo = httpx.Response(400, json={"errorMessage": "invalid value s3cr3t-value for clientSecret"})
    script = Script({("POST", IDP): [echo]})
    provider = {"alias": "a", "providerId": "oidc", "config": {"clientSecret": "s3cr3t-value"}}
    with pytest.raises(ApiError) as refused:
        run(script, lambda client: client.create_identity_provider("sso", provider))
    assert "s3cr3t-value" not in str(refused.value)
    assert "invalid value *** for clientSecret" in str(refused.value)


def test_client_credentials_and_redirect_uri() -> None:
    script = Script({("GET", "/admin/realms/sso/roles"): [httpx.Response(200, json=[])]})

    async def main() -> str:
        async with KeycloakAdminClient(
            BASE + "/", client_id="provisioner", client_secret="cs", transport=httpx.MockTransport(script)
        ) as client:
            await client.list_realm_roles("sso")
            return client.broker_redirect_uri("sso", "acme entra")

    assert asyncio.run(main()) == f"{BASE}/realms/sso/broker/acme%20entra/endpoint"
    assert script.grants == [
        {"client_id": "provisioner", "client_secret": "cs", "grant_type": "client_credentials"}
    ]
    with pytest.raises(ValueError):
        KeycloakAdminClient(BASE, username="admin")
