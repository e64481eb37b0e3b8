"""The WorkOS client, through the real workos SDK, against the stand-in."""

from __future__ import annotations

import asyncio
import time

import pytest

from sandbox.workos import GLOBEX, INITECH
from ssoprov.brokers.workos.client import OidcConnectionSpec, WorkosClient
from ssoprov.errors import ApiError, NotFoundError, ProvisionerError, RetryBudgetExceeded
from ssoprov.retry import RetryPolicy
from tests.workos.conftest import WorkosSandbox

SECRET = "oidc-client-secret-4f1c9a"


def spec(**changes: str) -> OidcConnectionSpec:
    values = {
        "organization_id": INITECH.id,
        "name": "Initech",
        "external_id": "initech-oidc",
        "connection_type": "GenericOIDC",
        "discovery_endpoint": "https://idp.initech.example/.well-known/openid-configuration",
        "client_id": "initech-sso",
        "client_secret": SECRET,
        "token_authentication_method": "client_secret_basic",
        "redirect_uri": "https://auth.example.com/sso/callback",
        **changes,
    }
    return OidcConnectionSpec(**values)


def run(awaitable):
    return asyncio.run(awaitable)


def test_get_organization_reads_the_seeded_one_and_names_a_missing_one(workos_client: WorkosClient) -> None:
    assert run(workos_client.get_organization(GLOBEX.id)).name == "Globex"
    with pytest.raises(NotFoundError) as raised:
        run(workos_client.get_organization("org_01HV3K8Q2M7N5P4R6S9T0W1X00"))
    assert "reading organization org_01HV3K8Q2M7N5P4R6S9T0W1X00" in str(raised.value)
    assert raised.value.status == 404 and raised.value.code == "entity_not_found"


def test_create_get_update_delete_a_connection(
    workos_client: WorkosClient, workos_sandbox: WorkosSandbox
) -> None:
    created = run(workos_client.create_connection(spec()))
    assert created.id.startswith("conn_") and len(created.id) == len("conn_") + 26
    assert (created.connection_type, created.organization_id, created.state) == (
        "GenericOIDC",
        INITECH.id,
        "active",
    )
    stored = workos_sandbox.stand_in.store.connection(created.id)
    assert stored is not None and stored.external_id == "initech-oidc"
    assert (stored.oidc.client_id, stored.oidc.client_secret) == ("initech-sso", SECRET)
    assert stored.oidc.redirect_uri == "https://auth.example.com/sso/callback"
    assert stored.oidc.token_authentication_method == "client_secret_basic"

    assert run(workos_client.get_connection(created.id)) == created

    updated = run(
        workos_client.update_connection(created.id, spec(client_secret="rotated", name="Initech Corp"))
    )
    assert updated.id == created.id and updated.name == "Initech Corp"
    assert workos_sandbox.stand_in.store.connection(created.id).oidc.client_secret == "rotated"
    run(workos_client.update_connection(created.id, spec(token_authentication_method="client_secret_post")))
    assert stored.oidc.token_authentication_method == "client_secret_post"

    workos_sandbox.stand_in.store.deletion_seconds = 0  # this test is not about the deleting state
    run(workos_client.delete_connection(created.id))
    with pytest.raises(NotFoundError) as raised:
        run(workos_client.get_connection(created.id))
    assert f"reading connection {created.id}" in str(raised.value)


def test_create_with_an_existing_external_id_returns_that_connection(
    workos_client: WorkosClient, workos_sandbox: WorkosSandbox
) -> None:
    first = run(workos_client.create_connection(spec()))
    again = run(workos_client.create_connection(spec(client_secret="other")))
    assert again.id == first.id
    assert [c.id for c in workos_sandbox.stand_in.store.connections_of(INITECH.id)] == [first.id]
    assert workos_sandbox.stand_in.store.connection(first.id).oidc.client_secret == SECRET


def test_refusals_say_what_was_being_done_and_why(workos_client: WorkosClient) -> None:
    with pytest.raises(ApiError) as raised:
        run(workos_client.create_connection(spec(discovery_endpoint="http://idp.example/.well-known/x")))
    assert raised.value.status == 422 and raised.value.code == "discovery_endpoint_must_use_https"
    assert "creating GenericOIDC connection 'initech-oidc' in organization" in str(raised.value)

    with pytest.raises(NotFoundError) as missing_org:
        run(workos_client.create_connection(spec(organization_id="org_01HV3K8Q2M7N5P4R6S9T0W1X00")))
    assert "Organization not found: 'org_01HV3K8Q2M7N5P4R6S9T0W1X00'" in str(missing_org.value)


def test_a_wrong_api_key_fails_at_once_with_the_fix(workos_sandbox: WorkosSandbox) -> None:
    client = WorkosClient("sk_test_wrong", workos_sandbox.url)
    with pytest.raises(ApiError) as raised:
        run(client.get_connection("conn_01HV3K8Q2M7N5P4R6S9T0W1X2Y"))
    assert raised.value.status == 401
    assert "WORKOS_API_KEY" in str(raised.value)
    assert "sk_test_wrong" not in str(raised.value)
    assert len(workos_sandbox.calls()) == 1


def test_throttling_waits_as_long_as_retry_after_asks(
    workos_client: WorkosClient, workos_sandbox: WorkosSandbox
) -> None:
    workos_sandbox.stand_in.faults.configure(throttle_count=1, throttle_wait_seconds=1)
    started = time.monotonic()
    assert run(workos_client.get_organization(INITECH.id)).id == INITECH.id
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in workos_sandbox.calls()] == [429, 200]


def test_server_errors_are_retried(workos_client: WorkosClient, workos_sandbox: WorkosSandbox) -> None:
    workos_sandbox.stand_in.faults.configure(server_error_count=2, server_error_status=503, methods=["POST"])
    created = run(workos_client.create_connection(spec()))
    assert [c.status for c in workos_sandbox.calls()] == [503, 503, 201]
    assert len(workos_sandbox.stand_in.store.connections_of(INITECH.id)) == 1
    assert created.state == "active"


def test_throttling_beyond_the_budget_ends_with_advice(workos_sandbox: WorkosSandbox) -> None:
    tight = RetryPolicy(attempts=3, budget_seconds=0.5)
    client = WorkosClient(workos_sandbox.api_key, workos_sandbox.url, policy=tight)
    workos_sandbox.stand_in.faults.configure(throttle_count=-1, throttle_wait_seconds=2)
    with pytest.raises(RetryBudgetExceeded) as raised:
        run(client.get_connection("conn_01HV3K8Q2M7N5P4R6S9T0W1X2Y"))
    assert "WorkOS: reading connection conn_01HV3K8Q2M7N5P4R6S9T0W1X2Y" in str(raised.value)
    assert len(workos_sandbox.calls()) == 1


def test_from_environment_needs_the_api_key() -> None:
    with pytest.raises(ProvisionerError, match="WORKOS_API_KEY is not set"):
        WorkosClient.from_environment({})
    client = WorkosClient.from_environment(
        {"WORKOS_API_KEY": "sk_x", "WORKOS_BASE_URL": "http://127.0.0.1:1"}
    )
    assert "sk_x" not in repr(client)


def test_the_spec_never_shows_its_secret() -> None:
    assert SECRET not in repr(spec())


def test_delete_is_accepted_at_once_and_a_create_waits_for_the_external_id_to_be_free(
    workos_client: WorkosClient, workos_sandbox: WorkosSandbox
) -> None:
    store = workos_sandbox.stand_in.store
    store.deletion_seconds = 2.0
    old = run(workos_client.create_connection(spec()))

    deleted = time.monotonic()
    run(workos_client.delete_connection(old.id))
    assert run(workos_client.get_connection(old.id)).state == "deleting"
    run(workos_client.delete_connection(old.id))  # already being deleted: nothing more to do

    new = run(workos_client.create_connection(spec(client_secret="after-the-deletion")))
    assert time.monotonic() - deleted >= store.deletion_seconds
    assert new.id != old.id and new.state == "active"
    assert [c.id for c in store.connections_of(INITECH.id)] == [new.id]
    assert store.connection(new.id).oidc.client_secret == "after-the-deletion"


def test_a_deletion_that_outlasts_the_budget_names_the_connection_being_deleted(
    workos_sandbox: WorkosSandbox,
) -> None:
    client = WorkosClient(
        workos_sandbox.api_key, workos_sandbox.url, policy=RetryPolicy(attempts=3, budget_seconds=0.3)
    )
    workos_sandbox.stand_in.store.deletion_seconds = 30
    old = run(client.create_connection(spec()))
    run(client.delete_connection(old.id))
    with pytest.raises(RetryBudgetExceeded) as raised:
        run(client.create_connection(spec()))
    assert f"connection {old.id} holds this external_id and is still being deleted" in str(raised.value)


def test_updating_a_connection_deleted_out_of_band_says_to_refresh(
    workos_client: WorkosClient, workos_sandbox: WorkosSandbox
) -> None:
    created = run(workos_client.create_connection(spec()))
    workos_sandbox.stand_in.store.delete_connection(created.id)
    with pytest.raises(ApiError) as raised:
        run(workos_client.update_connection(created.id, spec(client_secret="rotated")))
    assert (raised.value.status, raised.value.code) == (409, "connection_deletion_in_progress")
    assert f"updating connection {created.id}" in str(raised.value)
    assert "run `pulumi refresh`" in str(raised.value)


def test_an_update_with_the_secret_unknown_leaves_the_one_workos_holds(
    workos_client: WorkosClient, workos_sandbox: WorkosSandbox
) -> None:
    """An adopted connection before its first rotation: its PATCH must not blank the secret."""
    created = run(workos_client.create_connection(spec()))
    run(workos_client.update_connection(created.id, spec(client_secret="", name="Initech (adopted)")))
    stored = workos_sandbox.stand_in.store.connection(created.id)
    assert (stored.name, stored.oidc.client_secret) == ("Initech (adopted)", SECRET)


def test_list_connections_pages_through_every_connection_oldest_first(
    workos_client: WorkosClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ssoprov.brokers.workos.client.LIST_PAGE", 2)  # three pages of WorkOS's list
    created = [run(workos_client.create_connection(spec(external_id=f"org-{n}"))).id for n in range(5)]
    assert [c.id for c in run(workos_client.list_connections())] == created
