"""Which claim carries the groups: a generic OIDC spec names it; Entra role mappings need group IDs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssoprov.spec import parse_organization
from ssoprov.spec.problems import InvalidSpec
from tests.spec.test_validate import run_validate, valid_spec, write_stack

GENERIC = {
    "kind": "oidc",
    "clientId": "initech-sso",
    "discoveryUrl": "https://idp.initech.example/.well-known/openid-configuration",
}


def generic_spec(**idp: str) -> dict:
    spec = valid_spec()
    spec["identityProvider"] = {**GENERIC, **idp}
    return spec


def test_generic_oidc_names_its_groups_claim_and_defaults_to_groups() -> None:
    assert parse_organization(generic_spec(), "x").identity_provider.groups_claim == "groups"
    named = parse_organization(generic_spec(groupsClaim="https://initech.example/groups"), "x")
    assert named.identity_provider.groups_claim == "https://initech.example/groups"


@pytest.mark.parametrize("claim", ["my groups", "", "gr\u00fcppen"])
def test_a_groups_claim_that_no_token_can_carry_is_refused_with_file_key_and_fix(
    claim: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack(tmp_path, "initech", generic_spec(groupsClaim=claim))

    code, lines = run_validate(capsys, str(path))

    key = "ssoprov:organization.identityProvider.groupsClaim"
    assert code == 1
    problem = next(line for line in lines if f": {key}: " in line)
    assert problem.startswith(f"{path}: {key}: ")
    assert "the name of the ID-token claim that lists the user's groups" in problem.split("Fix:", 1)[1]


@pytest.mark.parametrize(
    ("groups_claim", "sent"), [("DirectoryRole", "directory roles (in wids)"), ("None", "no groups claim")]
)
def test_entra_role_mappings_need_a_groups_claim_that_carries_group_ids(groups_claim: str, sent: str) -> None:
    spec = valid_spec()
    spec["identityProvider"]["groupsClaim"] = groups_claim
    assert spec["roleMappings"]

    with pytest.raises(InvalidSpec) as raised:
        parse_organization(spec, "stacks/Pulumi.acme.yaml")

    message = str(raised.value)
    assert f"with groupsClaim {groups_claim} Entra sends {sent}" in message
    assert "Fix: set identityProvider.groupsClaim to ApplicationGroup, SecurityGroup or All" in message


@pytest.mark.parametrize("groups_claim", ["ApplicationGroup", "SecurityGroup", "All"])
def test_entra_group_id_claims_accept_role_mappings(groups_claim: str) -> None:
    spec = valid_spec()
    spec["identityProvider"]["groupsClaim"] = groups_claim
    assert parse_organization(spec, "x").identity_provider.sends_group_ids


def test_entra_directory_roles_without_role_mappings_are_fine() -> None:
    spec = valid_spec()
    spec["identityProvider"]["groupsClaim"] = "DirectoryRole"
    spec["roleMappings"] = []
    assert not parse_organization(spec, "x").identity_provider.sends_group_ids


def test_entra_app_roles_need_no_group_ids_nor_assigned_groups() -> None:
    spec = valid_spec()
    spec["identityProvider"] |= {"roleSource": "appRoles", "groupsClaim": "None"}
    spec["identityProvider"]["assignments"] = {"groups": []}
    assert spec["roleMappings"]
    assert parse_organization(spec, "x").identity_provider.uses_app_roles


def test_an_app_role_value_with_spaces_is_refused_with_file_key_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = valid_spec()
    spec["identityProvider"]["roleSource"] = "appRoles"
    spec["roleMappings"] = [{"group": "Engineering", "role": "support agent"}]
    path = write_stack(tmp_path, "acme", spec)

    code, lines = run_validate(capsys, str(path))

    key = "ssoprov:organization.roleMappings[0].role"
    problem = next(line for line in lines if f": {key}: " in line)
    assert code == 1 and problem.startswith(f"{path}: {key}: ")
    assert "Fix: name the broker role without spaces" in problem


@pytest.mark.parametrize(
    ("groups_claim", "role_source", "warned"),
    [
        ("SecurityGroup", "groups", True),
        ("All", "groups", True),
        ("ApplicationGroup", "groups", False),
        ("SecurityGroup", "appRoles", False),
    ],
)
def test_validate_warns_of_group_overage_where_mappings_depend_on_a_claim_it_drops(
    groups_claim: str, role_source: str, warned: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = valid_spec()
    spec["identityProvider"] |= {"groupsClaim": groups_claim, "roleSource": role_source}
    path = write_stack(tmp_path, "acme", spec)

    code, lines = run_validate(capsys, str(path))

    assert code == 0 and lines[-1].endswith("0 problems")
    warnings = [line for line in lines if line.startswith("warning: ")]
    if not warned:
        assert warnings == []
        return
    key = "ssoprov:organization.identityProvider.groupsClaim"
    assert warnings == [warnings[0]] and warnings[0].startswith(f"warning: {path}: {key}: ")
    assert "more than 200" in warnings[0] and "Entra's group overage" in warnings[0]
    assert "Fix: set identityProvider.roleSource to appRoles" in warnings[0]
