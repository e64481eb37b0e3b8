"""Generic OIDC: the token-endpoint auth method comes from the spec or the discovery document; with
privateKeyJwt, the document must say the token endpoint takes the broker's signed assertions."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from ssoprov.generic_oidc import assertion_auth_method, certificate_pem, token_endpoint_auth_method
from ssoprov.spec.models import OidcIdp

STACK_FILE = "stacks/Pulumi.initech.yaml"
DISCOVERY = "https://idp.initech.example/.well-known/openid-configuration"


def idp(**method: str) -> OidcIdp:
    spec = {"kind": "oidc", "clientId": "initech", "discoveryUrl": DISCOVERY, **method}
    return OidcIdp.model_validate(spec)


def document(*methods: str) -> dict[str, Any]:
    return {"issuer": "https://idp.initech.example", "token_endpoint_auth_methods_supported": list(methods)}


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({"issuer": "https://idp.initech.example"}, "client_secret_basic"),  # none listed: OIDC's default
        (document("private_key_jwt", "client_secret_post", "client_secret_basic"), "client_secret_basic"),
        (document("client_secret_post", "private_key_jwt"), "client_secret_post"),
    ],
)
def test_without_a_spec_choice_the_provider_decides(found: dict[str, Any], expected: str) -> None:
    assert token_endpoint_auth_method(idp(), found, STACK_FILE) == expected


def test_the_spec_names_the_method_the_client_is_registered_with() -> None:
    chosen = idp(tokenEndpointAuthMethod="client_secret_post")
    both = document("client_secret_basic", "client_secret_post")
    assert token_endpoint_auth_method(chosen, both, STACK_FILE) == "client_secret_post"


def test_a_method_the_provider_does_not_take_is_refused_with_the_key_and_the_fix() -> None:
    chosen = idp(tokenEndpointAuthMethod="client_secret_post")
    with pytest.raises(pulumi.RunError) as raised:
        token_endpoint_auth_method(chosen, document("client_secret_basic", "private_key_jwt"), STACK_FILE)
    message = str(raised.value)
    key = "ssoprov:organization.identityProvider.tokenEndpointAuthMethod"
    assert message.startswith(f"{STACK_FILE}: {key}: ")
    assert "does not take client_secret_post" in message and "lists client_secret_basic" in message
    assert "Fix: set it to the method the customer's client is registered with" in message


def test_a_provider_without_client_secret_methods_is_refused() -> None:
    with pytest.raises(pulumi.RunError) as raised:
        token_endpoint_auth_method(idp(), document("private_key_jwt", "tls_client_auth"), STACK_FILE)
    message = str(raised.value)
    assert message.startswith(f"{STACK_FILE}: ssoprov:organization.identityProvider.discoveryUrl: ")
    assert "lists neither client_secret_basic nor client_secret_post" in message and "Fix: " in message


def test_the_spec_takes_only_client_secret_methods() -> None:
    with pytest.raises(ValueError, match="tokenEndpointAuthMethod"):
        idp(tokenEndpointAuthMethod="private_key_jwt")


def test_a_secretless_connection_authenticates_with_private_key_jwt_where_the_provider_takes_it() -> None:
    takes_it = {
        **document("client_secret_basic", "private_key_jwt"),
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
    }
    assert assertion_auth_method(idp(), takes_it, "RS256", STACK_FILE) == "private_key_jwt"
    assert assertion_auth_method(idp(), document("private_key_jwt"), "RS256", STACK_FILE) == "private_key_jwt"


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        ({"issuer": "https://idp.initech.example"}, "lists client_secret_basic, not private_key_jwt"),
        (
            document("client_secret_post", "client_secret_jwt"),
            "lists client_secret_post, client_secret_jwt, not private_key_jwt",
        ),
        (
            {**document("private_key_jwt"), "token_endpoint_auth_signing_alg_values_supported": ["ES256"]},
            "lists ES256, not RS256, the algorithm the broker signs with",
        ),
    ],
    ids=["none-listed", "secret-methods-only", "other-algorithm"],
)
def test_a_provider_that_would_refuse_the_broker_s_assertion_is_refused_before_any_change(
    found: dict[str, Any], reason: str
) -> None:
    with pytest.raises(pulumi.RunError) as raised:
        assertion_auth_method(idp(), found, "RS256", STACK_FILE)
    message = str(raised.value)
    assert message.startswith(
        f"{STACK_FILE}: ssoprov:organization.identityProvider.discoveryUrl: {DISCOVERY}: "
    )
    assert reason in message
    assert "Fix: set clientAuthentication.method to clientSecret" in message


def test_the_broker_s_certificate_is_handed_over_as_pem() -> None:
    der_base64 = "A" * 100
    assert certificate_pem(der_base64).splitlines() == [
        "-----BEGIN CERTIFICATE-----",
        "A" * 64,
        "A" * 36,
        "-----END CERTIFICATE-----",
    ]
