"""The groups-claim provider against the stand-in: set, drift on read, update in place."""

from __future__ import annotations

import dataclasses

import pytest

from ssoprov.okta.groups_claim import _OktaGroupsClaimProvider
from tests.okta.conftest import OktaSandbox
from tests.okta.standin_apps import new_app

provider = _OktaGroupsClaimProvider()
CLAIM = {"name": "groups", "filter_type": "regex", "value": ".*"}


@pytest.mark.parametrize(
    ("key", "value"), [("name", "roles"), ("filter_type", "starts_with"), ("value", "a")]
)
def test_claim_changes_update_in_place(key: str, value: str) -> None:
    olds = {"org_url": "https://a.okta.com", "app_id": "0oa1", **CLAIM}
    assert provider.diff("0oa1", olds, dict(olds)).changes is False
    result = provider.diff("0oa1", olds, {**olds, key: value})
    assert result.changes is True and result.replaces == []


def test_set_read_drift_update(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    app_id, _ = new_app(store)
    props = {"org_url": okta_env.url, "app_id": app_id, **CLAIM}

    created = provider.create(dict(props))
    outs = created.outs or {}
    assert outs == props
    stored = store.groups_claim(app_id)
    assert stored is not None
    assert (stored.value_type, stored.group_filter_type, stored.issuer_mode) == ("GROUPS", "REGEX", "ORG_URL")

    store.set_groups_claim(app_id, dataclasses.replace(stored, group_filter_type="STARTS_WITH", value="Eng"))
    drifted = provider.read(created.id, outs).outs or {}
    assert (drifted["filter_type"], drifted["value"]) == ("starts_with", "Eng")
    assert provider.diff(created.id, drifted, props).replaces == []

    provider.update(created.id, drifted, props)
    restored = store.groups_claim(app_id)
    assert restored is not None and (restored.group_filter_type, restored.value) == ("REGEX", ".*")

    store.set_app_status(app_id, "INACTIVE")
    store.delete_app(app_id)
    assert provider.read(created.id, outs).id is None  # the app is gone: dropped from state
