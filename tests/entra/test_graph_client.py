"""GraphClient over the real msgraph-sdk against the stand-in: results, errors, retries, consistency."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import pytest
from azure.core.credentials import AccessToken, TokenCredential
from azure.identity import EnvironmentCredential

from sandbox.graph.seed import CONTOSO, MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES
from ssoprov.entra.graph_auth import GRAPH_URL, StaticTokenCredential, TenantCredential, sandbox_base_url
from ssoprov.entra.graph_client import (
    DEFAULT_APP_ROLE_ID,
    ApplicationSpec,
    DirectoryLookupError,
    GraphClient,
    graph_client_from_env,
)
from ssoprov.errors import ApiError, NotFoundError, ProvisionerError, RetryBudgetExceeded
from ssoprov.retry import RetryPolicy
from tests.entra.conftest import ServedGraph

T = TypeVar("T")

SPEC: ApplicationSpec = {
    "display_name": "Acme SSO",
    "sign_in_audience": "AzureADMyOrg",
    "redirect_uris": ["https://auth.example.com/sso/callback"],
    "id_token_claims": [
        {"name": "email"},
        {"name": "given_name"},
        {"name": "family_name", "essential": True},
    ],
    "group_membership_claims": "SecurityGroup",
    "required_resource_access": [
        {
            "resource_app_id": MICROSOFT_GRAPH_APP_ID,
            "resource_access": [
                {"id": MICROSOFT_GRAPH_SCOPES[name], "type": "Scope"}
                for name in ("openid", "profile", "email")
            ],
        }
    ],
}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """One event loop per call, as the providers do it."""
    return asyncio.run(coroutine)


def in_days(days: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def test_application_lifecycle(graph: ServedGraph) -> None:
    client = graph.client()
    app = run(client.create_application(SPEC))
    assert app["display_name"] == "Acme SSO" and app["sign_in_audience"] == "AzureADMyOrg"
    assert app["redirect_uris"] == ["https://auth.example.com/sso/callback"]
    assert [(c["name"], c["essential"]) for c in app["id_token_claims"]] == [
        ("email", False),
        ("given_name", False),
        ("family_name", True),
    ]
    assert app["required_resource_access"][0]["resource_access"][0] == {
        "id": MICROSOFT_GRAPH_SCOPES["openid"],
        "type": "Scope",
    }
    assert app["created_date_time"] and app["created_date_time"].endswith("Z")

    assert run(client.get_application(app["object_id"])) == app
    assert run(client.find_application_by_app_id(app["app_id"])) == app

    run(client.update_application(app["object_id"], {"group_membership_claims": None, "redirect_uris": []}))
    updated = run(client.get_application(app["object_id"]))
    assert updated["group_membership_claims"] is None and updated["redirect_uris"] == []
    assert updated["id_token_claims"] == app["id_token_claims"]

    run(client.delete_application(app["object_id"]))
    assert run(client.find_application_by_app_id(app["app_id"])) is None
    with pytest.raises(NotFoundError) as raised:
        run(client.get_application(app["object_id"]))
    assert raised.value.code == "Request_ResourceNotFound"
    assert f"reading application {app['object_id']}" in str(raised.value)
    # A 404 for an object that is known to be gone is final: one request, no retries.
    assert graph.labels().count(f"404 GET /v1.0/applications/{app['object_id']}") == 1


def test_passwords_are_added_listed_and_removed_without_leaking_the_secret(
    graph: ServedGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = graph.client()
    app = run(client.create_application({"display_name": "Secrets"}))
    secret = run(client.add_password(app["object_id"], "broker", in_days(90)))
    assert len(secret["secret_text"]) >= 16 and secret["hint"] == secret["secret_text"][:3]
    assert secret["display_name"] == "broker" and secret["end_date_time"]

    listed = run(client.list_passwords(app["object_id"]))
    assert listed == [{k: v for k, v in secret.items() if k != "secret_text"}]
    assert secret["secret_text"] not in caplog.text

    run(client.remove_password(app["object_id"], secret["key_id"]))
    assert run(client.list_passwords(app["object_id"])) == []
    # Removing a secret that is already gone is not an error.
    run(client.remove_password(app["object_id"], secret["key_id"]))

    with pytest.raises(ApiError) as raised:
        run(client.add_password(app["object_id"], "expired", in_days(-1)))
    assert raised.value.status == 400 and raised.value.code == "Request_BadRequest"
    assert f"adding password 'expired' to application {app['object_id']}" in str(raised.value)
    with pytest.raises(ValueError):
        run(client.add_password(app["object_id"], "naive", datetime(2030, 1, 1)))


def test_service_principal_and_assignments(graph: ServedGraph) -> None:
    client = graph.client()
    app = run(client.create_application({"display_name": "Assigned"}))
    sp = run(client.create_service_principal(app["app_id"], assignment_required=True))
    assert sp["app_id"] == app["app_id"] and sp["app_role_assignment_required"] is True
    assert run(client.get_service_principal_by_app_id(app["app_id"])) == sp
    run(client.update_service_principal(sp["object_id"], assignment_required=False))
    assert run(client.get_service_principal(sp["object_id"]))["app_role_assignment_required"] is False

    engineering = run(client.resolve_group("Engineering"))
    alice = run(client.resolve_user("alice@contoso.example"))
    group_assignment = run(client.assign(sp["object_id"], engineering))
    user_assignment = run(client.assign(sp["object_id"], alice))
    assert group_assignment["principal_type"] == "Group" and user_assignment["principal_type"] == "User"
    assert group_assignment["app_role_id"] == DEFAULT_APP_ROLE_ID
    # Assigning again returns the existing assignment instead of failing.
    assert run(client.assign(sp["object_id"], engineering)) == group_assignment

    listed = run(client.list_assignments(sp["object_id"]))
    assert sorted(a["assignment_id"] for a in listed) == sorted(
        [group_assignment["assignment_id"], user_assignment["assignment_id"]]
    )
    run(client.unassign(sp["object_id"], user_assignment["assignment_id"]))
    assert [a["principal_id"] for a in run(client.list_assignments(sp["object_id"]))] == [engineering]
    with pytest.raises(NotFoundError):
        run(client.unassign(sp["object_id"], user_assignment["assignment_id"]))

    run(client.delete_service_principal(sp["object_id"]))
    with pytest.raises(NotFoundError):
        run(client.get_service_principal_by_app_id(app["app_id"]))


def test_odata_errors_become_api_errors_that_say_what_was_done(graph: ServedGraph) -> None:
    client = graph.client()
    with pytest.raises(ApiError) as raised:
        run(
            client.create_application(
                {"display_name": "Plain http", "redirect_uris": ["http://auth.example.com/cb"]}
            )
        )
    error = raised.value
    assert (error.service, error.status, error.code) == ("Microsoft Graph", 400, "Request_BadRequest")
    assert error.message == "Invalid value specified for property 'web' of resource 'Application'."
    assert str(error).startswith(
        "Microsoft Graph: creating application 'Plain http': HTTP 400 Request_BadRequest"
    )

    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError) as not_found:
        run(client.delete_service_principal(missing))
    assert f"deleting service principal {missing}" in str(not_found.value)

    graph.standin.store.read_only_tokens.add("reader")
    with pytest.raises(ApiError) as denied:
        run(graph.client(token="reader").create_application({"display_name": "Denied"}))
    assert (denied.value.status, denied.value.code) == (403, "Authorization_RequestDenied")


def test_group_and_user_lookups_name_the_object(graph: ServedGraph) -> None:
    client = graph.client()
    assert run(client.resolve_group("engineering")) == CONTOSO.group("Engineering").id
    admins = CONTOSO.group("Admins").id
    assert run(client.resolve_group(admins)) == admins

    with pytest.raises(DirectoryLookupError) as ambiguous:
        run(client.resolve_group("Support"))
    assert "'Support'" in str(ambiguous.value) and "2 groups" in str(ambiguous.value)
    assert sorted(ambiguous.value.matches) == sorted(
        [CONTOSO.group("Support-Tier1").id, CONTOSO.group("Support-Tier2").id]
    )

    with pytest.raises(DirectoryLookupError) as missing:
        run(client.resolve_group("Marketing"))
    assert "'Marketing'" in str(missing.value) and missing.value.matches == []

    with pytest.raises(DirectoryLookupError) as missing_id:
        run(client.resolve_group(str(uuid.uuid4())))
    assert missing_id.value.kind == "group"

    assert run(client.resolve_user("Bob@Contoso.example")) == CONTOSO.user("bob@contoso.example").id
    with pytest.raises(DirectoryLookupError) as no_user:
        run(client.resolve_user("zed@contoso.example"))
    assert "'zed@contoso.example'" in str(no_user.value)

    with pytest.raises(DirectoryLookupError):
        run(client.resolve_group("O'Brien's team"))


def test_a_429_burst_is_retried_after_the_time_graph_asks_for(graph: ServedGraph) -> None:
    graph.standin.faults.configure(throttle_count=2, throttle_wait_seconds=0.5, path_contains="/applications")
    started = time.monotonic()
    app = run(graph.client().create_application({"display_name": "Throttled"}))
    elapsed = time.monotonic() - started
    assert app["display_name"] == "Throttled"
    assert graph.labels() == ["429 POST /v1.0/applications"] * 2 + ["201 POST /v1.0/applications"]
    # Graph sends whole seconds (Retry-After: 1); both waits were honoured.
    assert elapsed >= 2.0


def test_persistent_throttling_exhausts_the_budget_and_names_the_operation(graph: ServedGraph) -> None:
    graph.standin.faults.configure(throttle_count=-1, throttle_wait_seconds=0)
    policy = RetryPolicy(attempts=3, budget_seconds=5.0, base_delay=0.01, max_delay=0.05)
    with pytest.raises(RetryBudgetExceeded) as raised:
        run(graph.client(policy=policy).create_application({"display_name": "Never"}))
    assert "Microsoft Graph: creating application 'Never'" in str(raised.value)
    assert "3 tries" in str(raised.value)
    # Exactly our three attempts reached the service: msgraph-sdk's own retry handler is off.
    assert graph.labels() == ["429 POST /v1.0/applications"] * 3


def test_a_retry_after_beyond_the_budget_fails_at_once(graph: ServedGraph) -> None:
    graph.standin.faults.configure(throttle_count=-1, throttle_wait_seconds=30)
    started = time.monotonic()
    with pytest.raises(RetryBudgetExceeded) as raised:
        run(graph.client().resolve_group("Engineering"))
    assert time.monotonic() - started < 2
    assert "resolving group 'Engineering'" in str(raised.value)
    assert len(graph.labels()) == 1


def test_server_errors_are_retried_only_where_repeating_is_safe(graph: ServedGraph) -> None:
    client = graph.client()
    graph.standin.faults.configure(server_error_count=2, server_error_status=503)
    assert run(client.resolve_user("carol@contoso.example")) == CONTOSO.user("carol@contoso.example").id
    assert [label.split()[0] for label in graph.labels()] == ["503", "503", "200"]

    graph.standin.calls.clear()
    graph.standin.faults.configure(server_error_count=1, server_error_status=504)
    assert run(client.resolve_group("Sales")) == CONTOSO.group("Sales").id
    assert [label.split()[0] for label in graph.labels()] == ["504", "200"]

    # A create that timed out at the gateway may have happened: it is not repeated.
    graph.standin.calls.clear()
    graph.standin.faults.configure(server_error_count=1, server_error_status=504)
    with pytest.raises(ApiError) as raised:
        run(client.create_application({"display_name": "Maybe"}))
    assert raised.value.status == 504 and len(graph.labels()) == 1

    graph.standin.calls.clear()
    graph.standin.faults.configure(server_error_count=1, server_error_status=500)
    with pytest.raises(ApiError) as final:
        run(client.resolve_group("Sales"))
    assert final.value.code == "generalException" and len(graph.labels()) == 1


def test_every_replication_answer_is_retried_through(graph: ServedGraph) -> None:
    """Each call right after the create it depends on meets Graph's lagged answers, then succeeds."""
    client = graph.client(
        policy=RetryPolicy(attempts=40, budget_seconds=10.0, base_delay=0.04, max_delay=0.08)
    )
    # Warm up first: msgraph-sdk imports request builders on first use, which can take longer
    # than the lag and would let it pass unseen.
    warm = run(client.create_application({"display_name": "Warm"}))
    run(client.update_application(warm["object_id"], {"display_name": "Warm"}))
    run(client.add_password(warm["object_id"], "warm", in_days(1)))
    admins = run(client.resolve_group("Admins"))
    warm_sp = run(client.create_service_principal(warm["app_id"]))
    run(client.get_service_principal_by_app_id(warm["app_id"]))
    run(client.assign(warm_sp["object_id"], admins))

    graph.standin.store.replication_lag_seconds = 1.2  # unknown by id for 0.6 s, no reference for 1.2 s
    graph.standin.calls.clear()
    read = run(client.create_application({"display_name": "Read at once"}))
    assert run(client.get_application(read["object_id"]))["object_id"] == read["object_id"]
    patched = run(client.create_application({"display_name": "Patched at once"}))
    run(client.update_application(patched["object_id"], {"display_name": "Patched"}))
    keyed = run(client.create_application({"display_name": "Keyed at once"}))
    secret = run(client.add_password(keyed["object_id"], "broker", in_days(30)))
    # add_password returned only once reads list the new key: a refresh now keeps it.
    assert secret["key_id"] in [p["key_id"] for p in run(client.list_passwords(keyed["object_id"]))]
    app = run(client.create_application({"display_name": "Assigned at once"}))
    sp = run(client.create_service_principal(app["app_id"]))
    assignment = run(client.assign(sp["object_id"], admins))
    assert assignment["resource_id"] == sp["object_id"]
    looked_up = run(client.create_application({"display_name": "Looked up at once"}))
    looked_up_sp = run(client.create_service_principal(looked_up["app_id"]))
    assert (
        run(client.get_service_principal_by_app_id(looked_up["app_id"]))["object_id"]
        == looked_up_sp["object_id"]
    )
    assert run(client.get_service_principal(looked_up_sp["object_id"]))["app_id"] == looked_up["app_id"]

    labels = graph.labels()
    applications, principals = "/v1.0/applications", "/v1.0/servicePrincipals"
    for refused, served in [
        (f"404 GET {applications}/{read['object_id']}", f"200 GET {applications}/{read['object_id']}"),
        (
            f"404 PATCH {applications}/{patched['object_id']}",
            f"204 PATCH {applications}/{patched['object_id']}",
        ),
        (
            f"404 POST {applications}/{keyed['object_id']}/addPassword",
            f"200 POST {applications}/{keyed['object_id']}/addPassword",
        ),
        (f"400 POST {principals}", f"201 POST {principals}"),
        (
            f"404 POST {principals}/{sp['object_id']}/appRoleAssignedTo",
            f"400 POST {principals}/{sp['object_id']}/appRoleAssignedTo",
        ),
        (
            f"400 POST {principals}/{sp['object_id']}/appRoleAssignedTo",
            f"201 POST {principals}/{sp['object_id']}/appRoleAssignedTo",
        ),
        (
            f"404 GET {principals}(appId='{looked_up['app_id']}')",
            f"200 GET {principals}(appId='{looked_up['app_id']}')",
        ),
    ]:
        assert refused in labels and served in labels, (refused, served, labels)
        assert labels.index(refused) < labels.index(served)
    # The new key was waited for: reads of the application that did not list it yet came first.
    key_reads = [label for label in labels if label == f"200 GET {applications}/{keyed['object_id']}"]
    assert len(key_reads) >= 2, labels


def test_destroying_the_application_leaves_the_tenant_as_seeded(graph: ServedGraph) -> None:
    seeded = graph.standin.store.snapshot()
    client = graph.client()
    app = run(client.create_application(SPEC))
    run(client.add_password(app["object_id"], "broker", in_days(30)))
    sp = run(client.create_service_principal(app["app_id"]))
    run(client.assign(sp["object_id"], run(client.resolve_group("Everyone"))))
    run(client.delete_application(app["object_id"]))
    assert graph.standin.store.snapshot() == seeded


def test_client_from_env_picks_sandbox_or_real_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", "http://127.0.0.1:8765/")
    client = graph_client_from_env("contoso.example")
    assert client.base_url == "http://127.0.0.1:8765/v1.0"
    assert isinstance(client._credential, StaticTokenCredential)
    assert "hidden" in repr(client._credential)
    assert sandbox_base_url("http://localhost:9/v1.0") == "http://localhost:9/v1.0"

    monkeypatch.setenv("SSOPROV_GRAPH_URL", "https://graph.example.com")
    with pytest.raises(ProvisionerError, match="not a loopback URL"):
        graph_client_from_env("contoso.example")

    monkeypatch.delenv("SSOPROV_GRAPH_URL")
    real = graph_client_from_env("contoso.example")
    assert real.base_url == GRAPH_URL
    assert isinstance(real._credential, TenantCredential)
    assert type(real._credential.credential).__name__ == "DefaultAzureCredential"
    assert real._credential.tenant_id == "contoso.example"


def test_tokens_are_asked_for_in_the_specs_tenant_not_the_environments() -> None:
    asked: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    class Recording:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            asked.append((scopes, kwargs))
            return AccessToken("token", 0)

    credential = TenantCredential(cast("TokenCredential", Recording()), "fabrikam.example")
    credential.get_token("https://graph.microsoft.com/.default", tenant_id="the-jobs-tenant", enable_cae=True)
    assert asked == [
        (("https://graph.microsoft.com/.default",), {"tenant_id": "fabrikam.example", "enable_cae": True})
    ]


def test_no_azure_identity_in_the_environment_names_the_tenant_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in (
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ):
        monkeypatch.delenv(variable, raising=False)
    credential = TenantCredential(EnvironmentCredential(), "fabrikam.example")

    with pytest.raises(ProvisionerError) as refused:
        credential.get_token("https://graph.microsoft.com/.default")

    message = str(refused.value)
    assert message.startswith(
        "Microsoft Graph: getting a token for tenant fabrikam.example: EnvironmentCredential"
    )
    assert (
        "Fix: give the provisioner an identity in the environment that runs `pulumi`: AZURE_TENANT_ID"
        in message
    )
    assert "\n" not in message


def test_network_errors_are_retried_for_reads_but_not_for_creates() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    policy = RetryPolicy(attempts=3, budget_seconds=5.0, base_delay=0.01, max_delay=0.05)
    client = GraphClient(f"http://127.0.0.1:{closed_port}/v1.0", StaticTokenCredential("t"), policy=policy)
    with pytest.raises(RetryBudgetExceeded) as exhausted:
        run(client.resolve_user("alice@contoso.example"))
    assert "resolving user 'alice@contoso.example'" in str(exhausted.value)
    with pytest.raises(ApiError) as raised:
        run(client.create_application({"display_name": "Lost"}))
    assert (raised.value.status, raised.value.code) == (0, "NetworkError")
    assert str(raised.value).startswith(
        "Microsoft Graph: creating application 'Lost': no answer (ConnectError"
    )
    assert str(raised.value).endswith(
        "Check that Microsoft Graph is reachable from here (and SSOPROV_GRAPH_URL, when set, is right)"
    )


def test_assignment_lists_follow_next_links(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sandbox.graph.odata.DEFAULT_PAGE_SIZE", 2)
    client = graph.client()
    app = run(client.create_application({"display_name": "Paged"}))
    sp = run(client.create_service_principal(app["app_id"]))
    principals = [user.id for user in CONTOSO.users[:5]]
    for principal in principals:
        run(client.assign(sp["object_id"], principal))
    listed = run(client.list_assignments(sp["object_id"]))
    assert sorted(a["principal_id"] for a in listed) == sorted(principals)
    pages = [
        label for label in graph.labels() if label.startswith("200 GET") and "appRoleAssignedTo" in label
    ]
    assert len(pages) == 3
