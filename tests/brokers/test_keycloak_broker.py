"""KeycloakBroker: its redirect URI, and the resources `connect` declares (Pulumi mocks, no Keycloak)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from ssoprov.brokers.base import RoleRule
from ssoprov.brokers.keycloak import naming
from ssoprov.brokers.keycloak.broker import KeycloakBroker
from ssoprov.identity import IdpConnectionInfo
from ssoprov.naming import HASH_LENGTH, MAX_READABLE
from ssoprov.spec.models import OrganizationSpec
from tests.support.pulumi_mocks import RecordingMocks, mocked_runtime

SECRET = "idp-secret-9c2e"
DISCOVERY = "https://idp.example/.well-known/openid-configuration"


@pytest.fixture
def pulumi_mocks() -> Iterator[RecordingMocks]:
    """Mocks for this module's tests only."""
    mocks = RecordingMocks()
    with mocked_runtime(mocks):
        yield mocks


def organization(idp: dict[str, Any], **extra: Any) -> OrganizationSpec:
    broker = {"kind": "keycloak", "url": "https://sso.example.com/", "realm": "customers"}
    return OrganizationSpec.model_validate(
        {
            "name": "acme",
            "displayName": "Acme Corp",
            "identityProvider": idp,
            "broker": broker | extra.pop("broker", {}),
            **extra,
        }
    )


OKTA = {"kind": "okta", "orgUrl": "https://acme.okta.com", "groups": ["Ingeniería"]}
MICROSOFT = {"kind": "microsoft", "tenantId": "contoso.onmicrosoft.com"}


def connection_info(kind: str, groups_claim: str | None) -> IdpConnectionInfo:
    return IdpConnectionInfo(
        kind=kind,
        client_id=pulumi.Output.from_input("app-client-id"),
        client_secret=pulumi.Output.secret(SECRET),
        discovery_url=pulumi.Output.from_input(DISCOVERY),
        group_claim_values={},
        groups_claim=groups_claim,
        token_endpoint_auth_method="client_secret_post",  # what the IdP decided, not a broker default
    )


def test_redirect_uri_is_known_before_anything_exists() -> None:
    assert KeycloakBroker(organization(OKTA)).redirect_uri() == (
        "https://sso.example.com/realms/customers/broker/acme/endpoint"
    )
    custom = organization(OKTA, broker={"alias": "acme-okta"})
    assert KeycloakBroker(custom).redirect_uri().endswith("/realms/customers/broker/acme-okta/endpoint")


def test_only_a_keycloak_broker_spec_is_accepted() -> None:
    spec = OrganizationSpec.model_validate(
        {
            "name": "acme",
            "displayName": "Acme",
            "identityProvider": OKTA,
            "broker": {
                "kind": "workos",
                "organizationId": "org_01HV3K9A7B6C5D4E3F2G",
                "redirectUri": "https://auth.example.com/callback",
            },
        }
    )
    with pytest.raises(TypeError, match="keycloak"):
        KeycloakBroker(spec)


def declare(
    spec: OrganizationSpec,
    kind: str,
    rules: list[RoleRule],
    default_role: str | None,
    groups_claim: str | None = "groups",
) -> list[str]:
    """Run `connect` in the mocked runtime until every registration is done; its connection ids."""
    connection_ids: list[str] = []

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        info = connection_info(kind, groups_claim)
        connection = KeycloakBroker(spec).connect(info, rules, default_role, parent)
        return connection.connection_id.apply(connection_ids.append)

    program()
    return connection_ids


def test_okta_gets_roles_an_oidc_provider_and_one_mapper_per_mapping(pulumi_mocks: RecordingMocks) -> None:
    spec = organization(
        OKTA, roleMappings=[{"group": "Ingeniería", "role": "engineer"}], defaultRole="member"
    )
    rules = [RoleRule("Ingeniería", pulumi.Output.from_input("Ingeniería"), "engineer")]

    assert declare(spec, "okta", rules, "member") == ["acme"]
    roles = pulumi_mocks.of_type("keycloak", "RealmRoles")
    assert {name: (r["realm"], r["names"], r["create_missing"]) for name, r in roles.items()} == {
        "acme-keycloak-roles": ("customers", ["engineer", "member"], True)
    }
    provider = pulumi_mocks.of_type("keycloak", "IdentityProvider")["acme-keycloak-identity-provider"]
    assert provider["url"] == "https://sso.example.com" and provider["alias"] == "acme"
    assert (provider["provider_id"], provider["client_auth_method"]) == ("oidc", "client_secret_post")
    assert (provider["display_name"], provider["discovery_url"]) == ("Acme Corp", DISCOVERY)
    assert provider["sync_mode"] == "FORCE"
    assert provider["config_options"]["defaultScope"] == "openid profile email"
    mappers = pulumi_mocks.of_type("keycloak", "IdpMapper")
    assert len(mappers) == 2
    group_mapper = mappers[naming.group_mapper_name("acme", "Ingeniería")]
    assert (group_mapper["name"], group_mapper["mapper_type"]) == (
        "Ingeniería -> engineer",
        "oidc-role-idp-mapper",
    )
    assert group_mapper["config"] == {
        "claim": "groups",
        "claim.value": "Ingeniería",
        "role": "engineer",
        "syncMode": "INHERIT",
    }
    default = mappers["acme-keycloak-default-role"]
    assert (default["name"], default["mapper_type"]) == (
        "default role: member",
        "oidc-hardcoded-role-idp-mapper",
    )
    assert default["config"] == {"role": "member", "syncMode": "INHERIT"}


def test_microsoft_oauth_gets_the_default_role_only(pulumi_mocks: RecordingMocks) -> None:
    spec = organization(MICROSOFT, defaultRole="member", broker={"createRoles": False})

    assert declare(spec, "microsoft", [], "member", groups_claim=None) == ["acme"]
    [provider] = pulumi_mocks.of_type("keycloak", "IdentityProvider").values()
    assert provider["provider_id"] == "microsoft"
    assert provider.get("discovery_url") is None and provider.get("client_auth_method") is None
    assert provider["config_options"] == {}
    mappers = pulumi_mocks.of_type("keycloak", "IdpMapper").values()
    assert [m["mapper_type"] for m in mappers] == ["oidc-hardcoded-role-idp-mapper"]
    [roles] = pulumi_mocks.of_type("keycloak", "RealmRoles").values()
    assert (roles["names"], roles["create_missing"]) == (["member"], False)


def test_microsoft_oauth_refuses_group_mappings(pulumi_mocks: RecordingMocks) -> None:
    spec = organization(MICROSOFT)
    rules = [RoleRule("g", pulumi.Output.from_input("g"), "r")]
    with pytest.raises(ValueError, match="no groups claim"):
        declare(spec, "microsoft", rules, None, groups_claim=None)
    assert pulumi_mocks.of_type("keycloak", "IdentityProvider") == {}


@pytest.mark.parametrize(
    ("groups_claim", "claim_path"),
    [
        ("okta_groups", "okta_groups"),
        # Keycloak reads a dot as "descend into a nested object", a backslash as an escape.
        ("https://acme.example/groups", "https://acme\\.example/groups"),
        ("a\\b.c", "a\\\\b\\.c"),
    ],
)
def test_group_mappers_read_the_claim_the_idp_sends(
    pulumi_mocks: RecordingMocks, groups_claim: str, claim_path: str
) -> None:
    spec = organization(OKTA, roleMappings=[{"group": "Ingeniería", "role": "engineer"}])
    rules = [RoleRule("Ingeniería", pulumi.Output.from_input("Ingeniería"), "engineer")]

    declare(spec, "okta", rules, None, groups_claim=groups_claim)

    [mapper] = pulumi_mocks.of_type("keycloak", "IdpMapper").values()
    assert mapper["config"]["claim"] == claim_path


def test_resource_names_are_stable_and_safe_for_any_group() -> None:
    assert naming.group_mapper_name("acme", "engineering") == "acme-keycloak-mapper-engineering"
    unicode_name = naming.group_mapper_name("acme", "Ventas / Márketing 🚀")
    assert unicode_name.isascii() and unicode_name.startswith("acme-keycloak-mapper-Ventas-M-rketing-")
    assert unicode_name == naming.group_mapper_name("acme", "Ventas / Márketing 🚀")  # stable
    # Names equal once sanitized stay apart (the hash is of the exact name).
    assert naming.safe_part("a b") != naming.safe_part("a-b") and naming.safe_part("a-b") == "a-b"
    assert naming.safe_part("🚀").isalnum()  # nothing readable left: the hash alone
    assert len(naming.safe_part("x" * 300)) == MAX_READABLE + 1 + HASH_LENGTH


def test_mapper_titles_fit_keycloaks_column() -> None:
    assert naming.group_mapper_title("Ingeniería", "engineer") == "Ingeniería -> engineer"
    long_title = naming.group_mapper_title("g" * 256, "r" * 256)
    assert len(long_title) == naming.MAX_MAPPER_NAME
    assert long_title != naming.group_mapper_title("g" * 256, "r" * 255 + "s")
