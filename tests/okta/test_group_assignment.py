"""The group-assignment provider against the stand-in: exact names, drift, and its error."""

from __future__ import annotations

import pytest

from ssoprov.errors import ProvisionerError
from ssoprov.okta.group_assignment import _OktaGroupAssignmentProvider
from tests.okta.conftest import OktaSandbox
from tests.okta.standin_apps import new_app

provider = _OktaGroupAssignmentProvider()


def test_every_change_replaces() -> None:
    olds = {"org_url": "https://a.okta.com", "app_id": "0oa1", "group_name": "Sales", "group_id": "00g1"}
    news = {"org_url": "https://a.okta.com", "app_id": "0oa1", "group_name": "Sales"}
    assert provider.diff("0oa1/00g1", olds, news).changes is False
    result = provider.diff("0oa1/00g1", olds, {**news, "group_name": "Admins"})
    assert result.replaces == ["group_name"] and result.delete_before_replace is False


def test_create_resolves_the_exact_name_read_sees_removal_delete_tolerates_it(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    app_id, _ = new_app(store)
    engineering = next(g for g in store.groups() if g.name == "Engineering")
    props = {"org_url": okta_env.url, "app_id": app_id, "group_name": "Engineering"}

    created = provider.create(dict(props))
    assert created.id == f"{app_id}/{engineering.id}"
    outs = created.outs or {}
    assert outs == {**props, "group_id": engineering.id}  # not Engineering-Contractors
    assert [a.group_id for a in store.app_assignments(app_id)] == [engineering.id]
    assert provider.read(created.id, outs).outs == outs

    store.unassign_group(app_id, engineering.id)
    assert provider.read(created.id, outs).id is None  # removed out of band: dropped from state
    provider.delete(created.id, outs)  # already unassigned: fine


def test_an_unknown_group_names_the_group_and_the_stack_key(okta_env: OktaSandbox) -> None:
    app_id, _ = new_app(okta_env.stand_in.store)
    props = {"org_url": okta_env.url, "app_id": app_id, "group_name": "engineering"}
    with pytest.raises(ProvisionerError) as failure:
        provider.create(props)
    message = str(failure.value)
    assert "'engineering'" in message and "Did you mean 'Engineering'?" in message
    assert "ssoprov:organization.identityProvider.groups" in message
    assert okta_env.stand_in.store.app_assignments(app_id) == []
