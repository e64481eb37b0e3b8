"""The assignment provider: one principal assigned to one enterprise application."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.graph.seed import CONTOSO
from ssoprov.entra.assignment import DEFAULT_APP_ROLE_ID, _EntraAssignmentProvider
from tests.entra.conftest import ServedGraph

provider = _EntraAssignmentProvider()
LONG_AGO = "2020-01-01T00:00:00+00:00"


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def inputs(service_principal_id: str, principal: str = "Engineering", **changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "service_principal_id": service_principal_id,
        "principal_id": CONTOSO.group(principal).id,
        "principal_name": principal,
        "app_role_id": DEFAULT_APP_ROLE_ID,
        **changes,
    }


def test_assign_read_unassign(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    principal = store.create_service_principal({"appId": app["appId"], "appRoleAssignmentRequired": True})
    created = provider.create(inputs(principal["id"]))
    (assignment,) = store.assignments_of(principal["id"])
    assert created.id == assignment["id"] and assignment["principalId"] == CONTOSO.group("Engineering").id
    assert assignment["appRoleId"] == DEFAULT_APP_ROLE_ID
    outs = created.outs
    assert outs is not None and outs["principal_type"] == "Group"
    assert provider.diff(created.id, outs, inputs(principal["id"])).changes is False
    assert provider.read(created.id, outs).id == created.id

    again = provider.create(inputs(principal["id"]))  # already assigned: the same assignment
    assert again.id == created.id and len(store.assignments_of(principal["id"])) == 1

    provider.delete(created.id, outs)
    assert store.assignments_of(principal["id"]) == []
    assert provider.read(created.id, {**outs, "created_at": LONG_AGO}).id is None  # removed: dropped
    provider.delete(created.id, outs)  # already unassigned is fine


def test_every_change_replaces() -> None:
    olds = {**inputs("sp"), "assignment_id": "x", "principal_type": "Group", "created_at": LONG_AGO}
    assert provider.diff("x", olds, inputs("sp", "Sales")).replaces == ["principal_id", "principal_name"]
    assert provider.diff("x", olds, inputs("sp2")).replaces == ["service_principal_id"]
    assert provider.diff("x", olds, inputs("sp")).changes is False
