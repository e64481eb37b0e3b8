"""The app-registration provider: exact diffs, minimal patches, drift on read, replication lag."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from sandbox.graph.seed import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES
from ssoprov.entra.application import GRAPH_DELEGATED_SCOPES, _EntraApplicationProvider
from ssoprov.spec.models import GraphScope
from tests.entra.conftest import ServedGraph

provider = _EntraApplicationProvider()
CALLBACK = "https://sso.example.com/realms/acme/broker/acme/endpoint"


def claim(name: str) -> dict[str, Any]:
    return {"name": name, "essential": False, "additional_properties": []}


def inputs(**changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "display_name": "Acme Corp",
        "sign_in_audience": "AzureADMyOrg",
        "redirect_uris": [CALLBACK],
        "id_token_claims": [claim("email"), claim("groups")],
        "group_membership_claims": "ApplicationGroup",
        "graph_scopes": ["openid", "profile", "email"],
        **changes,
    }


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def test_diff_is_exact_and_only_the_tenant_replaces() -> None:
    olds = {**inputs(), "object_id": "o", "app_id": "a", "created_at": "2030-01-01T00:00:00Z"}
    assert provider.diff("o", olds, inputs()).changes is False
    changed = provider.diff("o", olds, inputs(redirect_uris=[CALLBACK, "https://x.example/cb"]))
    assert changed.changes is True and changed.replaces == []
    assert provider.diff("o", olds, inputs(tenant_id="fabrikam.example")).replaces == ["tenant_id"]
    # Order matters for redirect URIs: the broker's callback stays first.
    assert provider.diff("o", {**olds, "redirect_uris": ["https://x.example/cb", CALLBACK]}, inputs()).changes


def test_create_writes_what_the_guide_describes(graph_env: ServedGraph) -> None:
    created = provider.create(inputs())
    app = graph_env.standin.store.get_application(created.id)
    assert app["displayName"] == "Acme Corp" and app["signInAudience"] == "AzureADMyOrg"
    assert app["web"]["redirectUris"] == [CALLBACK]
    assert [c["name"] for c in app["optionalClaims"]["idToken"]] == ["email", "groups"]
    assert app["optionalClaims"]["accessToken"] == [] and app["optionalClaims"]["saml2Token"] == []
    assert app["groupMembershipClaims"] == "ApplicationGroup"
    assert app["requiredResourceAccess"] == [
        {
            "resourceAppId": MICROSOFT_GRAPH_APP_ID,
            "resourceAccess": [
                {"id": MICROSOFT_GRAPH_SCOPES[name], "type": "Scope"}
                for name in ("openid", "profile", "email")
            ],
        }
    ]
    outs = created.outs
    assert outs is not None
    assert outs["object_id"] == created.id and outs["app_id"] == app["appId"]
    # What create returns is what diff compares against: no change right after create.
    assert provider.diff(created.id, outs, inputs()).changes is False


def test_update_patches_only_what_differs(graph_env: ServedGraph) -> None:
    created = provider.create(inputs())
    assert created.outs is not None
    graph_env.standin.calls.clear()
    news = inputs(redirect_uris=[CALLBACK, "https://app.acme.example/cb"])
    outs = provider.update(created.id, created.outs, news).outs
    # `web` is read first, so the PATCH can send it back whole (see the next test).
    assert [call.label().split(" ")[0] for call in graph_env.standin.calls.all()] == ["GET", "PATCH"]
    app = graph_env.standin.store.get_application(created.id)
    assert app["web"]["redirectUris"] == [CALLBACK, "https://app.acme.example/cb"]
    assert outs is not None and provider.diff(created.id, outs, news).changes is False
    graph_env.standin.calls.clear()
    provider.update(created.id, outs, {**news, "display_name": "Acme"})
    assert [call.label().split(" ")[0] for call in graph_env.standin.calls.all()] == ["PATCH"]


def test_an_update_keeps_what_a_portal_admin_set_beside_our_properties(graph_env: ServedGraph) -> None:
    """Graph does not promise to merge a PATCH of `web`, `api` or `optionalClaims`: we send them whole."""
    store = graph_env.standin.store
    created = provider.create(inputs())
    assert created.outs is not None
    app = store.get_application(created.id)
    portal_web = {
        **app["web"],
        "logoutUrl": "https://app.acme.example/logout",
        "homePageUrl": "https://app.acme.example",
        "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": True},
        "redirectUriSettings": [{"uri": CALLBACK, "index": None}],
    }
    known_client = "11111111-2222-3333-4444-555555555555"
    ip_address = {"additionalProperties": [], "essential": False, "name": "ipaddr", "source": None}
    store.update_application(
        created.id,
        {
            "web": portal_web,
            "api": {**app["api"], "knownClientApplications": [known_client]},
            "optionalClaims": {**app["optionalClaims"], "accessToken": [ip_address]},
        },
    )

    news = inputs(
        redirect_uris=[CALLBACK, "https://app.acme.example/cb"],
        id_token_claims=[claim("email")],
        sign_in_audience="PersonalMicrosoftAccount",  # api.requestedAccessTokenVersion becomes 2
        group_membership_claims=None,
    )
    provider.update(created.id, created.outs, news)

    app = store.get_application(created.id)
    assert app["web"] == {**portal_web, "redirectUris": [CALLBACK, "https://app.acme.example/cb"]}
    assert app["api"]["knownClientApplications"] == [known_client]
    assert app["api"]["requestedAccessTokenVersion"] == 2
    assert app["optionalClaims"]["accessToken"] == [ip_address]
    assert [c["name"] for c in app["optionalClaims"]["idToken"]] == ["email"]


def test_moving_to_personal_accounts_asks_for_v2_tokens_in_the_same_patch(graph_env: ServedGraph) -> None:
    created = provider.create(inputs())
    assert created.outs is not None
    news = inputs(sign_in_audience="PersonalMicrosoftAccount", group_membership_claims=None)
    provider.update(created.id, created.outs, news)
    app = graph_env.standin.store.get_application(created.id)
    assert app["signInAudience"] == "PersonalMicrosoftAccount"
    assert app["api"]["requestedAccessTokenVersion"] == 2
    assert app["groupMembershipClaims"] is None


def test_read_reports_portal_drift_for_the_next_up_to_patch_back(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    created = provider.create(inputs())
    store.update_application(
        created.id,
        {
            "web": {"redirectUris": [CALLBACK, "https://portal.example/added"]},
            "optionalClaims": {"idToken": [{"name": "email", "essential": True}]},
            "requiredResourceAccess": [
                {
                    "resourceAppId": MICROSOFT_GRAPH_APP_ID,
                    "resourceAccess": [
                        {"id": MICROSOFT_GRAPH_SCOPES["openid"], "type": "Scope"},
                        {"id": MICROSOFT_GRAPH_SCOPES["offline_access"], "type": "Scope"},
                    ],
                }
            ],
        },
    )
    read = provider.read(created.id, created.outs or {})
    outs = read.outs
    assert read.id == created.id and outs is not None
    assert outs["redirect_uris"] == [CALLBACK, "https://portal.example/added"]
    assert outs["id_token_claims"] == [{"name": "email", "essential": True, "additional_properties": []}]
    offline = MICROSOFT_GRAPH_SCOPES["offline_access"]
    assert outs["graph_scopes"] == ["openid", f"{MICROSOFT_GRAPH_APP_ID}/{offline}/Scope"]
    diff = provider.diff(created.id, outs, inputs())
    assert diff.changes is True and diff.replaces == []
    provider.update(created.id, outs, inputs())
    assert provider.diff(created.id, provider.read(created.id, outs).outs or {}, inputs()).changes is False


def test_read_of_a_deleted_app_drops_it_and_delete_tolerates_it(graph_env: ServedGraph) -> None:
    # Made by an earlier run (not this process, which would take a 404 for replication lag).
    app = graph_env.standin.store.create_application({"displayName": "Acme Corp"})
    old = {**inputs(), "object_id": app["id"], "app_id": app["appId"], "created_at": "2020-01-01T00:00:00Z"}
    assert provider.read(app["id"], old).id == app["id"]
    graph_env.standin.store.delete_application(app["id"])
    assert provider.read(app["id"], old).id is None
    provider.delete(app["id"], old)


def test_a_refresh_right_after_an_up_waits_out_replication_instead_of_dropping_the_app(
    graph_env: ServedGraph,
) -> None:
    """The app was made by an earlier process; this one's replica has not seen it yet."""
    store = graph_env.standin.store
    store.replication_lag_seconds = 2.0  # unknown by id for the first second
    app = store.create_application({"displayName": "Acme Corp", "web": {"redirectUris": [CALLBACK]}})
    props = {**inputs(), "object_id": app["id"], "app_id": app["appId"], "created_at": app["createdDateTime"]}
    started = time.monotonic()
    read = provider.read(app["id"], props)
    assert read.id == app["id"], "a new app must not be dropped from state"
    assert time.monotonic() - started >= 0.5
    # The same 404 for an app made long ago means it is gone.
    app2 = store.create_application({"displayName": "Other"})
    stale = {**props, "created_at": datetime(2020, 1, 1, tzinfo=UTC).isoformat()}
    assert provider.read(app2["id"], stale).id is None


def test_inputs_are_checked_before_any_call(graph_env: ServedGraph) -> None:
    with pytest.raises(ValueError, match="redirect_uris"):
        provider.create(inputs(redirect_uris=[]))
    with pytest.raises(ValueError, match="unknown Microsoft Graph scopes"):
        provider.create(inputs(graph_scopes=["Mail.Read"]))
    with pytest.raises(ValueError, match="sign_in_audience"):
        provider.create(inputs(sign_in_audience="Everyone"))
    assert graph_env.standin.calls.all() == []


def test_the_spec_takes_exactly_the_graph_scopes_the_application_knows_by_id() -> None:
    assert set(get_args(GraphScope)) == set(GRAPH_DELEGATED_SCOPES)


def test_claims_kept_as_made_adopt_with_no_write_and_ours_replace_them_once_the_key_goes(
    graph_env: ServedGraph,
) -> None:
    """adoption.idTokenClaims: upn, and groups as sAMAccountName, which the spec cannot express."""
    as_made = [
        claim("email"),
        {"name": "upn", "essential": True, "additional_properties": []},
        {"name": "groups", "essential": False, "additional_properties": ["sam_account_name"]},
    ]
    by_hand = provider.create(inputs(id_token_claims=as_made))
    assert by_hand.outs is not None
    graph_env.standin.calls.clear()
    adopted = provider.create(inputs(id_token_claims=as_made, adopt_app_id=by_hand.outs["app_id"]))
    assert adopted.id == by_hand.id and adopted.outs is not None
    assert [call.label().split(" ")[0] for call in graph_env.standin.calls.all()] == ["GET"]
    assert provider.diff(adopted.id, adopted.outs, inputs(id_token_claims=as_made)).changes is False

    assert provider.diff(adopted.id, adopted.outs, inputs()).changes is True  # the key removed
    provider.update(adopted.id, adopted.outs, inputs())
    idtoken = graph_env.standin.store.get_application(adopted.id)["optionalClaims"]["idToken"]
    assert [(c["name"], c["additionalProperties"]) for c in idtoken] == [("email", []), ("groups", [])]
