"""The spec's `adoption` keys: names of hand-made mappers must belong to a mapping."""

from __future__ import annotations

import pytest

from ssoprov.spec import parse_organization
from ssoprov.spec.problems import InvalidSpec

SPEC = {
    "name": "initech",
    "displayName": "Initech",
    "identityProvider": {
        "kind": "oidc",
        "clientId": "initech-sso",
        "discoveryUrl": "https://idp.initech.example/.well-known/openid-configuration",
    },
    "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "customers"},
    "roleMappings": [{"group": "Engineering", "role": "developer"}],
}


def test_adopted_mapper_names_of_mapped_groups_are_accepted() -> None:
    spec = parse_organization({**SPEC, "adoption": {"mapperNames": {"Engineering": "eng devs"}}}, "f.yaml")
    assert spec.adoption is not None and not spec.adoption.allow_destroy


def test_a_mapper_name_for_an_unmapped_group_names_key_and_fix() -> None:
    with pytest.raises(InvalidSpec) as raised:
        parse_organization({**SPEC, "adoption": {"mapperNames": {"Sales": "sales"}}}, "f.yaml")
    text = str(raised.value)
    assert "adoption.mapperNames.Sales" in text and "add a roleMappings entry for 'Sales'" in text
