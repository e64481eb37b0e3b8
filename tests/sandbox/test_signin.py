"""The stand-ins' sign-in side issues tokens whose claims follow the provisioned configuration."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.common.server import ServedApp
from sandbox.graph.app import GraphStandIn, build_graph_standin
from sandbox.graph.seed import CONTOSO, MICROSOFT_GRAPH_APP_ID
from sandbox.okta.app import OktaStandIn, build_okta_standin
from sandbox.okta.store import GroupsClaim
from tests.sandbox.signin_flow import okta_web_app, sign_in
from tests.support.crowded_tenant import CROWDED_USER, crowded_contoso

CONTOSO_CROWDED = crowded_contoso()

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


def test_entra_assignment_and_the_assigned_groups_claim_do_not_follow_nested_groups(
    graph: tuple[GraphStandIn, str],
) -> None:
    """Microsoft Learn: a group's assignment does not cascade to nested groups, and with "groups
    assigned to the application" the user must be a direct member; the other group claims include
    nested groups. Leadership (Carol, Frank) nests Admins (Alice, Dave)."""
    stand_in, url = graph
    leadership, admins = CONTOSO.group("Leadership").id, CONTOSO.group("Admins").id
    client_id, secret = entra_app(stand_in, claims=[], membership="ApplicationGroup", assigned=["Leadership"])

    dave = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "dave@contoso.example")
    assert dave.error is not None and dave.error.startswith("AADSTS50105: ")
    carol = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "carol@contoso.example")
    assert carol.error is None and carol.claims["groups"] == [leadership]

    both, both_secret = entra_app(
        stand_in, claims=[], membership="ApplicationGroup", assigned=["Admins", "Leadership"]
    )
    alice = sign_in(entra_discovery(url), both, both_secret, REDIRECT, "alice@contoso.example")
    assert alice.error is None and alice.claims["groups"] == [admins]

    every, every_secret = entra_app(stand_in, claims=[], membership="SecurityGroup", assigned=["Admins"])
    alice = sign_in(entra_discovery(url), every, every_secret, REDIRECT, "alice@contoso.example")
    assert {admins, leadership} <= set(alice.claims["groups"])


@pytest.fixture
def okta() -> Iterator[tuple[OktaStandIn, str]]:
    stand_in = build_okta_standin()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def test_okta_groups_claim_follows_the_filter_and_assignment_gates_sign_in(
    okta: tuple[OktaStandIn, str],
) -> None:
    stand_in, url = okta
    claim = GroupsClaim("GROUPS", "STARTS_WITH", "ORG_URL", "groups", "Eng")
    client_id, secret = okta_web_app(stand_in.store, REDIRECT, ["Engineering", "Admins"], claim=claim)
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
    client_id, secret = okta_web_app(stand_in.store, REDIRECT, ["Engineering-Contractors"], claim=claim)

    dave = sign_in(
        f"{url}/.well-known/openid-configuration", client_id, secret, REDIRECT, "dave@acme.example"
    )

    assert dave.claims["groups"] == []


@pytest.mark.parametrize(
    ("filter_type", "value", "expected"),
    [
        ("STARTS_WITH", "eng", ["Engineering"]),
        ("EQUALS", "ENGINEERING", ["Engineering"]),
        ("CONTAINS", "NGINEER", ["Engineering"]),
        ("REGEX", "engineering", []),
    ],
)
def test_okta_filters_ignore_case_except_regex(
    okta: tuple[OktaStandIn, str], filter_type: str, value: str, expected: list[str]
) -> None:
    """Okta's OpenAPI (groupFilterType): STARTS_WITH, EQUALS, CONTAINS are not case-sensitive; REGEX is."""
    stand_in, url = okta
    claim = GroupsClaim("GROUPS", filter_type, "ORG_URL", "groups", value)
    client_id, secret = okta_web_app(stand_in.store, REDIRECT, ["Engineering"], claim=claim)

    alice = sign_in(
        f"{url}/.well-known/openid-configuration", client_id, secret, REDIRECT, "alice@acme.example"
    )

    assert alice.claims["groups"] == expected


@pytest.mark.parametrize(
    ("registered", "other"),
    [("client_secret_basic", "client_secret_post"), ("client_secret_post", "client_secret_basic")],
)
def test_okta_token_endpoint_takes_only_the_method_the_app_is_registered_with(
    okta: tuple[OktaStandIn, str], registered: str, other: str
) -> None:
    stand_in, url = okta
    client_id, secret = okta_web_app(stand_in.store, REDIRECT, ["Engineering"], auth_method=registered)
    discovery = f"{url}/.well-known/openid-configuration"

    with pytest.raises(httpx.HTTPStatusError) as refused:
        sign_in(discovery, client_id, secret, REDIRECT, "alice@acme.example", auth_method=other)
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["error"] == "invalid_client"
    assert refused.value.response.json()["error_description"].startswith("Client authentication failed.")

    matched = sign_in(discovery, client_id, secret, REDIRECT, "alice@acme.example", auth_method=registered)
    assert matched.error is None and matched.claims["sub"]


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_entra_token_endpoint_takes_the_secret_either_way(
    graph: tuple[GraphStandIn, str], auth_method: str
) -> None:
    stand_in, url = graph
    client_id, secret = entra_app(stand_in, claims=[], membership="None", assigned=["Engineering"])

    result = sign_in(
        entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example", auth_method=auth_method
    )

    assert result.error is None and result.claims["tid"] == CONTOSO.tenant_id


def test_entra_refuses_without_admin_consent_where_users_may_not_consent(
    graph: tuple[GraphStandIn, str],
) -> None:
    stand_in, url = graph
    store = stand_in.store
    client_id, secret = entra_app(
        stand_in, claims=[], membership="ApplicationGroup", assigned=["Engineering"]
    )
    store.user_consent_allowed = False

    refused = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example")
    assert refused.error is not None and refused.error.startswith("AADSTS65001: ")
    assert f"application with ID '{client_id}' named 'Acme SSO'" in refused.error

    client = store.get_service_principal_by_app_id(client_id)["id"]
    graph_sp = store.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)["id"]
    grant = {
        "clientId": client,
        "consentType": "AllPrincipals",
        "resourceId": graph_sp,
        "scope": "openid profile",
    }
    store.create_grant(grant)
    # `email` is asked for and not granted: still refused.
    partly = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example")
    assert partly.error is not None and "AADSTS65001" in partly.error
    grant_id = store.grants_of(client)[0]["id"]
    store.update_grant(grant_id, {"scope": "openid profile email"})
    assert sign_in(entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example").error is None


def test_entra_roles_claim_carries_the_app_roles_of_the_user_and_direct_groups(
    graph: tuple[GraphStandIn, str],
) -> None:
    stand_in, url = graph
    store = stand_in.store
    client_id, secret = entra_app(stand_in, claims=[], membership="None", assigned=["Sales"])
    app_object_id = store.application_object_id(client_id)
    roles = {"admin": "1a4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51", "lead": "2b4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51"}
    store.update_application(
        app_object_id,
        {
            "appRoles": [
                {
                    "allowedMemberTypes": ["User"],
                    "description": value,
                    "displayName": value,
                    "id": role_id,
                    "isEnabled": True,
                    "origin": "Application",
                    "value": value,
                }
                for value, role_id in roles.items()
            ]
        },
    )
    principal = store.get_service_principal_by_app_id(client_id)["id"]
    for group, role in (("Admins", "admin"), ("Leadership", "lead")):
        body = {"principalId": CONTOSO.group(group).id, "resourceId": principal, "appRoleId": roles[role]}
        store.create_assignment(principal, body)

    # Alice is in Admins; Leadership nests Admins, and app roles do not follow nesting.
    alice = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "alice@contoso.example")
    assert alice.error is None and alice.claims["roles"] == ["admin"] and "groups" not in alice.claims
    carol = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "carol@contoso.example")
    assert carol.claims["roles"] == ["lead"]
    # Erin is assigned through Sales with default access: signed in, no roles claim at all.
    erin = sign_in(entra_discovery(url), client_id, secret, REDIRECT, "erin@contoso.example")
    assert erin.error is None and "roles" not in erin.claims


def test_entra_sends_the_group_overage_instead_of_more_than_200_groups() -> None:
    stand_in = build_graph_standin(CONTOSO_CROWDED)
    with ServedApp(stand_in.app) as served:
        for membership, expect_overage in (
            ("SecurityGroup", True),
            ("All", True),
            ("ApplicationGroup", False),
        ):
            client_id, secret = entra_app(
                stand_in, claims=[], membership=membership, assigned=["Engineering"]
            )
            claims = sign_in(entra_discovery(served.url), client_id, secret, REDIRECT, CROWDED_USER).claims
            if expect_overage:
                grace = CONTOSO_CROWDED.user(CROWDED_USER).id
                assert "groups" not in claims and claims["_claim_names"] == {"groups": "src1"}
                endpoint = f"https://graph.windows.net/{CONTOSO.tenant_id}/users/{grace}/getMemberObjects"
                assert claims["_claim_sources"] == {"src1": {"endpoint": endpoint}}
            else:  # only the groups assigned to the app count: well under the limit
                assert claims["groups"] == [CONTOSO.group("Engineering").id] and "_claim_names" not in claims
