"""The client-secret provider: rotation in diff, and create/read/delete against the stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ssoprov import untracked_secrets
from ssoprov.clock import AS_OF_VARIABLE
from ssoprov.entra import client_secret
from ssoprov.entra.client_secret import _EntraClientSecretProvider
from ssoprov.rotation import recorded_reason_due
from tests.entra.conftest import ServedGraph

POLICY = {"lifetime_days": 365, "rotate_after_days": 180, "rotate_before_expiry_days": 30}
provider = _EntraClientSecretProvider()


def inputs(**changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": "contoso.example",
        "application_object_id": "7d0c9a52-0000-4000-8000-000000000001",
        "display_name": "ssoprov: acme SSO broker",
        **POLICY,
        **changes,
    }


def state(created_at: str, expires_at: str, **changes: Any) -> dict[str, Any]:
    return {
        **inputs(),
        "key_id": "0b8d5a8e-0000-4000-8000-000000000002",
        "hint": "abc",
        "created_at": created_at,
        "expires_at": expires_at,
        "rotate_by": "unused",
        "client_secret": "the-recorded-value",
        **changes,
    }


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


@pytest.fixture
def no_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the provider builds a Graph client (policy changes must call nothing)."""

    def refuse() -> None:
        raise AssertionError("the provider called Graph")

    monkeypatch.setattr(client_secret, "graph_client", refuse)


# -- diff -----------------------------------------------------------------------------------------


def test_a_fresh_secret_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-02-01")
    olds = state("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z")
    assert provider.diff("k", olds, inputs()).changes is False


def test_a_secret_past_rotate_after_days_is_replaced_new_one_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-07-01")
    result = provider.diff("k", state("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z"), inputs())
    assert result.changes is True and result.replaces == ["rotate_by"]
    assert result.delete_before_replace is False


def test_due_by_the_real_expiry_graph_reported() -> None:
    # Created recently, but expiring in 20 days (e.g. a tenant policy capped the lifetime).
    olds = state("2030-01-01T00:00:00Z", "2030-01-31T00:00:00Z")
    now = datetime(2030, 1, 11, tzinfo=UTC)
    assert recorded_reason_due(olds, inputs(), now) == "expires 2030-01-31, within 30 days"


def test_a_policy_change_alone_updates_state_without_calling_graph(
    monkeypatch: pytest.MonkeyPatch, no_graph: None
) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-02-01")
    olds = state("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z")
    news = inputs(rotate_after_days=90)
    result = provider.diff("k", olds, news)
    assert result.changes is True and result.replaces == []
    outs = provider.update("k", olds, news).outs
    assert outs is not None
    assert outs["rotate_by"] == "2030-04-01" and outs["rotate_after_days"] == 90
    assert outs["client_secret"] == "the-recorded-value" and outs["key_id"] == olds["key_id"]


def test_a_shorter_policy_that_makes_the_secret_due_replaces_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-03-01")
    olds = state("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z")
    assert provider.diff("k", olds, inputs(rotate_after_days=30)).replaces == ["rotate_by"]


def test_another_application_or_description_replaces() -> None:
    olds = state("2099-01-01T00:00:00Z", "2099-12-01T00:00:00Z")
    assert provider.diff("k", olds, inputs(application_object_id="other")).replaces == [
        "application_object_id"
    ]
    assert provider.diff("k", olds, inputs(display_name="other")).replaces == ["display_name"]


# -- create, read, delete against the stand-in ----------------------------------------------------


def test_create_read_and_delete(graph_env: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    props = inputs(application_object_id=app["id"], lifetime_days=90)
    monkeypatch.setenv(AS_OF_VARIABLE, (datetime.now(UTC) + timedelta(days=300)).date().isoformat())
    created = provider.create(props)
    outs = created.outs
    assert outs is not None
    (password,) = store.get_application(app["id"])["passwordCredentials"]
    assert created.id == outs["key_id"] == password["keyId"]
    assert password["displayName"] == "ssoprov: acme SSO broker"
    # The expiry uses the real clock, not the moved one (which only decides rotation).
    expires = datetime.fromisoformat(outs["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
    assert outs["client_secret"] and outs["hint"] == outs["client_secret"][:3]
    assert outs["rotate_by"] == (expires - timedelta(days=30)).date().isoformat()

    read = provider.read(created.id, outs)
    assert read.id == created.id and read.outs is not None
    assert read.outs["client_secret"] == outs["client_secret"]  # Graph never shows it again

    # Made long enough ago that a 404 is not replication lag (see test_application for lag).
    old = {**outs, "created_at": "2020-01-01T00:00:00Z"}
    store.remove_password(app["id"], created.id)
    assert provider.read(created.id, old).id is None  # removed in the portal: dropped from state
    provider.delete(created.id, old)  # already gone is fine
    store.delete_application(app["id"])
    assert provider.read(created.id, old).id is None  # the app is gone, the secret with it
    provider.delete(created.id, old)


def test_lifetime_is_bounded_to_two_years(graph_env: ServedGraph) -> None:
    with pytest.raises(ValueError, match="lifetime_days must be from 1 to 730"):
        provider.create(inputs(lifetime_days=731))
    assert graph_env.standin.calls.all() == []


# -- leftovers of a run killed between addPassword and the engine's record of it -------------------


@pytest.fixture(autouse=True)
def fresh_provider_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What check and diff remember lives as long as the provider process: one test's worth."""
    monkeypatch.setattr(untracked_secrets, "_recorded", {})


def add_ours(store: Any, object_id: str, name: str = "ssoprov: acme SSO broker") -> str:
    return store.add_password(object_id, {"passwordCredential": {"displayName": name}})["keyId"]


def key_ids(store: Any, object_id: str) -> list[str]:
    return [p["keyId"] for p in store.get_application(object_id)["passwordCredentials"]]


def rotate_as_the_engine_does(recorded: str, news: dict[str, Any], *, targeted: bool = False) -> str:
    """check with the old inputs, diff (unless `pulumi up --replace`), check without, create."""
    olds = state(
        "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z", application_object_id=news["application_object_id"]
    )
    checked = provider.check(olds, news).inputs
    if not targeted:
        provider.diff(recorded, olds, checked)
        checked = provider.check({}, news).inputs
    return provider.create(checked).id


def test_a_rotation_removes_a_killed_runs_password_and_keeps_the_stacks_and_foreign_ones(
    graph_env: ServedGraph,
) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    add_ours(store, app["id"])  # left by a killed first create, older than the stack's own
    recorded = add_ours(store, app["id"])
    foreign = add_ours(store, app["id"], name="added by hand in the portal")
    add_ours(store, app["id"])  # left by a killed rotation
    created = rotate_as_the_engine_does(recorded, inputs(application_object_id=app["id"]))
    assert key_ids(store, app["id"]) == [recorded, foreign, created]


def test_a_targeted_replace_keeps_the_oldest_of_ours_as_the_recorded_one(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    recorded = add_ours(store, app["id"])
    add_ours(store, app["id"])  # left by a killed rotation
    created = rotate_as_the_engine_does(recorded, inputs(application_object_id=app["id"]), targeted=True)
    assert key_ids(store, app["id"]) == [recorded, created]


def test_a_first_create_removes_a_killed_first_creates_password(graph_env: ServedGraph) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    add_ours(store, app["id"])
    created = provider.create(provider.check({}, inputs(application_object_id=app["id"])).inputs)
    assert key_ids(store, app["id"]) == [created.id]


def test_a_read_notices_untracked_passwords_and_the_next_update_removes_only_them(
    graph_env: ServedGraph,
) -> None:
    """The documented recovery (refresh, then a plain up, nothing due) cleans up after a kill."""
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    created = provider.create(provider.check({}, inputs(application_object_id=app["id"])).inputs)
    recorded = created.outs or {}
    foreign = add_ours(store, app["id"], name="added by hand in the portal")
    leftover = add_ours(store, app["id"])  # left by a killed rotation

    refreshed = provider.read(created.id, recorded).outs or {}
    assert refreshed[untracked_secrets.UNTRACKED_KEY] == [leftover]
    assert untracked_secrets.UNTRACKED_KEY not in recorded, "no key while nothing is untracked"

    news = inputs(application_object_id=app["id"])
    diff = provider.diff(created.id, refreshed, news)
    assert diff.changes and diff.replaces == []
    updated = provider.update(created.id, refreshed, news).outs or {}
    assert key_ids(store, app["id"]) == [created.id, foreign]
    assert untracked_secrets.UNTRACKED_KEY not in updated
    assert updated["client_secret"] == recorded["client_secret"]
    assert not provider.diff(created.id, updated, news).changes


# -- a secret made by hand, adopted ----------------------------------------------------------------


def test_an_adopted_password_is_recorded_as_it_is_and_never_taken_for_a_leftover(
    graph_env: ServedGraph,
) -> None:
    store = graph_env.standin.store
    app = store.create_application({"displayName": "Acme Corp"})
    hand_made = add_ours(store, app["id"], name="Keycloak (added by Jo)")
    other = add_ours(store, app["id"], name="old one, by hand")
    props = inputs(application_object_id=app["id"], adopt_secret_id=hand_made)

    created = provider.create(provider.check({}, props).inputs)
    assert created.id == hand_made and key_ids(store, app["id"]) == [hand_made, other]  # nothing written
    assert created.outs["client_secret"] == "" and created.outs["expires_at"]  # value unknown, real expiry

    read = provider.read(created.id, created.outs)
    assert "untracked_secret_ids" not in read.outs  # neither password is ours to remove

    # Its replacement (the first rotation) mints ours; the hand-made one goes only with the old resource.
    minted = rotate_as_the_engine_does(hand_made, props)
    assert minted not in (hand_made, other)
    assert key_ids(store, app["id"]) == [hand_made, other, minted]
