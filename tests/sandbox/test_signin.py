"""The stand-ins' sign-in side issues tokens whose claims follow the provisioned configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.common.server import ServedApp
from sandbox.graph.app import GraphStandIn, build_graph_standin
from sandbox.graph.seed import CONTOSO
from sandbox.okta.app import OktaStandIn, build_okta_standin
from sandbox.okta.store import GroupsClaim
from tests.sandbox.signin_flow import sign_in

REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def graph() -> Iterator[tuple[GraphStandIn, str]]:
    stand_in = build_graph_standin()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def entra_app(
    stand_in: GraphStandIn, *, claims: list[str], membership: str, assigned: list[str]
) -> tuple[str, str]:
    store = stand_in.store
    app = store.create_application(
        {
            "displayName": "Acme SSO",
            "signInAudience": "AzureADMyOrg",
            "web": {"redirectUris": [REDIRECT]},
            "optionalClaims": {"idToken": [{"name": c, "essential": False} for c in claims]},
            "groupMembershipClaims": membership,
        }
    )
    secret = store.add_password(app["id"], {"displayName": "t", "endDateTime": "2099-01-01T00:00:00Z"})[
        "secretText"
    ]
    principal = store.create_service_principal({"appId": app["appId"], "appRoleAssignmentRequired": True})
    for group in assigned:
        store.create_assignment(
            principal["id"],
            {
                "principalId": CONTOSO.group(group).id,
                "resourceId": principal["id"],
                "appRoleId": "00000000-0000-0000-0000-000000000000",
            },
        )
    return app["appId"], secret


def entra_discovery(url: str) -> str:
    return f"{url}/{CONTOSO.tenant_id}/v2.0/.well-known/openid-configuration"


def test_entra_token_carries_optional_claims_and_only_assigned_groups(
    graph: tuple[GraphStandIn, str],
) -> None:
    stand_in, url = graph
    client_id, secret = entra_app(
        stand_in,
        claims=["email", "given_name", "family_name"],
        membership="ApplicationGroup",
        assigned=["Engineering", "Admins"],
    )

    result = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example")

    assert result.error is None
    assert result.claims["email"] == "alice@contoso.example"
    assert (result.claims["given_name"], result.claims["family_name"]) == ("Alice", "Anders")
    assert set(result.claims["groups"]) == {CONTOSO.group("Engineering").id, CONTOSO.group("Admins").id}
    assert result.claims["tid"] == CONTOSO.tenant_id


def test_entra_without_optional_claims_sends_no_email_and_security_groups_sends_all(
    graph: tuple[GraphStandIn, str],
) -> None:
    stand_in, url = graph
    client_id, secret = entra_app(stand_in, claims=[], membership="SecurityGroup", assigned=["Admins"])

    result = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example")

    assert "email" not in result.claims and "given_name" not in result.claims
    assert CONTOSO.group("Everyone").id in result.claims["groups"]


def test_entra_refuses_unassigned_user_wrong_secret_and_unregistered_redirect(
    graph: tuple[GraphStandIn, str],
) -> None:
    stand_in, url = graph
    client_id, secret = entra_app(
        stand_in, claims=[], membership="ApplicationGroup", assigned=["Engineering"]
    )

    refused = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "erin@contoso.example")
    assert refused.error is not None and "AADSTS50105" in refused.error

    with pytest.raises(Exception, match="401"):
        sign_in(entra_discovery(url), client_id, "wrong-secret", REDIRECT, "alice@contoso.example")
    with pytest.raises(Exception, match="400"):
        sign_in(
            entra_discovery(url), client_id, secret, "http://127.0.0.1:9/elsewhere", "alice@contoso.example"
        )


@pytest.fixture
def okta() -> Iterator[tuple[OktaStandIn, str]]:
    stand_in = build_okta_standin()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def okta_app(stand_in: OktaStandIn, groups: list[str], claim: GroupsClaim | None) -> tuple[str, str]:
    store = stand_in.store
    app, secret = store.create_app(
        label="Globex SSO",
        client_id=None,
        auth_method="client_secret_basic",
        pkce_required=False,
        auto_key_rotation=True,
        client_secret=None,
        profile=None,
        activate=True,
        oauth_settings={
            "application_type": "web",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": [REDIRECT],
        },
    )
    by_name = {group.name: group.id for group in store.groups()}
    for name in groups:
        store.assign_group(app.id, by_name[name], None, None)
    if claim is not None:
        store.set_groups_claim(app.id, claim)
    assert secret is not None
    return app.client_id, secret.value


def test_okta_groups_claim_follows_the_filter_and_assignment_gates_sign_in(
    okta: tuple[OktaStandIn, str],
) -> None:
    stand_in, url = okta
    claim = GroupsClaim("GROUPS", "STARTS_WITH", "ORG_URL", "groups", "Eng")
    client_id, secret = okta_app(stand_in, ["Engineering", "Admins"], claim)
    discovery = f"{url}/.well-known/openid-configuration"

    alice = sign_in(discovery, client_id, secret, REDIRECT, "alice@acme.example")
    assert alice.error is None
    assert alice.claims["groups"] == ["Engineering"]
    assert alice.claims["email"] == "alice@acme.example"

    carol = sign_in(discovery, client_id, secret, REDIRECT, "carol@acme.example")
    assert carol.error == "User is not assigned to the client application."


def test_okta_regex_filter_matches_whole_names(okta: tuple[OktaStandIn, str]) -> None:
    stand_in, url = okta
    claim = GroupsClaim("GROUPS", "REGEX", "ORG_URL", "groups", "Engineering|Admins")
    client_id, secret = okta_app(stand_in, ["Engineering-Contractors"], claim)

    dave = sign_in(
        f"{url}/.well-known/openid-configuration", client_id, secret, REDIRECT, "dave@acme.example"
    )

    assert dave.claims["groups"] == []
