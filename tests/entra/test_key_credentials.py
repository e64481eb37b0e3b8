"""Certificates on an app registration (`keyCredentials`) and Entra's check of client assertions
signed with them (private_key_jwt), over real HTTP against the Graph stand-in."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from msgraph.generated.applications.item.application_item_request_builder import (
    ApplicationItemRequestBuilder,
)
from msgraph.generated.models.application import Application
from msgraph.generated.models.key_credential import KeyCredential

from sandbox.graph.seed import CONTOSO
from tests.entra.conftest import ServedGraph
from tests.entra.test_graph_standin import assert_odata_error, new_app
from tests.sandbox.signin_flow import sign_in
from tests.support.client_keys import ClientKey

REDIRECT = "http://127.0.0.1:9/callback"
DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000"


def key_credential(key: ClientKey) -> KeyCredential:
    return KeyCredential(type="AsymmetricX509Cert", usage="Verify", key=key.der, display_name="CN=broker")


def patch_with_sdk(graph: ServedGraph, object_id: str, *keys: ClientKey) -> None:
    async def patch() -> None:
        async with graph.client()._graph() as sdk:  # the SDK as the product builds it
            await sdk.applications.by_application_id(object_id).patch(
                Application(key_credentials=[key_credential(k) for k in keys])
            )

    asyncio.run(patch())


def signed_in_app(graph: ServedGraph, *keys: ClientKey) -> dict:
    """An app assigned to Engineering whose only credentials are `keys`' certificates."""
    with graph.http() as http:
        app = new_app(http, web={"redirectUris": [REDIRECT]})
        principal = http.post(
            "/servicePrincipals", json={"appId": app["appId"], "appRoleAssignmentRequired": True}
        )
        principal.raise_for_status()
        http.post(
            f"/servicePrincipals/{principal.json()['id']}/appRoleAssignedTo",
            json={
                "principalId": CONTOSO.group("Engineering").id,
                "resourceId": principal.json()["id"],
                "appRoleId": DEFAULT_ROLE,
            },
        ).raise_for_status()
    patch_with_sdk(graph, app["id"], *keys)
    return app


def discovery(graph: ServedGraph) -> str:
    return f"{graph.url}/{CONTOSO.tenant_id}/v2.0/.well-known/openid-configuration"


def test_a_certificate_patched_with_the_sdk_reads_back_as_graph_shows_it(graph: ServedGraph) -> None:
    key = ClientKey()
    with graph.http() as http:
        app = new_app(http)
    patch_with_sdk(graph, app["id"], key)
    with graph.http() as http:
        plain = http.get(f"/applications/{app['id']}").json()["keyCredentials"]
        selected = http.get(f"/applications/{app['id']}", params={"$select": "keyCredentials"}).json()
    [credential] = plain
    assert credential["key"] is None  # only a $select of keyCredentials returns the certificate
    assert base64.b64decode(selected["keyCredentials"][0]["key"]) == key.der
    assert base64.b64decode(credential["customKeyIdentifier"]) == key.certificate.fingerprint(hashes.SHA1())
    assert credential["endDateTime"].startswith(
        key.certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S")
    )

    async def read() -> list[KeyCredential]:
        config = ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetRequestConfiguration(
            query_parameters=ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
                select=["keyCredentials"]
            )
        )
        async with graph.client()._graph() as sdk:
            found = await sdk.applications.by_application_id(app["id"]).get(request_configuration=config)
        return list(found.key_credentials or [])

    [parsed] = asyncio.run(read())
    assert parsed.key == key.der and parsed.usage == "Verify" and parsed.type == "AsymmetricX509Cert"


def test_graph_refuses_an_end_date_beyond_the_certificate_and_a_key_that_is_no_certificate(
    graph: ServedGraph,
) -> None:
    key = ClientKey(days=30)
    late = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with graph.http() as http:
        app = new_app(http)
        entry = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(key.der).decode()}
        too_long = http.patch(
            f"/applications/{app['id']}", json={"keyCredentials": [{**entry, "endDateTime": late}]}
        )
        assert_odata_error(too_long, 400, "KeyCredentialsInvalidEndDate")
        garbage = http.patch(
            f"/applications/{app['id']}",
            json={"keyCredentials": [{**entry, "key": base64.b64encode(b"nope").decode()}]},
        )
        assert_odata_error(garbage, 400, "Request_BadRequest")
        assert http.get(f"/applications/{app['id']}").json()["keyCredentials"] == []


def test_a_sign_in_with_an_assertion_from_the_registered_certificate_passes(graph: ServedGraph) -> None:
    key = ClientKey()
    app = signed_in_app(graph, key)

    result = sign_in(
        discovery(graph),
        app["appId"],
        "",
        REDIRECT,
        "alice@contoso.example",
        auth_method="private_key_jwt",
        assertion=lambda token_url: key.assertion(app["appId"], token_url, headers={"x5t": key.x5t}),
    )

    assert result.error is None and result.claims["aud"] == app["appId"]


def token_request(graph: ServedGraph, assertion: str, client_id: str | None = None) -> httpx.Response:
    """A token request whose code is bogus: the client is judged first, as Entra does."""
    return httpx.post(
        token_url(graph),
        data={
            **({"client_id": client_id} if client_id else {}),
            "grant_type": "authorization_code",
            "code": "not-a-code",
            "redirect_uri": REDIRECT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )


def token_url(graph: ServedGraph) -> str:
    return f"{graph.url}/{CONTOSO.tenant_id}/oauth2/v2.0/token"


@pytest.mark.parametrize(
    ("forgery", "code"),
    [
        ("unregistered certificate", "AADSTS700027"),
        ("signed by another key under the registered thumbprint", "AADSTS700027"),
        ("expired", "AADSTS700024"),
        ("wrong audience", "AADSTS700023"),
        ("iss is another app", "AADSTS700021"),
        ("replayed", "AADSTS50027"),
    ],
)
def test_a_forged_assertion_is_refused_with_entra_s_code(graph: ServedGraph, forgery: str, code: str) -> None:
    key, stranger = ClientKey(), ClientKey()
    app = signed_in_app(graph, key)
    client_id, registered = app["appId"], {"x5t": key.x5t}
    assertion = {
        "unregistered certificate": lambda: stranger.assertion(
            client_id, token_url(graph), headers={"x5t": stranger.x5t}
        ),
        "signed by another key under the registered thumbprint": lambda: stranger.assertion(
            client_id, token_url(graph), headers=registered
        ),
        "expired": lambda: key.assertion(client_id, token_url(graph), headers=registered, issued_ago=900),
        "wrong audience": lambda: key.assertion(
            client_id, "https://login.microsoftonline.com/x/oauth2/v2.0/token", headers=registered
        ),
        "iss is another app": lambda: key.assertion(
            client_id, token_url(graph), headers=registered, issuer="0" * 8
        ),
        "replayed": lambda: key.assertion(client_id, token_url(graph), headers=registered, jti="once"),
    }[forgery]()
    if forgery == "replayed":
        first = token_request(graph, assertion)
        assert first.json()["error"] == "invalid_grant"  # the client passed; only the bogus code failed

    refused = token_request(graph, assertion, client_id)

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert refused.json()["error_description"].startswith(code + ":")


def test_an_x5t_s256_header_names_the_certificate_too(graph: ServedGraph) -> None:
    key = ClientKey()
    app = signed_in_app(graph, key)
    answer = token_request(
        graph, key.assertion(app["appId"], token_url(graph), headers={"x5t#S256": key.x5t_s256})
    )
    assert answer.json()["error"] == "invalid_grant"
