"""The provider that stacks made by the one-resource-per-role release record (realm_role.py): it
loads from their state, and deleting or reading an old role resource calls Keycloak for nothing."""

from __future__ import annotations

import base64

import dill

from ssoprov.brokers.keycloak.realm_role import _KeycloakRealmRoleProvider

RECORDED_PROVIDER = (
    "gASVSQAAAAAAAACMI3Nzb3Byb3YuYnJva2Vycy5rZXljbG9hay5yZWFsbV9yb2xl"
    "lIwaX0tleWNsb2FrUmVhbG1Sb2xlUHJvdmlkZXKUk5QpgZQu"
)
"""The `__provider` of a KeycloakRealmRole in the state of a stack that release (2edc4ef) made."""

OLD_STATE = {
    "url": "http://127.0.0.1:9",  # nothing answers there: a call would fail the test
    "realm": "sso",
    "name": "engineer",
    "create_missing": True,
    "created": True,
    "__provider": RECORDED_PROVIDER,
}


def test_the_recorded_provider_reads_and_deletes_without_calling_keycloak(http_calls: list[str]) -> None:
    provider = dill.loads(base64.b64decode(RECORDED_PROVIDER))
    assert isinstance(provider, _KeycloakRealmRoleProvider)

    read = provider.read("sso/engineer", dict(OLD_STATE))
    provider.delete("sso/engineer", dict(OLD_STATE))

    assert (read.id, read.outs) == ("sso/engineer", OLD_STATE)
    assert http_calls == []
