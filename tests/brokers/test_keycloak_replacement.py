"""Replacing the identity provider on the real Pulumi CLI, in the order Keycloak needs.

A provider_id change keeps the alias, which Keycloak holds unique: the old provider (and its
mappers) must go before the new one is made. The organization spec cannot express that change
for one IdP kind, so a small program (`keycloak_program`) declares the resources from config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pulumi import automation as auto

from sandbox.keycloak import KeycloakServer
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import admin_writes, create_broker_realm, now_ms
from tests.support.projects import REPO, StackProject

PROGRAM = REPO / "tests" / "brokers" / "keycloak_program"
SECRET = "replacement-check-secret-0b7d"


@pytest.fixture
def realm(admin_http: AdminHttp) -> Iterator[str]:
    name = create_broker_realm(admin_http)
    yield name
    admin_http.call("DELETE", f"/{name}")


def test_a_new_provider_id_deletes_the_old_provider_and_its_mappers_first(
    stack_project: Callable[..., StackProject], keycloak: KeycloakServer, admin_http: AdminHttp, realm: str
) -> None:
    config = {
        "check:url": keycloak.url,
        "check:realm": realm,
        "check:alias": "acme",
        "check:providerId": "oidc",
        "check:discoveryUrl": f"{keycloak.url}/realms/master/.well-known/openid-configuration",
    }
    env = {
        "KEYCLOAK_ADMIN_USERNAME": keycloak.admin_username,
        "KEYCLOAK_ADMIN_PASSWORD": keycloak.admin_password,
    }
    project = stack_project("replacement", config, program_dir=PROGRAM, env=env)
    project.stack.set_config("check:clientSecret", auto.ConfigValue(SECRET, secret=True))
    assert project.stack.up(show_secrets=False).summary.resource_changes == {"create": 3}
    [old_mapper] = admin_http.get(f"/{realm}/identity-provider/instances/acme/mappers")

    project.stack.set_config("check:providerId", auto.ConfigValue("microsoft"))
    since = now_ms()
    replaced = project.stack.up(show_secrets=False)
    assert replaced.summary.resource_changes == {"replace": 2, "same": 1}
    assert admin_writes(admin_http, realm, since) == [
        ("DELETE", "IDENTITY_PROVIDER_MAPPER"),
        ("DELETE", "IDENTITY_PROVIDER"),
        ("CREATE", "IDENTITY_PROVIDER"),
        ("CREATE", "IDENTITY_PROVIDER_MAPPER"),
    ]
    assert admin_http.get(f"/{realm}/identity-provider/instances/acme")["providerId"] == "microsoft"
    [new_mapper] = admin_http.get(f"/{realm}/identity-provider/instances/acme/mappers")
    assert new_mapper["id"] != old_mapper["id"] and new_mapper["name"] == "default role: member"

    project.stack.destroy(show_secrets=False)
    assert admin_http.get(f"/{realm}/identity-provider/instances") == []
    assert SECRET not in project.state_text()
