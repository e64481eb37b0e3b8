"""A hostile stack file is refused by `pulumi preview` before any API is called."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi import automation as auto

from sandbox.environment import LocalSandbox
from tests.faults.support import keycloak_state
from tests.integration.organizations import okta_organization, stack_config
from tests.support.projects import StackProject

HOSTILE = [
    (("name",), "globex; DROP TABLE", "contains ' ', ';'"),
    (("displayName",), "Globex\nInjected: header", "control characters"),
    (
        ("identityProvider", "extraRedirectUris"),
        ["https://user:pw@app.example.com/cb"],
        "user name or password",
    ),
    (("broker", "url"), "ftp://sso.example.com", "absolute https:// URL"),
]


@pytest.mark.parametrize(("path", "value", "expected"), HOSTILE, ids=[p[-1] for p, _, _ in HOSTILE])
def test_preview_of_a_hostile_spec_fails_before_any_call(
    path: tuple[str, ...],
    value: object,
    expected: str,
    sandbox: LocalSandbox,
    realm: str,
    stack_project: Callable[..., StackProject],
) -> None:
    organization = okta_organization(sandbox, realm)
    target = organization
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    keycloak_before = keycloak_state(sandbox, realm)
    project = stack_project("globex", stack_config(organization), env=sandbox.engine_env())

    with pytest.raises(auto.CommandError) as raised:
        project.stack.preview()

    assert expected in str(raised.value)
    assert "ssoprov:organization." in str(raised.value)
    assert sandbox.okta.calls.all() == []
    assert sandbox.graph.calls.all() == []
    assert sandbox.workos.calls.all() == []
    assert keycloak_state(sandbox, realm) == keycloak_before
