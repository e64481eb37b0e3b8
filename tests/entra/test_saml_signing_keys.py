"""The rollover's Entra side against the Graph stand-in: the first token-signing certificate signs
at once, a due one gets exactly one staged successor however often a run repeats, and no switch to a
certificate the broker does not trust."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ssoprov.clock import AS_OF_VARIABLE, parse_timestamp
from ssoprov.entra.saml_app import _EntraSamlAppProvider
from ssoprov.entra.saml_signing_keys import _EntraSamlSigningKeysProvider
from ssoprov.entra.saml_signing_switch import _EntraSamlSigningSwitchProvider
from ssoprov.errors import ProvisionerError
from tests.entra.conftest import ServedGraph

keys_provider = _EntraSamlSigningKeysProvider()
switch_provider = _EntraSamlSigningSwitchProvider()
ACS = "https://sso.example.com/realms/customers/broker/acme/endpoint"


@pytest.fixture
def service_principal(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    app = _EntraSamlAppProvider().create(
        {
            "tenant_id": "contoso.example",
            "display_name": "Acme Corporation",
            "identifier_uri": f"{ACS}/descriptor",
            "reply_url": ACS,
            "group_membership_claims": "ApplicationGroup",
            "assignment_required": True,
        }
    )
    return app.id


def key_inputs(service_principal: str) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "service_principal_id": service_principal,
        "subject": "CN=Acme Corporation SSO",
        "rotate_before_expiry_days": 30,
    }


def test_the_first_certificate_signs_at_once_and_a_due_one_is_staged_once_then_switched_to(
    graph: ServedGraph, service_principal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = graph.standin.store
    props = key_inputs(service_principal)
    first = keys_provider.create(props).outs
    assert first is not None and first["staged_kid"] is None
    principal = store.get_service_principal(service_principal)
    assert principal["preferredTokenSigningKeyThumbprint"] == first["signing_kid"] == first["next_kid"]
    assert first["trusted_certificates"] == [first["next_certificate"]]
    assert keys_provider.diff("k", first, props).changes is False  # three years left

    due_day = parse_timestamp(first["signing_expires_at"]) - timedelta(days=29)
    monkeypatch.setenv(AS_OF_VARIABLE, due_day.date().isoformat())
    assert keys_provider.diff("k", first, props).changes is True
    staged = keys_provider.update("k", first, props).outs
    again = keys_provider.update("k", staged, props).outs
    assert staged is not None and again is not None
    assert staged["staged_kid"] and staged["staged_kid"] == again["staged_kid"] == staged["next_kid"]
    assert staged["signing_kid"] == first["signing_kid"]  # (a): the new one does not sign yet
    assert len(staged["trusted_certificates"]) == 2
    assert (
        len([c for c in store.stored_service_principals()[-1]["keyCredentials"] if c["usage"] == "Verify"])
        == 2
    )

    switch = {
        "tenant_id": "contoso.example",
        "service_principal_id": service_principal,
        "thumbprint": staged["next_kid"],
        "certificate": staged["next_certificate"],
        "broker_trusted": [first["next_certificate"]],
    }
    with pytest.raises(ProvisionerError, match="the broker does not trust its certificate yet"):
        switch_provider.create(switch)
    assert (
        store.get_service_principal(service_principal)["preferredTokenSigningKeyThumbprint"]
        == first["signing_kid"]
    )
    switch_provider.create({**switch, "broker_trusted": staged["trusted_certificates"]})
    assert (
        store.get_service_principal(service_principal)["preferredTokenSigningKeyThumbprint"]
        == staged["next_kid"]
    )

    monkeypatch.delenv(AS_OF_VARIABLE)
    done = keys_provider.read("k", staged).outs
    assert done is not None and done["signing_kid"] == staged["next_kid"] and done["staged_kid"] is None
    assert done["trusted_certificates"] == [staged["next_certificate"]]
