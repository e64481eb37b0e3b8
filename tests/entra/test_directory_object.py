"""The directory-lookup provider: one group or user by name, errors naming the stack key."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from sandbox.graph.seed import CONTOSO
from ssoprov.entra.directory_object import _EntraDirectoryObjectProvider
from ssoprov.entra.graph_client import DirectoryLookupError
from tests.entra.conftest import ServedGraph

provider = _EntraDirectoryObjectProvider()
GROUPS_KEY = "identityProvider.assignments.groups"


def inputs(kind: str, name: str, **changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": CONTOSO.tenant_id,
        "kind": kind,
        "spec_name": name,
        "stack_key": GROUPS_KEY,
        **changes,
    }


@pytest.fixture
def graph_env(graph: ServedGraph, monkeypatch: pytest.MonkeyPatch) -> ServedGraph:
    monkeypatch.setenv("SSOPROV_GRAPH_URL", graph.url)
    return graph


def test_groups_and_users_resolve_to_their_object_ids(graph_env: ServedGraph) -> None:
    group = provider.create(inputs("group", "Engineering"))
    assert group.id == CONTOSO.group("Engineering").id and group.outs is not None
    assert group.outs["object_id"] == group.id
    user = provider.create(
        inputs("user", "dave@contoso.example", stack_key="identityProvider.assignments.users")
    )
    assert user.id == CONTOSO.user("dave@contoso.example").id
    by_id = provider.create(inputs("group", CONTOSO.group("Sales").id))
    assert by_id.id == CONTOSO.group("Sales").id
    assert provider.read(group.id, group.outs).id == group.id


def test_a_name_matching_nothing_names_the_group_and_the_stack_key(graph_env: ServedGraph) -> None:
    with pytest.raises(DirectoryLookupError) as failure:
        provider.create(inputs("group", "Enginering"))
    message = str(failure.value)
    assert "resolving group 'Enginering': no group has this display name in the tenant" in message
    assert message.endswith(f"Stack key: ssoprov:organization.{GROUPS_KEY}.")
    with pytest.raises(DirectoryLookupError, match=re.escape("resolving user 'nobody@contoso.example'")):
        provider.create(
            inputs("user", "nobody@contoso.example", stack_key="identityProvider.assignments.users")
        )


def test_a_name_several_groups_share_is_refused_with_their_ids(graph_env: ServedGraph) -> None:
    with pytest.raises(DirectoryLookupError) as failure:
        provider.create(inputs("group", "Support", stack_key="roleMappings"))
    message = str(failure.value)
    assert CONTOSO.group("Support-Tier1").id in message and CONTOSO.group("Support-Tier2").id in message
    assert "Stack key: ssoprov:organization.roleMappings." in message


def test_read_of_a_deleted_object_drops_it(graph_env: ServedGraph) -> None:
    missing = str(uuid.uuid4())
    assert provider.read(missing, {**inputs("group", "Gone"), "object_id": missing}).id is None
    assert provider.read(missing, {**inputs("user", "gone@contoso.example"), "object_id": missing}).id is None


def test_a_new_name_looks_up_again_a_new_stack_key_only_updates_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    olds = {**inputs("group", "Engineering"), "object_id": "g1"}
    assert provider.diff("g1", olds, inputs("group", "Engineering")).changes is False
    assert provider.diff("g1", olds, inputs("group", "Sales")).replaces == ["spec_name"]
    moved = provider.diff("g1", olds, inputs("group", "Engineering", stack_key="roleMappings"))
    assert moved.changes is True and moved.replaces == []
    monkeypatch.delenv("SSOPROV_GRAPH_URL", raising=False)  # update calls nothing
    outs = provider.update("g1", olds, inputs("group", "Engineering", stack_key="roleMappings")).outs
    assert outs == {**olds, "stack_key": "roleMappings"}
    provider.delete("g1", olds)  # the group is the customer's: nothing to delete
