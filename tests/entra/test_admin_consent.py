"""The admin-consent provider: grant, adopt, drift, scope changes, revoke."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.graph.seed import MICROSOFT_GRAPH_APP_ID
from ssoprov.entra.admin_consent import _EntraAdminConsentProvider
from tests.entra.conftest import ServedGraph

provider = _EntraAdminConsentProvider()
LONG_AGO = "2020-01-01T00:00:00+00:00"


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def client_principal(graph: ServedGraph) -> str:
    store = graph.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    return store.create_service_principal({"appId": app["appId"]})["id"]


def inputs(client: str, scopes: list[str]) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "client_service_principal_id": client,
        "resource_app_id": MICROSOFT_GRAPH_APP_ID,
        "scopes": scopes,
    }


def test_grant_update_read_revoke(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    graph_sp = store.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)["id"]
    client = client_principal(graph_env)
    created = provider.create(inputs(client, ["openid", "profile", "email"]))
    [grant] = store.grants_of(client)
    assert created.id == grant["id"] and grant["consentType"] == "AllPrincipals"
    assert grant["resourceId"] == graph_sp and sorted(grant["scope"].split()) == [
        "email",
        "openid",
        "profile",
    ]
    assert created.outs is not None
    # Order means nothing to a grant: a second up with the scopes in another order is a no-op.
    assert (
        provider.diff(created.id, created.outs, inputs(client, ["openid", "email", "profile"])).changes
        is False
    )

    narrower = inputs(client, ["openid", "profile"])
    diff = provider.diff(created.id, created.outs, narrower)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, created.outs, narrower).outs
    assert store.get_grant(created.id)["scope"].split() == ["openid", "profile"]

    store.update_grant(created.id, {"scope": "openid profile User.Read"})  # an admin in the portal
    read = provider.read(created.id, updated).outs
    assert read is not None and read["scopes"] == ["User.Read", "openid", "profile"]
    assert provider.diff(created.id, read, narrower).changes is True

    provider.delete(created.id, read)
    assert store.grants_of(client) == []
    assert provider.read(created.id, {**read, "created_at": LONG_AGO}).id is None
    provider.delete(created.id, read)  # already revoked is fine


def test_read_rebuilds_every_input_from_graph(graph_env: ServedGraph) -> None:
    """What an import (adoption) has: the grant id and the tenant, nothing else."""
    client = client_principal(graph_env)
    created = provider.create(inputs(client, ["email", "openid"]))
    read = provider.read(created.id, {"tenant_id": "contoso.example"}).outs
    assert read is not None
    assert {key: read[key] for key in inputs(client, [])} == inputs(client, ["email", "openid"])


def test_an_existing_tenant_wide_grant_is_adopted_and_set_as_the_spec_says(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    graph_sp = store.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)["id"]
    client = client_principal(graph_env)
    existing = store.create_grant(
        {"clientId": client, "consentType": "AllPrincipals", "resourceId": graph_sp, "scope": "User.Read"}
    )
    created = provider.create(inputs(client, ["openid", "profile"]))
    assert created.id == existing["id"]
    assert store.get_grant(existing["id"])["scope"].split() == ["openid", "profile"]


def test_a_grant_adopted_with_its_scopes_as_made_is_not_rewritten(graph_env: ServedGraph) -> None:
    """adoption.adminConsentScopes: the grant made by hand, recorded as it is."""
    store = graph_env.standin.store
    graph_sp = store.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)["id"]
    client = client_principal(graph_env)
    as_made = "openid profile email User.Read offline_access"
    existing = store.create_grant(
        {"clientId": client, "consentType": "AllPrincipals", "resourceId": graph_sp, "scope": as_made}
    )
    kept = ["User.Read", "email", "offline_access", "openid", "profile"]
    created = provider.create(inputs(client, kept))
    assert created.id == existing["id"] and store.get_grant(existing["id"])["scope"] == as_made
    assert (
        created.outs is not None
        and provider.diff(created.id, created.outs, inputs(client, kept)).changes is False
    )
