"""The client-secret provider: rotation in diff, and create/read/delete against the stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from ssoprov import untracked_secrets
from ssoprov.clock import AS_OF_VARIABLE
from ssoprov.okta.client_secret import _OktaClientSecretProvider
from ssoprov.rotation import recorded_reason_due
from tests.okta.conftest import OktaSandbox
from tests.okta.standin_apps import new_app

POLICY = {"lifetime_days": 365, "rotate_after_days": 180, "rotate_before_expiry_days": 30}
provider = _OktaClientSecretProvider()


def state(created_at: str, **changes: Any) -> dict[str, Any]:
    return {
        "org_url": "https://acme.okta.com",
        "app_id": "0oa1",
        "initial_secret_id": "ocs0",
        **POLICY,
        "secret_id": "ocs1",
        "client_secret": "s3cr3t-value-of-the-stack",
        "status": "ACTIVE",
        "created_at": created_at,
        "rotate_by": "unused",
        **changes,
    }


def inputs(**changes: Any) -> dict[str, Any]:
    return {
        "org_url": "https://acme.okta.com",
        "app_id": "0oa1",
        "initial_secret_id": "ocs0",
        **POLICY,
        **changes,
    }


# -- diff -----------------------------------------------------------------------------------------


def test_a_fresh_secret_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-01-01")
    assert provider.diff("ocs1", state("2029-12-01T00:00:00.000Z"), inputs()).changes is False


def test_a_secret_past_rotate_after_days_is_replaced_new_one_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-07-01")
    result = provider.diff("ocs1", state("2030-01-01T00:00:00.000Z"), inputs())
    assert result.changes is True and result.replaces == ["rotate_by"]
    assert result.delete_before_replace is False


def test_due_by_the_end_of_the_policy_lifetime_created_at_plus_lifetime() -> None:
    from datetime import datetime

    olds = state("2030-01-01T00:00:00.000Z")
    # rotate_after_days would wait until 2030-06-30; the end of lifetimeDays (2030-01-31) comes first.
    news = inputs(lifetime_days=30, rotate_after_days=29, rotate_before_expiry_days=5)
    now = datetime.fromisoformat("2030-01-27T00:00:00+00:00")
    # An Okta secret does not expire: the reason names the policy, not an expiry.
    reason = "clientSecret.lifetimeDays (30) runs out 2030-01-31, within 5 days"
    assert recorded_reason_due(olds, news, now) == reason


def test_a_policy_change_alone_updates_rotate_by_without_calling_okta(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-02-01")
    olds = state("2030-01-01T00:00:00.000Z")
    news = inputs(rotate_after_days=90)
    result = provider.diff("ocs1", olds, news)
    assert result.changes is True and result.replaces == []
    updated = provider.update("ocs1", olds, news).outs
    assert updated is not None
    assert updated["rotate_by"] == "2030-04-01" and updated["client_secret"] == olds["client_secret"]
    assert updated["secret_id"] == "ocs1"


def test_a_policy_change_that_makes_the_secret_due_replaces_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2030-02-15")
    result = provider.diff("ocs1", state("2030-01-01T00:00:00.000Z"), inputs(rotate_after_days=30))
    assert result.replaces == ["rotate_by"]


def test_a_secret_deactivated_out_of_band_is_replaced() -> None:
    result = provider.diff("ocs1", state("2999-01-01T00:00:00.000Z", status="INACTIVE"), inputs())
    assert result.replaces == ["status"]


def test_another_app_means_another_secret() -> None:
    result = provider.diff("ocs1", state("2999-01-01T00:00:00.000Z"), inputs(app_id="0oa2"))
    assert result.replaces == ["app_id"]


# -- create, read, delete against the stand-in ----------------------------------------------------


def test_create_makes_the_new_secret_then_removes_the_apps_initial_one(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    app_id, initial_id = new_app(store)
    created = provider.create(inputs(org_url=okta_env.url, app_id=app_id, initial_secret_id=initial_id))
    assert [(s.id, s.status) for s in store.secrets(app_id)] == [(created.id, "ACTIVE")]
    outs = created.outs or {}
    assert outs["client_secret"] == store.get_secret(app_id, created.id).value
    assert outs["secret_id"] == created.id and outs["status"] == "ACTIVE"
    assert outs["created_at"] == store.get_secret(app_id, created.id).created

    read = provider.read(created.id, outs)
    assert (read.id, read.outs) == (created.id, outs)


@pytest.fixture(autouse=True)
def fresh_provider_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What check and diff remember lives as long as the provider process: one test's worth."""
    monkeypatch.setattr(untracked_secrets, "_recorded", {})


def rotating(recorded: str, **changes: Any) -> dict[str, Any]:
    """The create's inputs in a rotation, after the engine's check with old inputs, diff, check."""
    olds = state("2030-01-01T00:00:00.000Z", **changes)
    news = inputs(**changes)
    provider.check(olds, news)
    provider.diff(recorded, olds, news)
    return provider.check({}, news).inputs


def test_a_rotation_makes_room_when_a_previous_run_left_the_initial_secret(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    app_id, initial_id = new_app(store)
    current = store.create_secret(app_id, None)  # the stack's secret; the initial one never went
    created = provider.create(
        rotating(current.id, org_url=okta_env.url, app_id=app_id, initial_secret_id=initial_id)
    )
    assert [s.id for s in store.secrets(app_id)] == [current.id, created.id]


def test_a_rotation_after_a_killed_one_removes_its_leftover_and_keeps_the_stacks_secret(
    okta_env: OktaSandbox,
) -> None:
    store = okta_env.stand_in.store
    app_id, initial_id = new_app(store)
    current = provider.create(inputs(org_url=okta_env.url, app_id=app_id, initial_secret_id=initial_id))
    leftover = store.create_secret(app_id, None)  # made by a run killed before recording it
    created = provider.create(
        rotating(current.id, org_url=okta_env.url, app_id=app_id, initial_secret_id=initial_id)
    )
    assert [s.id for s in store.secrets(app_id)] == [current.id, created.id]
    assert leftover.id not in {s.id for s in store.secrets(app_id)}


def test_a_first_create_after_a_killed_one_removes_the_leftover_and_the_initial_secret(
    okta_env: OktaSandbox,
) -> None:
    store = okta_env.stand_in.store
    app_id, initial_id = new_app(store)
    store.create_secret(app_id, None)  # made by a first create killed before recording it
    created = provider.create(inputs(org_url=okta_env.url, app_id=app_id, initial_secret_id=initial_id))
    assert [(s.id, s.status) for s in store.secrets(app_id)] == [(created.id, "ACTIVE")]


def test_delete_deactivates_then_deletes_but_leaves_the_only_active_secret(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    app_id, initial_id = new_app(store)
    props = inputs(org_url=okta_env.url, app_id=app_id)

    provider.delete(initial_id, props)  # the only active one: left to the app's deletion
    assert [(s.id, s.status) for s in store.secrets(app_id)] == [(initial_id, "ACTIVE")]

    newer = store.create_secret(app_id, None)
    provider.delete(initial_id, props)
    assert [(s.id, s.status) for s in store.secrets(app_id)] == [(newer.id, "ACTIVE")]
    provider.delete(initial_id, props)  # already gone: fine

    assert provider.read(initial_id, props).id is None  # gone: dropped from state
    store.set_app_status(app_id, "INACTIVE")
    store.delete_app(app_id)
    provider.delete(newer.id, props)  # the app is gone, and its secrets with it
    assert provider.read(newer.id, props).id is None


def test_a_read_notices_untracked_secrets_and_the_next_update_removes_only_them(
    okta_env: OktaSandbox,
) -> None:
    """The documented recovery (refresh, then a plain up, nothing due) cleans up after a kill."""
    store = okta_env.stand_in.store
    app_id, initial_id = new_app(store)
    news = inputs(org_url=okta_env.url, app_id=app_id, initial_secret_id=initial_id)
    created = provider.create(news)
    recorded = created.outs or {}
    leftover = store.create_secret(app_id, None)  # made by a rotation killed before recording it

    refreshed = provider.read(created.id, recorded).outs or {}
    assert refreshed[untracked_secrets.UNTRACKED_KEY] == [leftover.id]
    assert untracked_secrets.UNTRACKED_KEY not in recorded, "no key while nothing is untracked"

    diff = provider.diff(created.id, refreshed, news)
    assert diff.changes and diff.replaces == []
    updated = provider.update(created.id, refreshed, news).outs or {}
    assert [(s.id, s.status) for s in store.secrets(app_id)] == [(created.id, "ACTIVE")]
    assert untracked_secrets.UNTRACKED_KEY not in updated
    assert not provider.diff(created.id, updated, news).changes
