"""The real program on the real Pulumi CLI: a generic-OIDC organization brokered by a real Keycloak.

The customer's IdP is a second realm of the session's Keycloak (see `keycloak_realms`). Every
claim about what Keycloak holds is checked through its admin API or, for what that API hides
(the stored client secret, whether mappers grant roles), by a real brokered login.

Calls are counted from Keycloak's own records: the broker realm's admin events (every write)
and the master realm's LOGIN events of the provisioning user (one per run that reached
Keycloak: the run's provider process logs in once, and all its clients share the token).

A stack made by the release that declared one KeycloakRealmRole per role is upgraded too: its
state as that release recorded it, then an `up` with this code.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pulumi import automation as auto
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.common.server import ServedApp
from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak import naming
from ssoprov.naming import safe_part
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import (
    CustomerIdp,
    admin_writes,
    create_broker_realm,
    create_customer_idp,
    login,
    now_ms,
    realm_roles,
)
from tests.brokers.test_keycloak_realm_role import RECORDED_PROVIDER
from tests.support.projects import StackProject

ORGANIZATION = "acme"
FINANCE = "Finanzas & Contabilidad ü"
"""A group name no URN or URL may hold as it is."""
TYPE = "pulumi-python:dynamic/keycloak"


@dataclass(frozen=True)
class Provisioner:
    """The admin user the `pulumi` runs log in as (its own, so its logins can be counted)."""

    username: str
    password: str
    user_id: str

    def env(self) -> dict[str, str]:
        return {"KEYCLOAK_ADMIN_USERNAME": self.username, "KEYCLOAK_ADMIN_PASSWORD": self.password}


@pytest.fixture(scope="module")
def provisioner(admin_http: AdminHttp) -> Iterator[Provisioner]:
    username, password = f"provisioner-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
    created = admin_http.call(
        "POST",
        "/master/users",
        json={
            "username": username,
            "enabled": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        },
    )
    user_id = created.headers["Location"].rsplit("/", 1)[-1]
    admin_role = admin_http.get("/master/roles/admin")
    admin_http.call("POST", f"/master/users/{user_id}/role-mappings/realm", json=[admin_role])
    events = admin_http.get("/master/events/config")
    admin_http.call("PUT", "/master/events/config", json={**events, "eventsEnabled": True})
    yield Provisioner(username, password, user_id)
    admin_http.call("PUT", "/master/events/config", json=events)
    admin_http.call("DELETE", f"/master/users/{user_id}")


def provisioner_logins(admin: AdminHttp, provisioner: Provisioner, since_ms: int) -> int:
    events = admin.get(
        "/master/events", params={"type": "LOGIN", "user": provisioner.user_id, "first": 0, "max": 1000}
    )
    return sum(1 for event in events if event["time"] >= since_ms)


@pytest.fixture(scope="module")
def customer(keycloak: KeycloakServer, admin_http: AdminHttp) -> Iterator[CustomerIdp]:
    idp = create_customer_idp(
        keycloak, admin_http, {"alice": ["engineering"], "bob": [FINANCE], "carol": ["sales"]}
    )
    yield idp
    admin_http.call("DELETE", f"/{idp.realm}")


@pytest.fixture
def broker_realm(admin_http: AdminHttp) -> Iterator[str]:
    realm = create_broker_realm(admin_http)
    yield realm
    admin_http.call("DELETE", f"/{realm}")


def organization_config(
    keycloak: KeycloakServer,
    realm: str,
    discovery_url: str,
    client_id: str,
    mappings: dict[str, str],
    alias: str | None = None,
) -> dict[str, Any]:
    broker = {"kind": "keycloak", "url": keycloak.url, "realm": realm} | ({"alias": alias} if alias else {})
    return {
        "ssoprov:organization": {
            "name": ORGANIZATION,
            "displayName": "Acme Corp",
            "identityProvider": {"kind": "oidc", "clientId": client_id, "discoveryUrl": discovery_url},
            "broker": broker,
            "roleMappings": [{"group": group, "role": role} for group, role in mappings.items()],
            "defaultRole": "member",
        }
    }


def set_secret(project: StackProject, value: str) -> None:
    project.stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(value, secret=True))


def resources_of(project: StackProject, kind: str) -> list[dict[str, Any]]:
    resources = project.stack.export_stack().deployment.get("resources", [])
    return [r for r in resources if r["type"] == f"{TYPE}:{kind}"]


def mappers_by_name(admin: AdminHttp, realm: str) -> dict[str, dict[str, Any]]:
    mappers = admin.get(f"/{realm}/identity-provider/instances/{ORGANIZATION}/mappers")
    return {mapper["name"]: mapper for mapper in mappers}


def test_up_noop_add_mapping_rotate_refresh_destroy(
    stack_project: Callable[..., StackProject],
    keycloak: KeycloakServer,
    admin_http: AdminHttp,
    customer: CustomerIdp,
    broker_realm: str,
    provisioner: Provisioner,
) -> None:
    realm = broker_realm
    redirect_uri = f"{keycloak.url}/realms/{realm}/broker/{ORGANIZATION}/endpoint"
    customer.allow_redirect(redirect_uri)
    mappings = {"engineering": "engineer"}
    config = organization_config(keycloak, realm, customer.discovery_url, customer.client_id, mappings)
    project = stack_project(ORGANIZATION, config, env=provisioner.env())
    first_secret = customer.client_secret
    set_secret(project, first_secret)
    printed: list[str] = []

    def run(operation: Callable[..., Any]) -> Any:
        result = operation(show_secrets=False)
        printed.extend([result.stdout, result.stderr])
        return result

    # 1. Create: the roles, identity provider, one mapper per mapping plus the default role's.
    since = now_ms()
    created = run(project.stack.up)
    # The stack, the organization, the roles (one resource), the identity provider, 2 mappers:
    assert created.summary.resource_changes == {"create": 6}
    assert created.outputs["redirectUri"].value == redirect_uri
    assert created.outputs["connectionId"].value == ORGANIZATION
    provider = admin_http.get(f"/{realm}/identity-provider/instances/{ORGANIZATION}")
    discovery = httpx.get(customer.discovery_url).json()
    assert (provider["providerId"], provider["displayName"], provider["enabled"]) == (
        "oidc",
        "Acme Corp",
        True,
    )
    assert (provider["trustEmail"], provider["firstBrokerLoginFlowAlias"]) == (True, "first broker login")
    expected_config = {
        "clientId": customer.client_id,
        "clientSecret": "**********",  # stored, masked
        "clientAuthMethod": "client_secret_basic",
        "syncMode": "FORCE",
        "defaultScope": "openid profile email",
        "validateSignature": "true",
        "useJwksUrl": "true",
        "pkceEnabled": "false",
        "issuer": discovery["issuer"],
        "authorizationUrl": discovery["authorization_endpoint"],
        "tokenUrl": discovery["token_endpoint"],
        "userInfoUrl": discovery["userinfo_endpoint"],
        "jwksUrl": discovery["jwks_uri"],
    }
    assert expected_config.items() <= provider["config"].items()
    mappers = mappers_by_name(admin_http, realm)
    assert {name: (m["identityProviderMapper"], m["config"]) for name, m in mappers.items()} == {
        "engineering -> engineer": (
            "oidc-role-idp-mapper",
            {"claim": "groups", "claim.value": "engineering", "role": "engineer", "syncMode": "INHERIT"},
        ),
        "default role: member": ("oidc-hardcoded-role-idp-mapper", {"role": "member", "syncMode": "INHERIT"}),
    }
    assert Counter(admin_writes(admin_http, realm, since)) == {
        ("CREATE", "REALM_ROLE"): 2,
        ("CREATE", "IDENTITY_PROVIDER"): 1,
        ("CREATE", "IDENTITY_PROVIDER_MAPPER"): 2,
    }
    assert provisioner_logins(admin_http, provisioner, since) == 1  # four resources, one login
    [roles] = resources_of(project, "RealmRoles")
    assert roles["outputs"]["names"] == ["engineer", "member"]
    assert roles["outputs"]["created"] == {"engineer": True, "member": True}
    # Keycloak sees a mapper only once the role it grants exists.
    assert all(roles["urn"] in mapper["dependencies"] for mapper in resources_of(project, "IdpMapper"))
    # The login redeems the customer's code with the stored secret: it is the right one.
    alice = login(keycloak, customer, realm, ORGANIZATION, "alice")
    assert alice.signed_in, alice.detail
    assert {"engineer", "member"} <= realm_roles(admin_http, realm, "alice")

    # 2. No change in the spec: nothing changes, and Keycloak is not even asked.
    since = now_ms()
    same = run(project.stack.up)
    assert same.summary.resource_changes == {"same": 6}
    assert admin_writes(admin_http, realm, since) == []
    assert provisioner_logins(admin_http, provisioner, since) == 0

    # 3. One more mapping: its mapper, and its (new) role added to the roles; nothing else.
    mappings[FINANCE] = "accountant"
    project.write_config(
        organization_config(keycloak, realm, customer.discovery_url, customer.client_id, mappings)
    )
    since = now_ms()
    added = run(project.stack.up)
    assert added.summary.resource_changes == {"create": 1, "update": 1, "same": 5}
    assert Counter(admin_writes(admin_http, realm, since)) == {
        ("CREATE", "REALM_ROLE"): 1,
        ("CREATE", "IDENTITY_PROVIDER_MAPPER"): 1,
    }
    finance_name = naming.group_mapper_name(ORGANIZATION, FINANCE)  # ASCII, with a hash of the name
    assert finance_name.startswith("acme-keycloak-mapper-Finanzas-Contabilidad-")
    assert any(r["urn"].endswith(f"::{finance_name}") for r in resources_of(project, "IdpMapper"))
    assert mappers_by_name(admin_http, realm)[f"{FINANCE} -> accountant"]["config"]["claim.value"] == FINANCE
    assert login(keycloak, customer, realm, ORGANIZATION, "bob").signed_in
    assert {"accountant", "member"} <= realm_roles(admin_http, realm, "bob")
    assert "engineer" not in realm_roles(admin_http, realm, "bob")

    # 4. The customer rotates the secret: logins fail until the new one reaches the broker,
    #    which is an in-place update of the identity provider and nothing else.
    second_secret = secrets.token_urlsafe(24)
    customer.set_client_secret(second_secret)
    assert not login(keycloak, customer, realm, ORGANIZATION, "alice").signed_in
    set_secret(project, second_secret)
    since = now_ms()
    rotated = run(project.stack.up)
    assert rotated.summary.resource_changes == {"update": 1, "same": 6}
    assert admin_writes(admin_http, realm, since) == [("UPDATE", "IDENTITY_PROVIDER")]
    assert provisioner_logins(admin_http, provisioner, since) == 1
    assert login(keycloak, customer, realm, ORGANIZATION, "alice").signed_in

    # 5. Out of band: a mapper and a role deleted, the provider's display name and token URL
    #    changed. Refresh drops the mapper and the role and records the drift; up restores all.
    engineering_id = mappers_by_name(admin_http, realm)["engineering -> engineer"]["id"]
    admin_http.call("DELETE", f"/{realm}/identity-provider/instances/{ORGANIZATION}/mappers/{engineering_id}")
    changed = admin_http.get(f"/{realm}/identity-provider/instances/{ORGANIZATION}")
    changed["displayName"] = "Renamed by hand"
    changed["config"]["tokenUrl"] = "http://127.0.0.1:9/token"  # config keeps the masked secret
    admin_http.call("PUT", f"/{realm}/identity-provider/instances/{ORGANIZATION}", json=changed)
    admin_http.call("DELETE", f"/{realm}/roles/accountant")
    since = now_ms()
    run(project.stack.refresh)
    assert provisioner_logins(admin_http, provisioner, since) == 1  # five resources, one login
    names = [r["outputs"]["name"] for r in resources_of(project, "IdpMapper")]
    assert sorted(names) == sorted(["default role: member", f"{FINANCE} -> accountant"])
    assert resources_of(project, "RealmRoles")[0]["outputs"]["names"] == ["engineer", "member"]
    since = now_ms()
    restored = run(project.stack.up)
    assert restored.summary.resource_changes == {"create": 1, "update": 2, "same": 4}
    assert Counter(admin_writes(admin_http, realm, since)) == {
        ("CREATE", "REALM_ROLE"): 1,
        ("CREATE", "IDENTITY_PROVIDER_MAPPER"): 1,
        ("UPDATE", "IDENTITY_PROVIDER"): 1,
    }
    assert resources_of(project, "RealmRoles")[0]["outputs"]["names"] == ["accountant", "engineer", "member"]
    provider = admin_http.get(f"/{realm}/identity-provider/instances/{ORGANIZATION}")
    assert (provider["displayName"], provider["config"]["tokenUrl"]) == (
        "Acme Corp",
        discovery["token_endpoint"],
    )
    assert set(mappers_by_name(admin_http, realm)) == {
        "engineering -> engineer",
        f"{FINANCE} -> accountant",
        "default role: member",
    }
    assert login(keycloak, customer, realm, ORGANIZATION, "alice").signed_in  # the secret survived the repair

    # 6. A new alias: a new identity provider and new mappers, then the old ones go.
    new_redirect_uri = f"{keycloak.url}/realms/{realm}/broker/acme-eu/endpoint"
    customer.allow_redirect(new_redirect_uri)
    config = organization_config(
        keycloak, realm, customer.discovery_url, customer.client_id, mappings, alias="acme-eu"
    )
    project.write_config(config)
    since = now_ms()
    moved = run(project.stack.up)
    assert moved.summary.resource_changes == {"replace": 4, "same": 3}
    assert moved.outputs["redirectUri"].value == new_redirect_uri
    assert moved.outputs["connectionId"].value == "acme-eu"
    created_first = [("CREATE", "IDENTITY_PROVIDER")] + [("CREATE", "IDENTITY_PROVIDER_MAPPER")] * 3
    then_deleted = [("DELETE", "IDENTITY_PROVIDER_MAPPER")] * 3 + [("DELETE", "IDENTITY_PROVIDER")]
    assert admin_writes(admin_http, realm, since) == created_first + then_deleted
    assert [idp["alias"] for idp in admin_http.get(f"/{realm}/identity-provider/instances")] == ["acme-eu"]
    assert len(admin_http.get(f"/{realm}/identity-provider/instances/acme-eu/mappers")) == 3
    # Users who signed in through the old alias are linked to it; Keycloak asks them to link their
    # account anew (that is Keycloak's first-broker-login flow). A new user goes straight through,
    # and one in no mapped group gets the default role only.
    assert login(keycloak, customer, realm, "acme-eu", "carol").signed_in
    assert {"member"} <= realm_roles(admin_http, realm, "carol")
    assert not {"engineer", "accountant"} & realm_roles(admin_http, realm, "carol")

    # 7. Destroy: the identity provider and its mappers go; the shared roles stay.
    since = now_ms()
    run(project.stack.destroy)
    assert project.stack.export_stack().deployment.get("resources", []) == []
    assert admin_http.get(f"/{realm}/identity-provider/instances") == []
    assert Counter(admin_writes(admin_http, realm, since)) == {
        ("DELETE", "IDENTITY_PROVIDER_MAPPER"): 3,
        ("DELETE", "IDENTITY_PROVIDER"): 1,
    }
    assert provisioner_logins(admin_http, provisioner, since) == 1  # five deletes, one login
    assert {"engineer", "accountant", "member"} <= {
        role["name"] for role in admin_http.get(f"/{realm}/roles")
    }

    # Secrets: encrypted in the state, never printed.
    for text in [*printed, project.state_text()]:
        for secret in (first_secret, second_secret, provisioner.password, keycloak.admin_password):
            assert secret not in text


def as_recorded_with_one_resource_per_role(deployment: dict[str, Any]) -> dict[str, Any]:
    """`deployment` as the release before KeycloakRealmRoles recorded it (2edc4ef; the shape checked
    against a real run of that release): one `keycloak:RealmRole` per role in place of the roles
    resource, its provider pickled by reference to realm_role.py, and each mapper depending on the
    role it grants."""
    resources = deployment["resources"]
    index, roles = next((i, r) for i, r in enumerate(resources) if r["type"] == f"{TYPE}:RealmRoles")
    inputs = roles["inputs"]
    provider = {**inputs["__provider"], "plaintext": json.dumps(RECORDED_PROVIDER)}
    old_roles: dict[str, dict[str, Any]] = {}
    for name in inputs["names"]:
        props = {
            "url": inputs["url"],
            "realm": inputs["realm"],
            "name": name,
            "create_missing": inputs["create_missing"],
        }
        old_roles[name] = {
            **roles,
            "urn": roles["urn"].replace(
                f"keycloak:RealmRoles::{naming.realm_roles_name(ORGANIZATION)}",
                f"keycloak:RealmRole::{ORGANIZATION}-keycloak-role-{safe_part(name)}",
            ),
            "type": f"{TYPE}:RealmRole",
            "id": f"{inputs['realm']}/{name}",
            "inputs": {**props, "__provider": provider},
            "outputs": {**props, "created": roles["outputs"]["created"][name], "__provider": provider},
            "propertyDependencies": {key: [] for key in [*props, "__provider"]},
        }
    for resource in resources:
        if roles["urn"] in resource.get("dependencies", []):
            granted = old_roles[resource["inputs"]["config"]["role"]]["urn"]
            resource["dependencies"] = [granted if d == roles["urn"] else d for d in resource["dependencies"]]
    resources[index : index + 1] = list(old_roles.values())
    return deployment


def test_the_first_up_after_upgrading_deletes_the_per_role_resources_and_no_role(
    stack_project: Callable[..., StackProject],
    keycloak: KeycloakServer,
    admin_http: AdminHttp,
    customer: CustomerIdp,
    broker_realm: str,
    provisioner: Provisioner,
) -> None:
    realm = broker_realm
    customer.allow_redirect(f"{keycloak.url}/realms/{realm}/broker/{ORGANIZATION}/endpoint")
    mappings = {"engineering": "engineer", FINANCE: "accountant"}
    config = organization_config(keycloak, realm, customer.discovery_url, customer.client_id, mappings)
    project = stack_project(ORGANIZATION, config, env=provisioner.env())
    set_secret(project, customer.client_secret)
    project.stack.up(show_secrets=False)
    exported = project.stack.export_stack()
    as_recorded_with_one_resource_per_role(exported.deployment)
    project.stack.import_stack(exported)
    assert len(resources_of(project, "RealmRole")) == 3 and resources_of(project, "RealmRoles") == []

    refreshed = project.stack.refresh(show_secrets=False)  # the old resources: read as recorded
    assert refreshed.summary.resource_changes == {"same": 9}
    since = now_ms()
    previewed = project.stack.preview()
    upgraded = project.stack.up(show_secrets=False)

    # The old resources go through their recorded provider, which deletes nothing in Keycloak.
    assert previewed.change_summary == {"create": 1, "delete": 3, "same": 6}
    assert upgraded.summary.resource_changes == {"create": 1, "delete": 3, "same": 6}
    assert admin_writes(admin_http, realm, since) == []
    assert provisioner_logins(admin_http, provisioner, since) == 1  # the roles' create: three 409s
    assert {"engineer", "accountant", "member"} <= {
        role["name"] for role in admin_http.get(f"/{realm}/roles")
    }
    [roles] = resources_of(project, "RealmRoles")
    assert roles["outputs"]["created"] == {"accountant": False, "engineer": False, "member": False}
    assert all(roles["urn"] in mapper["dependencies"] for mapper in resources_of(project, "IdpMapper"))
    assert login(keycloak, customer, realm, ORGANIZATION, "bob").signed_in
    assert {"accountant", "member"} <= realm_roles(admin_http, realm, "bob")
    assert project.stack.up(show_secrets=False).summary.resource_changes == {"same": 7}


def test_discovery_check_fails_the_preview_before_keycloak_is_called(
    stack_project: Callable[..., StackProject],
    keycloak: KeycloakServer,
    admin_http: AdminHttp,
    broker_realm: str,
    provisioner: Provisioner,
) -> None:
    async def document(request: Request) -> JSONResponse:
        issuer = str(request.base_url).rstrip("/") + "/" + request.path_params["tenant"]
        if request.path_params["tenant"] == "no-endpoints":
            return JSONResponse({"issuer": issuer, "response_types_supported": ["code"]})
        return JSONResponse(
            {
                "issuer": "https://login.example.com/someone-else",
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
            }
        )

    app = Starlette(routes=[Route("/{tenant}/.well-known/openid-configuration", document)])
    with ServedApp(app) as served:
        lacking = f"{served.url}/no-endpoints/.well-known/openid-configuration"
        mismatched = f"{served.url}/mismatch/.well-known/openid-configuration"
        config = organization_config(keycloak, broker_realm, lacking, "broker", {"engineering": "engineer"})
        project = stack_project(ORGANIZATION, config, env=provisioner.env())
        set_secret(project, "never-used-secret-5f1c")
        since = now_ms()
        with pytest.raises(auto.CommandError) as lacks:
            project.stack.preview()
        project.write_config(
            organization_config(keycloak, broker_realm, mismatched, "broker", {"engineering": "engineer"})
        )
        with pytest.raises(auto.CommandError) as mismatch:
            project.stack.preview()

    prefix = f"stacks/Pulumi.{ORGANIZATION}.yaml: ssoprov:organization.identityProvider.discoveryUrl: "
    assert prefix + f"{lacking} lacks authorization_endpoint, token_endpoint, jwks_uri" in str(lacks.value)
    assert prefix + f"{mismatched} names issuer 'https://login.example.com/someone-else'" in str(
        mismatch.value
    )
    for error in (lacks.value, mismatch.value):
        assert "Fix: ask the customer's IT team" in str(error)
        assert "never-used-secret-5f1c" not in str(error)
    assert admin_http.get(f"/{broker_realm}/identity-provider/instances") == []
    assert provisioner_logins(admin_http, provisioner, since) == 0
