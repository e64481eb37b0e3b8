"""EntraApp's wiring (Pulumi mocks): which resources it declares, with which inputs and names."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from ssoprov.entra import naming
from ssoprov.entra.component import EntraApp
from ssoprov.spec.models import OrganizationSpec

REDIRECT = "https://sso.example.com/realms/acme/broker/acme/endpoint"
TENANT = "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13"
UNICODE_GROUP = "Ops / Überwachung::EU"
URN_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: dict[str, pulumi.runtime.MockResourceArgs] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources[args.name] = args
        outputs = dict(args.inputs)
        if args.name.endswith("-entra-app"):  # the provider's create would return the client ID
            outputs["app_id"] = f"client-id-of-{args.name}"
        if "-entra-app-role-" in args.name:  # the provider's create would return the role's GUID
            outputs["role_id"] = f"role-id-of-{args.name}"
        return f"id-of-{args.name}", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


@pytest.fixture
def mocks() -> Iterator[_Mocks]:
    """Mocks for this module's tests only; the mocked runtime wants a current event loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, preview=False)
    yield mocks
    pulumi.runtime.settings.reset_options()
    asyncio.set_event_loop(None)
    loop.close()


def spec(idp: dict[str, Any], **extra: Any) -> OrganizationSpec:
    return OrganizationSpec.model_validate(
        {
            "name": "acme",
            "displayName": "Acme Corp",
            "identityProvider": idp,
            "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "acme"},
            **extra,
        }
    )


ENTRA = {
    "kind": "entra",
    "tenantId": TENANT,
    "multiTenant": True,
    "extraRedirectUris": ["https://app.acme.example/cb", REDIRECT],
    "groupsClaim": "SecurityGroup",
    "assignmentRequired": False,
    "assignments": {
        "groups": ["Engineering", UNICODE_GROUP],
        "users": ["dave@contoso.example"],
    },
}


@pulumi.runtime.test
def test_entra_wiring(mocks: _Mocks, monkeypatch: pytest.MonkeyPatch) -> pulumi.Output:
    monkeypatch.setenv("SSOPROV_ENTRA_LOGIN_URL", "https://login.example/")
    mapped = [{"group": "Engineering", "role": "developer"}, {"group": "Leadership", "role": "lead"}]
    app = EntraApp("acme", spec(ENTRA, roleMappings=mapped), REDIRECT)
    info = app.connection_info

    def check(values: list[Any]) -> None:
        client_id, discovery, claim_values, group_ids = values[:4]
        resources = mocks.resources
        assert all(URN_SAFE.match(name) for name in resources), sorted(resources)
        lookups = {
            name: r.inputs
            for name, r in resources.items()
            if "-entra-group-" in name or "-entra-user-" in name
        }
        # One lookup per distinct name: Engineering is assigned and role-mapped, yet looked up once.
        assert sorted((i["kind"], i["spec_name"], i["stack_key"]) for i in lookups.values()) == sorted(
            [
                ("group", "Engineering", "identityProvider.assignments.groups"),
                ("group", UNICODE_GROUP, "identityProvider.assignments.groups"),
                ("group", "Leadership", "roleMappings"),
                ("user", "dave@contoso.example", "identityProvider.assignments.users"),
            ]
        )
        application = resources[naming.application_name("acme")].inputs
        assert application["sign_in_audience"] == "AzureADMultipleOrgs"
        assert application["redirect_uris"] == [REDIRECT, "https://app.acme.example/cb"]  # callback once
        claims = [c["name"] for c in application["id_token_claims"]]
        assert claims == ["email", "given_name", "family_name", "groups"]
        assert application["group_membership_claims"] == "SecurityGroup"
        assert application["graph_scopes"] == ["openid", "profile", "email"]
        assert resources[naming.enterprise_app_name("acme")].inputs["assignment_required"] is False
        # Assigned principals only: Leadership is role-mapped (SecurityGroup carries it), not assigned.
        assigned = sorted(r.inputs["principal_name"] for n, r in resources.items() if "-entra-assign-" in n)
        assert assigned == sorted(["Engineering", UNICODE_GROUP, "dave@contoso.example"])
        secret = resources[naming.client_secret_name("acme")].inputs
        assert secret["application_object_id"] == f"id-of-{naming.application_name('acme')}"
        assert secret["display_name"] == "ssoprov: acme SSO broker"
        assert client_id == f"client-id-of-{naming.application_name('acme')}"
        assert discovery == f"https://login.example/{TENANT}/v2.0/.well-known/openid-configuration"
        assert claim_values == {
            "Engineering": f"id-of-{naming.group_name('acme', 'Engineering')}",
            "Leadership": f"id-of-{naming.group_name('acme', 'Leadership')}",
        }
        assert set(group_ids) == {"Engineering", UNICODE_GROUP, "Leadership"}

    assert app.enterprise_app is not None
    registered = [app.enterprise_app.id, app.client_secret.id, *(a.id for a in app.assignments)]
    return pulumi.Output.all(
        info.client_id, info.discovery_url, info.group_claim_values, app.group_ids, *registered
    ).apply(check)


@pulumi.runtime.test
def test_microsoft_oauth_wiring(mocks: _Mocks, monkeypatch: pytest.MonkeyPatch) -> pulumi.Output:
    monkeypatch.delenv("SSOPROV_ENTRA_LOGIN_URL", raising=False)
    microsoft = {"kind": "microsoft", "tenantId": TENANT, "optionalClaims": []}
    app = EntraApp("acme", spec(microsoft, defaultRole="member"), REDIRECT)

    def check(values: list[Any]) -> None:
        # The component, the app registration and its secret: no enterprise app, lookups or assignments.
        names = sorted(mocks.resources)
        assert names == sorted(["acme", naming.application_name("acme"), naming.client_secret_name("acme")])
        application = mocks.resources[naming.application_name("acme")].inputs
        assert application["sign_in_audience"] == "PersonalMicrosoftAccount"
        assert application["id_token_claims"] == [] and application["graph_scopes"] == []
        assert application.get("group_membership_claims") is None
        assert (
            values[0] == "https://login.microsoftonline.com/consumers/v2.0/.well-known/openid-configuration"
        )
        assert app.connection_info.kind == "microsoft" and app.connection_info.group_claim_values == {}

    return pulumi.Output.all(app.connection_info.discovery_url, app.client_secret.id).apply(check)


def test_resource_names_are_stable_and_safe() -> None:
    assert naming.group_name("acme", "Engineering") == "acme-entra-group-Engineering"
    unicode_name = naming.group_name("acme", UNICODE_GROUP)
    assert URN_SAFE.match(unicode_name) and unicode_name.startswith("acme-entra-group-Ops-")
    assert naming.group_name("acme", "Ops / Überwachung::EU") == unicode_name  # stable
    assert naming.group_name("acme", "Ops / Uberwachung::EU") != unicode_name  # no collision
    assert URN_SAFE.match(naming.user_assignment_name("acme", "dave@contoso.example"))
    assert naming.group_name("acme", "管理者") != naming.group_name("acme", "開発者")


@pulumi.runtime.test
def test_admin_consent_grants_what_the_app_requests_and_opting_out_grants_nothing(
    mocks: _Mocks,
) -> pulumi.Output:
    quiet = {"kind": "entra", "tenantId": TENANT, "optionalClaims": []}
    consenting = EntraApp("acme", spec(quiet, defaultRole="member"), REDIRECT)
    opted_out = EntraApp(
        "beta", spec({**quiet, "adminConsent": False}, name="beta", defaultRole="member"), REDIRECT
    )

    def check(_: list[Any]) -> None:
        resources = mocks.resources
        # The broker asks for openid, profile and email: with admin consent the app requests them
        # (and the grant covers them) even with no optional claims.
        assert resources[naming.application_name("acme")].inputs["graph_scopes"] == [
            "openid",
            "profile",
            "email",
        ]
        consent = resources[naming.admin_consent_name("acme")].inputs
        assert consent["scopes"] == ["email", "openid", "profile"]
        assert consent["client_service_principal_id"] == f"id-of-{naming.enterprise_app_name('acme')}"
        assert consent["resource_app_id"] == "00000003-0000-0000-c000-000000000000"
        assert naming.admin_consent_name("beta") not in resources and opted_out.admin_consent is None
        assert resources[naming.application_name("beta")].inputs["graph_scopes"] == []

    assert consenting.admin_consent is not None
    return pulumi.Output.all(consenting.admin_consent.id, opted_out.client_secret.id).apply(check)


@pulumi.runtime.test
def test_app_roles_wiring(mocks: _Mocks) -> pulumi.Output:
    idp = {
        "kind": "entra",
        "tenantId": TENANT,
        "roleSource": "appRoles",
        "assignments": {"groups": ["Sales"], "users": ["frank@contoso.example"]},
    }
    mapped = [
        {"group": "Engineering", "role": "developer"},
        {"group": "Leadership", "role": "developer"},
        {"group": "Admins", "role": "admin"},
    ]
    app = EntraApp("acme", spec(idp, roleMappings=mapped, defaultRole="member"), REDIRECT)
    info = app.connection_info

    def check(values: list[Any]) -> None:
        claim_values = values[0]
        resources = mocks.resources
        roles = {r.inputs["value"]: r.inputs for n, r in resources.items() if "-entra-app-role-" in n}
        assert sorted(roles) == ["admin", "developer"]  # one app role per broker role
        assert roles["admin"]["allowed_member_types"] == ["User"] and roles["admin"]["enabled"] is True
        assert roles["admin"]["application_object_id"] == f"id-of-{naming.application_name('acme')}"
        assigned = {
            r.inputs["principal_name"]: r.inputs["app_role_id"]
            for n, r in resources.items()
            if "-entra-assign-" in n
        }
        # Mapped groups are assigned to their role; the rest of the assignments get default access.
        assert assigned == {
            "Engineering": f"role-id-of-{naming.app_role_name('acme', 'developer')}",
            "Leadership": f"role-id-of-{naming.app_role_name('acme', 'developer')}",
            "Admins": f"role-id-of-{naming.app_role_name('acme', 'admin')}",
            "Sales": "00000000-0000-0000-0000-000000000000",
            "frank@contoso.example": "00000000-0000-0000-0000-000000000000",
        }
        assert info.groups_claim == "roles"
        assert claim_values == {"Engineering": "developer", "Leadership": "developer", "Admins": "admin"}

    return pulumi.Output.all(info.group_claim_values, *(a.id for a in app.assignments)).apply(check)


@pytest.mark.parametrize("kept", [True, False])
def test_adoption_keys_kept_as_made_replace_ours_until_removed(mocks: _Mocks, kept: bool) -> None:
    upn = {"name": "upn", "essential": True, "additionalProperties": []}
    adoption: dict[str, Any] = {"clientId": "hand-made", "secretId": "secret-by-hand"}
    if kept:
        adoption |= {"idTokenClaims": [upn], "adminConsentScopes": ["User.Read", "openid"]}
    idp = {"kind": "entra", "tenantId": TENANT, "optionalClaims": ["email"], "groupsClaim": "None"}
    app = EntraApp("acme", spec(idp, adoption=adoption), REDIRECT)

    @pulumi.runtime.test
    def check() -> pulumi.Output:
        def inputs(_: list[Any]) -> None:
            claims = mocks.resources[naming.application_name("acme")].inputs["id_token_claims"]
            scopes = mocks.resources[naming.admin_consent_name("acme")].inputs["scopes"]
            if kept:
                assert claims == [{"name": "upn", "essential": True, "additional_properties": []}]
                assert scopes == ["User.Read", "openid"]
            else:
                assert claims == [{"name": "email", "essential": False, "additional_properties": []}]
                assert scopes == ["email", "openid", "profile"]

        assert app.admin_consent is not None
        return pulumi.Output.all(app.admin_consent.id, app.application.id).apply(inputs)

    check()
