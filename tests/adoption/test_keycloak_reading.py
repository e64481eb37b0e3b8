"""Reading a hand-made Keycloak identity provider into spec keys, and the file `adopt` writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from ssoprov.adoption.command import _engine_failure, adoption_spec
from ssoprov.adoption.keycloak import connection_from_keycloak
from ssoprov.adoption.stack_file import render_adopted
from ssoprov.errors import ProvisionerError
from ssoprov.spec.loading import validate_stack_files

URL, REALM = "https://sso.example.com", "customers"
PROVIDER = {
    "alias": "initech-corp",
    "displayName": "Initech",
    "providerId": "oidc",
    "config": {
        "clientId": "initech-sso",
        "clientSecret": "**********",
        "issuer": "https://idp.initech.example",
        "clientAuthMethod": "client_secret_post",
        "syncMode": "IMPORT",
    },
}


def mapper(name: str, kind: str, **config: str) -> dict:
    return {"name": name, "identityProviderMapper": kind, "config": {"syncMode": "INHERIT", **config}}


def test_mappers_of_our_shape_become_mappings_and_the_rest_are_extras() -> None:
    claim = "https://initech\\.example/groups"  # Keycloak's path for the one claim of that name
    mappers = [
        mapper("everyone", "oidc-hardcoded-role-idp-mapper", role="member"),
        mapper("eng", "oidc-role-idp-mapper", claim=claim, **{"claim.value": "0o17", "role": "developer"}),
        mapper("dept", "oidc-user-attribute-idp-mapper", claim="department", **{"user.attribute": "dept"}),
        mapper(
            "ops",
            "oidc-role-idp-mapper",
            claim=claim,
            syncMode="IMPORT",
            **{"claim.value": "Ops", "role": "ops"},
        ),
    ]
    reading = connection_from_keycloak(URL, REALM, PROVIDER, mappers)

    assert reading.identity_provider == {
        "kind": "oidc",
        "clientId": "initech-sso",
        "discoveryUrl": "https://idp.initech.example/.well-known/openid-configuration",
        "tokenEndpointAuthMethod": "client_secret_post",
        "groupsClaim": "https://initech.example/groups",
    }
    assert reading.broker == {
        "kind": "keycloak",
        "url": URL,
        "realm": REALM,
        "alias": "initech-corp",
        "syncMode": "IMPORT",
    }
    assert reading.role_mappings == [{"group": "0o17", "role": "developer"}]
    assert reading.mapper_names == {"0o17": "eng"}
    assert (reading.default_role, reading.default_role_mapper_name) == ("member", "everyone")
    assert [extra.split("'")[1] for extra in reading.extras] == ["dept", "ops"]


def test_the_written_file_is_valid_and_keeps_text_the_engine_would_retype(tmp_path: Path) -> None:
    mappers = [
        mapper("eng", "oidc-role-idp-mapper", claim="groups", **{"claim.value": "0o17", "role": "2024-01-01"})
    ]
    spec = adoption_spec("initech", connection_from_keycloak(URL, REALM, PROVIDER, mappers))
    path = tmp_path / "Pulumi.initech.yaml"
    path.write_text(render_adopted(spec, "Keycloak"))

    assert validate_stack_files([path]) == []  # no oidcClientSecret needed: the broker keeps its own
    assert '"0o17"' in path.read_text() and '"2024-01-01"' in path.read_text()


def test_a_provider_neither_openid_connect_nor_microsoft_is_refused_with_a_fix() -> None:
    with pytest.raises(ProvisionerError, match=r"type is 'saml'.*Fix:"):
        connection_from_keycloak(URL, REALM, {**PROVIDER, "providerId": "saml"}, [])


def test_an_engine_failure_says_what_was_adopted_that_nothing_changed_and_how_to_go_on() -> None:
    error = _engine_failure(
        "checking that stacks/Pulumi.initech.yaml reproduces Keycloak x (preview --expect-no-changes)",
        "stacks/Pulumi.initech.yaml",
        "initech",
        auto.CommandError(" code: 255\n stdout: ~ identity provider update [diff: ~display_name]\n stderr: "),
    )
    text = str(error)
    assert "the connection itself was not changed" in text and "[diff: ~display_name]" in text
    assert "Fix: correct stacks/Pulumi.initech.yaml" in text and "pulumi stack rm initech" in text
