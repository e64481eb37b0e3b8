"""`identityProvider.protocol: saml`: its settings read (for Okta, the group attribute filter checked
against the mappings like the OIDC groups claim); Okta and Entra ID SAML brokered by Keycloak
accepted, and every other combination, or what such an organization cannot have, refused with the
key and the fix, before any cloud call."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssoprov.spec.loading import load_stack_file, stack_file_warnings, validate_stack_files
from ssoprov.spec.models import OktaIdp
from tests.spec.stack_text import write_stack_text

SPEC = "ssoprov:organization"

STACK = """\
config:
  ssoprov:organization:
    name: globex
    displayName: Globex
    identityProvider:
{idp}
    broker:
{broker}
    roleMappings:
      - group: Engineering
        role: developer
"""
OKTA_SAML = """\
      kind: okta
      orgUrl: https://globex.okta.com
      groups: [Engineering]
      protocol: saml
      saml:
        nameIdFormat: persistent
        groupsAttribute:
          name: memberOf
          filterType: starts_with
          value: {prefix}"""
ENTRA_SAML = """\
      kind: entra
      tenantId: 8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13
      protocol: saml
      assignments:
        groups: [Engineering]"""
KEYCLOAK = """\
      kind: keycloak
      url: http://127.0.0.1:9
      realm: customers"""
WORKOS = """\
      kind: workos
      organizationId: org_01HZX5Y3V4W6Q8R9S0T1U2V3W4
      manualStepsAcknowledged: true
      redirectUri: https://api.workos.com/sso/oidc/callback"""
WORKOS_SAML = """\
      kind: workos
      organizationId: org_01HZX5Y3V4W6Q8R9S0T1U2V3W4
      manualStepsAcknowledged: true
      saml:
        connectionId: conn_01HZX3B7K2M9
        acsUrl: https://auth.workos.com/sso/saml/acs/ZmFrZS1hY3M
        spEntityId: {entity_id}"""


def _load(tmp_path: Path, idp: str, broker: str = KEYCLOAK) -> tuple[object, list]:
    loaded = load_stack_file(write_stack_text(tmp_path, "globex", STACK.format(idp=idp, broker=broker)))
    return loaded[0], loaded[2]


def test_the_saml_settings_are_read_with_their_defaults() -> None:
    idp = OktaIdp.model_validate(
        {
            "kind": "okta",
            "orgUrl": "https://globex.okta.com",
            "protocol": "saml",
            "saml": {"nameIdFormat": "persistent"},
        }
    )

    assert idp.uses_saml and idp.saml is not None and idp.saml.name_id_format == "persistent"
    assert (idp.saml.groups_attribute.name, idp.saml.groups_attribute.filter_type) == ("groups", "regex")


def test_oidc_stays_the_default_and_is_not_refused(tmp_path: Path) -> None:
    spec, problems = _load(tmp_path, "      kind: okta\n      orgUrl: https://globex.okta.com")
    assert problems == [] and spec.identity_provider.protocol == "oidc"


def test_a_mapping_the_group_attribute_filter_drops_is_refused(tmp_path: Path) -> None:
    _, problems = _load(tmp_path, OKTA_SAML.format(prefix="sales-"))

    mappings = [problem for problem in problems if problem.key.startswith(f"{SPEC}.roleMappings")]
    assert [(problem.key, problem.fix) for problem in mappings] == [
        (
            f"{SPEC}.roleMappings[0].group",
            "change identityProvider.saml.groupsAttribute to let 'Engineering' through, "
            "or remove this mapping",
        )
    ]
    assert "never reaches the assertion" in mappings[0].message


@pytest.mark.parametrize(
    ("idp", "broker", "key", "fix"),
    [
        (
            "      kind: microsoft\n      tenantId: 8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13\n"
            "      protocol: saml",
            KEYCLOAK,
            "identityProvider.protocol",
            "remove identityProvider.protocol, or use kind okta or entra for a SAML connection",
        ),
        (
            "      kind: okta\n      orgUrl: https://globex.okta.com\n"
            "      saml:\n        nameIdFormat: persistent",
            KEYCLOAK,
            "identityProvider.saml",
            "set identityProvider.protocol to saml, or remove identityProvider.saml",
        ),
    ],
    ids=[
        "microsoft",
        "saml-settings-without-saml",
    ],
)
def test_combinations_not_built_are_refused_with_the_key_and_the_fix(
    tmp_path: Path, idp: str, broker: str, key: str, fix: str
) -> None:
    _, problems = _load(tmp_path, idp, broker)

    [refusal] = [problem for problem in problems if problem.key == f"{SPEC}.{key}"]
    assert refusal.fix == fix
    assert str(refusal).startswith(str(tmp_path / "Pulumi.globex.yaml"))


def test_okta_saml_brokered_by_keycloak_is_accepted(tmp_path: Path) -> None:
    spec, problems = _load(tmp_path, OKTA_SAML.format(prefix="eng"))

    assert problems == []
    assert spec.identity_provider.uses_saml and spec.identity_provider.saml.name_id_format == "persistent"


@pytest.mark.parametrize(
    ("extra", "key", "fix"),
    [
        (
            "    clientAuthentication:\n      method: privateKeyJwt\n",
            "clientAuthentication.method",
            "remove clientAuthentication, or use protocol oidc",
        ),
        (
            "    adoption:\n      clientId: 0oa1abcdefghijklmnop\n",
            "adoption",
            "remove adoption to let ssoprov create the SAML app, or use protocol oidc",
        ),
    ],
    ids=["private-key-jwt", "adoption"],
)
def test_what_a_saml_connection_cannot_have_is_refused(
    tmp_path: Path, extra: str, key: str, fix: str
) -> None:
    text = STACK.format(idp=OKTA_SAML.format(prefix="eng"), broker=KEYCLOAK) + extra
    _, _, problems = load_stack_file(write_stack_text(tmp_path, "globex", text))

    [refusal] = [problem for problem in problems if problem.key == f"{SPEC}.{key}"]
    assert refusal.fix == fix


def test_an_oidc_groups_claim_on_an_okta_saml_app_is_refused_not_ignored(tmp_path: Path) -> None:
    claim = "\n      groupsClaim:\n        name: groups\n        filterType: regex\n        value: .*"
    _, problems = _load(tmp_path, OKTA_SAML.format(prefix="eng") + claim)

    [refusal] = problems
    assert refusal.key == f"{SPEC}.identityProvider.groupsClaim"
    assert refusal.fix == "move its name, filterType and value to identityProvider.saml.groupsAttribute"


def test_a_secret_policy_on_a_saml_connection_is_a_warning_that_it_does_nothing(tmp_path: Path) -> None:
    text = STACK.format(idp=OKTA_SAML.format(prefix="eng"), broker=KEYCLOAK)
    path = write_stack_text(tmp_path, "globex", text + "    clientSecret:\n      rotateAfterDays: 90\n")

    assert validate_stack_files([path]) == []
    [warning] = stack_file_warnings([path])
    assert warning.key == f"{SPEC}.clientSecret"
    assert warning.message.startswith("has no effect while identityProvider.protocol is saml")
    assert warning.fix == "remove clientSecret, or keep it only for switching back to protocol oidc"


def test_a_group_attribute_named_like_a_profile_attribute_is_refused(tmp_path: Path) -> None:
    idp = OKTA_SAML.format(prefix="eng").replace("name: memberOf", "name: email")
    _, problems = _load(tmp_path, idp)

    [refusal] = [p for p in problems if p.key == f"{SPEC}.identityProvider.saml.groupsAttribute.name"]
    assert "already sends as the user's email" in refusal.message


def test_the_certificate_rollover_lead_defaults_to_30_days_and_out_of_range_is_refused_with_the_fix(
    tmp_path: Path,
) -> None:
    spec, problems = _load(tmp_path, OKTA_SAML.format(prefix="Eng"))
    assert problems == [] and spec.identity_provider.saml.rotate_before_expiry_days == 30  # type: ignore[attr-defined]

    in_range = "Fix: use a whole number of days from 1 to 365: how long before"
    fixes = {"0": in_range, "400": in_range, '"30"': "without quotes"}
    for value, fix in fixes.items():
        idp = OKTA_SAML.format(prefix="Eng") + f"\n        rotateBeforeExpiryDays: {value}"
        _, problems = _load(tmp_path, idp)
        [problem] = problems
        assert problem.file.endswith("Pulumi.globex.yaml"), value
        assert problem.key == f"{SPEC}.identityProvider.saml.rotateBeforeExpiryDays", value
        assert fix in str(problem), (value, str(problem))


def test_entra_saml_brokered_by_keycloak_is_accepted(tmp_path: Path) -> None:
    spec, problems = _load(tmp_path, ENTRA_SAML)

    assert problems == []
    assert spec.identity_provider.uses_saml and spec.identity_provider.groups_claim == "ApplicationGroup"


@pytest.mark.parametrize(
    ("setting", "key", "fix"),
    [
        ("multiTenant: true", "multiTenant", "remove identityProvider.multiTenant, or use protocol oidc"),
        (
            "optionalClaims: [email]",
            "optionalClaims",
            "remove identityProvider.optionalClaims, or use protocol oidc",
        ),
        ("roleSource: appRoles", "roleSource", "remove identityProvider.roleSource, or use protocol oidc"),
        (
            "saml:\n        nameIdFormat: persistent",
            "saml.nameIdFormat",
            "remove identityProvider.saml.nameIdFormat (emailAddress)",
        ),
        (
            "saml:\n        groupsAttribute:\n          name: memberOf",
            "saml.groupsAttribute",
            "remove identityProvider.saml.groupsAttribute, and set identityProvider.groupsClaim instead",
        ),
    ],
    ids=["multi-tenant", "optional-claims", "app-roles", "name-id-format", "okta-group-attribute"],
)
def test_what_an_entra_saml_app_cannot_have_is_refused_with_the_key_and_the_fix(
    tmp_path: Path, setting: str, key: str, fix: str
) -> None:
    _, problems = _load(tmp_path, f"{ENTRA_SAML}\n      {setting}")

    [refusal] = [problem for problem in problems if problem.key == f"{SPEC}.identityProvider.{key}"]
    assert refusal.fix == fix
    assert str(refusal).startswith(str(tmp_path / "Pulumi.globex.yaml"))


def test_okta_and_entra_saml_brokered_by_workos_take_the_dashboard_connection(tmp_path: Path) -> None:
    entity_id = "https://auth.workos.com/01HZX3B7K2M9"
    for idp in (OKTA_SAML.format(prefix="eng"), ENTRA_SAML):
        spec, problems = _load(tmp_path, idp, WORKOS_SAML.format(entity_id=entity_id))

        assert problems == []
        assert spec.broker.saml.sp_entity_id == entity_id and spec.broker.redirect_uri is None


@pytest.mark.parametrize(
    ("idp", "broker", "refused"),
    [
        (
            ENTRA_SAML,
            WORKOS,
            {
                "broker.saml": "in the WorkOS dashboard, open organization org_01HZX5Y3V4W6Q8R9S0T1U2V3W4, "
                "add an Entra ID SAML connection, and copy its ID, ACS URL and SP Entity ID into "
                "broker.saml.connectionId, acsUrl and spEntityId",
                "broker.redirectUri": "remove broker.redirectUri",
            },
        ),
        (
            "      kind: okta\n      orgUrl: https://globex.okta.com",
            WORKOS_SAML.format(entity_id="urn:workos:sp"),
            {
                "broker.redirectUri": "set broker.redirectUri to the redirect URI the WorkOS dashboard shows "
                "for OIDC connections (e.g. https://api.workos.com/sso/oidc/callback)",
                "broker.saml": "set identityProvider.protocol to saml, or remove broker.saml",
            },
        ),
        (
            OKTA_SAML.format(prefix="eng"),
            WORKOS_SAML.format(entity_id="not a uri"),
            {"broker.saml.spEntityId": None},
        ),
    ],
    ids=["saml-without-the-dashboard-connection", "oidc-with-saml-keys", "entity-id-not-a-uri"],
)
def test_a_workos_connection_with_the_other_protocols_keys_is_refused_with_the_fix(
    tmp_path: Path, idp: str, broker: str, refused: dict[str, str | None]
) -> None:
    _, problems = _load(tmp_path, idp, broker)

    found = {problem.key.removeprefix(f"{SPEC}."): problem for problem in problems}
    assert set(found) == set(refused)
    for key, fix in refused.items():
        assert fix is None or found[key].fix == fix
        assert str(found[key]).startswith(str(tmp_path / "Pulumi.globex.yaml"))
