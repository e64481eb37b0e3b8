"""The app-role provider: define, adopt, drift, disable-then-remove, parallel creates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ssoprov.entra.app_role import _EntraAppRoleProvider
from tests.entra.conftest import ServedGraph

provider = _EntraAppRoleProvider()
LONG_AGO = "2020-01-01T00:00:00+00:00"


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def inputs(app: str, value: str, **changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "application_object_id": app,
        "value": value,
        "display_name": value,
        "description": f"Broker role {value}",
        "allowed_member_types": ["User"],
        "enabled": True,
        **changes,
    }


def roles_of(graph: ServedGraph, app: str) -> dict[str, dict[str, Any]]:
    return {role["value"]: role for role in graph.standin.store.stored_application(app)["appRoles"]}


def test_define_update_read_remove(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})["id"]
    created = provider.create(inputs(app, "developer"))
    role = roles_of(graph_env, app)["developer"]
    assert created.id == f"{app}/{role['id']}" and created.outs is not None
    assert (role["isEnabled"], role["allowedMemberTypes"], role["displayName"]) == (
        True,
        ["User"],
        "developer",
    )
    assert provider.diff(created.id, created.outs, inputs(app, "developer")).changes is False

    renamed = inputs(app, "developer", display_name="Developers")
    assert provider.diff(created.id, created.outs, renamed).replaces == []
    updated = provider.update(created.id, created.outs, renamed).outs
    assert roles_of(graph_env, app)["developer"]["displayName"] == "Developers"

    # An admin disables the role in the portal: refresh shows it, the next up enables it again.
    disabled = [{**roles_of(graph_env, app)["developer"], "isEnabled": False}]
    store.update_application(app, {"appRoles": disabled})
    read = provider.read(created.id, updated).outs
    assert read is not None and read["enabled"] is False
    assert provider.diff(created.id, read, renamed).changes is True

    graph_env.standin.calls.clear()
    provider.delete(created.id, {**read, "enabled": True})
    assert roles_of(graph_env, app) == {}
    patches = [c for c in graph_env.labels() if c.split()[1] == "PATCH"]
    assert len(patches) == 1  # already disabled: removed in one write
    assert provider.read(created.id, {**read, "created_at": LONG_AGO}).id is None
    provider.delete(created.id, read)  # already gone is fine


def test_an_enabled_role_is_disabled_then_removed(graph_env: ServedGraph) -> None:
    app = graph_env.standin.store.create_application({"displayName": "Acme Corp"})["id"]
    created = provider.create(inputs(app, "developer"))
    graph_env.standin.calls.clear()
    provider.delete(created.id, inputs(app, "developer"))
    assert [c.split(" ", 1)[1] for c in graph_env.labels() if " PATCH " in c] == [
        f"PATCH /v1.0/applications/{app}"
    ] * 2
    assert roles_of(graph_env, app) == {}


def test_read_rebuilds_every_input_from_graph(graph_env: ServedGraph) -> None:
    """What an import (adoption) has: the resource id and the tenant, nothing else."""
    app = graph_env.standin.store.create_application({"displayName": "Acme Corp"})["id"]
    created = provider.create(inputs(app, "admin"))
    read = provider.read(created.id, {"tenant_id": "contoso.example"}).outs
    assert read is not None and {k: read[k] for k in inputs(app, "admin")} == inputs(app, "admin")


def test_roles_created_in_parallel_are_all_kept(graph_env: ServedGraph) -> None:
    """Graph takes the role list whole: parallel creates must not overwrite each other."""
    app = graph_env.standin.store.create_application({"displayName": "Acme Corp"})["id"]
    values = [f"role-{n}" for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda value: provider.create(inputs(app, value)), values))
    assert sorted(roles_of(graph_env, app)) == values


def test_a_role_the_app_already_defines_is_adopted(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    existing = {
        "allowedMemberTypes": ["User"],
        "description": "made in the portal",
        "displayName": "Admins",
        "id": "3c4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51",
        "isEnabled": True,
        "origin": "Application",
        "value": "admin",
    }
    app = store.create_application({"displayName": "Acme Corp", "appRoles": [existing]})["id"]
    created = provider.create(inputs(app, "admin"))
    assert created.id == f"{app}/{existing['id']}"
    assert roles_of(graph_env, app)["admin"]["description"] == "Broker role admin"
