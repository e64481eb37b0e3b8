"""The WorkOS connection provider: exact diffs, and create/read/update/delete against the stand-in."""

from __future__ import annotations

import time

import pytest

from sandbox.workos import GLOBEX, INITECH
from ssoprov.brokers.workos.connection import INPUT_KEYS, _spec, _WorkosConnectionProvider
from ssoprov.errors import ProvisionerError
from tests.workos.conftest import WorkosSandbox

INPUTS = {
    "organization_id": INITECH.id,
    "connection_type": "GenericOIDC",
    "name": "Initech",
    "external_id": "initech-oidc",
    "discovery_endpoint": "https://idp.initech.example/.well-known/openid-configuration",
    "client_id": "initech-sso",
    "client_secret": "first-secret",
    "token_authentication_method": "client_secret_basic",
    "redirect_uri": "https://auth.example.com/callback",
    "groups_claim": "groups",
}
STATE = {**INPUTS, "state": "active", "__provider": "pickled"}

provider = _WorkosConnectionProvider()


@pytest.fixture
def workos_env(workos_sandbox: WorkosSandbox, monkeypatch: pytest.MonkeyPatch) -> WorkosSandbox:
    for name, value in workos_sandbox.env().items():
        monkeypatch.setenv(name, value)
    return workos_sandbox


def test_diff_reports_nothing_when_inputs_match_state() -> None:
    assert provider.diff("conn_1", STATE, {**INPUTS, "__provider": "pickled"}).changes is False


@pytest.mark.parametrize(
    "key",
    [
        "client_secret",
        "client_id",
        "discovery_endpoint",
        "name",
        "redirect_uri",
        "groups_claim",
        "token_authentication_method",
    ],
)
def test_option_changes_update_in_place(key: str) -> None:
    result = provider.diff("conn_1", STATE, {**INPUTS, key: "https://changed.example/x"})
    assert result.changes is True and result.replaces == []


def test_a_type_change_deletes_the_old_connection_first() -> None:
    result = provider.diff("conn_1", STATE, {**INPUTS, "connection_type": "OktaOIDC"})
    assert result.replaces == ["connection_type"] and result.delete_before_replace is True


def test_a_move_to_another_organization_creates_before_deleting() -> None:
    result = provider.diff("conn_1", STATE, {**INPUTS, "organization_id": GLOBEX.id})
    assert result.replaces == ["organization_id"] and result.delete_before_replace is False


def test_create_read_update_delete(workos_env: WorkosSandbox) -> None:
    store = workos_env.stand_in.store
    store.deletion_seconds = 0.3
    created = provider.create(dict(INPUTS))
    assert [call.label() for call in workos_env.calls()] == [
        "POST /connections",
        f"PATCH /connections/{created.id}",
    ]
    assert created.outs == {**INPUTS, "state": "active"}
    assert store.connection(created.id).oidc.client_secret == "first-secret"

    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)

    updated = provider.update(created.id, created.outs, {**INPUTS, "client_secret": "second-secret"})
    assert updated.outs["client_secret"] == "second-secret"
    assert store.connection(created.id).oidc.client_secret == "second-secret"

    provider.delete(created.id, updated.outs)
    assert store.connection(created.id).state == "deleting"  # WorkOS finishes it on its own
    assert provider.read(created.id, updated.outs).id is None  # being deleted: dropped from state
    provider.delete(created.id, updated.outs)  # deleting what is being deleted succeeds

    time.sleep(store.deletion_seconds)
    assert store.connection(created.id) is None
    provider.delete(created.id, updated.outs)  # deleting what is gone succeeds
    assert provider.read(created.id, updated.outs).id is None  # gone: dropped from state


def test_create_adopts_its_own_connection_with_current_options(workos_env: WorkosSandbox) -> None:
    first = provider.create(dict(INPUTS))
    again = provider.create({**INPUTS, "client_secret": "newer"})
    assert again.id == first.id
    assert workos_env.stand_in.store.connection(first.id).oidc.client_secret == "newer"


def test_create_refuses_to_adopt_a_connection_of_another_type(workos_env: WorkosSandbox) -> None:
    provider.create({**INPUTS, "connection_type": "OktaOIDC"})
    with pytest.raises(ProvisionerError, match="already has this external_id but is a OktaOIDC connection"):
        provider.create(dict(INPUTS))


def test_missing_api_key_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKOS_API_KEY", raising=False)
    with pytest.raises(ProvisionerError, match="WORKOS_API_KEY is not set"):
        provider.create(dict(INPUTS))


def test_every_input_is_required() -> None:
    for key in INPUT_KEYS:
        with pytest.raises(ValueError, match=key):
            provider.create({**INPUTS, key: ""})


def test_the_groups_claim_may_be_absent() -> None:
    assert _spec({**INPUTS, "groups_claim": None}).groups_claim is None
