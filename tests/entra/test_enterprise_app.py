"""The enterprise-application provider: create (or adopt), assignment required, drift, delete."""

from __future__ import annotations

from typing import Any

import pytest

from ssoprov.entra.enterprise_app import _EntraEnterpriseAppProvider
from tests.entra.conftest import ServedGraph

provider = _EntraEnterpriseAppProvider()
LONG_AGO = "2020-01-01T00:00:00+00:00"


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def inputs(app: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "application_object_id": app["id"],
        "app_id": app["appId"],
        "assignment_required": required,
    }


def test_create_update_read_delete(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    created = provider.create(inputs(app))
    principal = store.get_service_principal_by_app_id(app["appId"])
    assert created.id == principal["id"] and principal["appRoleAssignmentRequired"] is True
    assert created.outs is not None and provider.diff(created.id, created.outs, inputs(app)).changes is False

    diff = provider.diff(created.id, created.outs, inputs(app, required=False))
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, created.outs, inputs(app, required=False)).outs
    assert store.get_service_principal(created.id)["appRoleAssignmentRequired"] is False
    assert updated is not None and updated["created_at"] == created.outs["created_at"]

    store.update_service_principal(created.id, {"appRoleAssignmentRequired": True})  # the portal
    read = provider.read(created.id, updated).outs
    assert read is not None and read["assignment_required"] is True
    assert provider.diff(created.id, read, inputs(app, required=False)).changes is True

    provider.delete(created.id, read)
    assert all(sp["appId"] != app["appId"] for sp in store.list_service_principals())
    assert provider.read(created.id, {**read, "created_at": LONG_AGO}).id is None
    provider.delete(created.id, read)  # already gone is fine


def test_an_existing_service_principal_is_adopted_as_the_spec_says(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    existing = store.create_service_principal({"appId": app["appId"], "appRoleAssignmentRequired": False})
    created = provider.create(inputs(app, required=True))
    assert created.id == existing["id"]
    assert store.get_service_principal(existing["id"])["appRoleAssignmentRequired"] is True


def test_another_application_replaces_the_app_id_alone_does_not_count() -> None:
    olds = {**inputs({"id": "o1", "appId": "a1"}), "object_id": "sp", "created_at": LONG_AGO}
    assert provider.diff("sp", olds, inputs({"id": "o2", "appId": "a2"})).replaces == [
        "application_object_id"
    ]
    # While an app update is previewed its appId output is unknown: that must not look like a change.
    assert provider.diff("sp", olds, {**inputs({"id": "o1", "appId": "a1"}), "app_id": None}).changes is False
