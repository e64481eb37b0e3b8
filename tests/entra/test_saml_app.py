"""The Entra SAML application provider: create (template, SAML settings), drift made
in the admin center put back, a failed create leaving nothing behind, delete."""

from __future__ import annotations

from typing import Any

import pytest

from ssoprov.entra.saml_app import _EntraSamlAppProvider
from ssoprov.errors import ProvisionerError
from tests.entra.conftest import ServedGraph

provider = _EntraSamlAppProvider()
LONG_AGO = "2020-01-01T00:00:00+00:00"
ACS = "https://sso.example.com/realms/customers/broker/acme/endpoint"


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def inputs(**changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "display_name": "Acme Corporation",
        "identifier_uri": f"{ACS}/descriptor",
        "reply_url": ACS,
        "group_membership_claims": "ApplicationGroup",
        "assignment_required": True,
        **changes,
    }


def test_create_reads_back_exactly_and_drift_in_the_admin_center_is_put_back(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    created = provider.create(inputs())
    outs = created.outs
    assert outs is not None and created.id == outs["service_principal_id"]
    assert {key: outs[key] for key in inputs()} == inputs()
    assert provider.diff(created.id, outs, inputs()).changes is False
    assert store.get_service_principal(created.id)["preferredSingleSignOnMode"] == "saml"
    assert outs["drifted"] == []

    # The admin center: SSO mode switched off, the groups claim cleared.
    store.update_service_principal(created.id, {"preferredSingleSignOnMode": "notSupported"})
    store.update_application(outs["application_object_id"], {"groupMembershipClaims": None})
    read = provider.read(created.id, outs).outs
    assert read is not None and read["drifted"] == ["preferredSingleSignOnMode"]
    assert read["group_membership_claims"] is None
    diff = provider.diff(created.id, read, inputs())
    assert diff.changes is True and diff.replaces == []

    updated = provider.update(created.id, read, inputs()).outs
    assert (
        updated is not None
        and updated["drifted"] == []
        and updated["group_membership_claims"] == "ApplicationGroup"
    )
    assert store.get_service_principal(created.id)["preferredSingleSignOnMode"] == "saml"

    provider.delete(created.id, updated)
    assert store.find_application("Acme Corporation") is None
    assert all(sp["appId"] != outs["app_id"] for sp in store.stored_service_principals())
    assert provider.read(created.id, {**updated, "created_at": LONG_AGO}).id is None
    provider.delete(created.id, updated)  # already gone is fine


def test_a_create_graph_refuses_midway_leaves_no_application_behind(graph_env: ServedGraph) -> None:
    with pytest.raises(ProvisionerError, match=r"updating application .*'web'"):
        provider.create(inputs(reply_url="ftp://not-a-reply-url.example"))

    store = graph_env.standin.store
    assert store.find_application("Acme Corporation") is None
    assert not [sp for sp in store.stored_service_principals() if sp["displayName"] == "Acme Corporation"]
