"""Each problem says what is wrong and a real fix: no regexes, no "see README.md", the right key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from ssoprov.cli import main
from ssoprov.spec import models
from ssoprov.spec.loading import load_stack_file, stack_file_warnings, validate_stack_files
from ssoprov.spec.problems import SpecProblem
from tests.spec.stack_text import entra_stack, okta_stack, write_stack_text

SPEC = "ssoprov:organization"
MICROSOFT_STACK = """\
config:
  ssoprov:organization:
    name: acme
    displayName: Acme
    identityProvider:
      kind: microsoft
      tenantId: 8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13
    broker:
      kind: keycloak
      url: http://127.0.0.1:9
      realm: customers
    defaultRole: member
"""


def problems_of(tmp_path: Path, text: str, stack: str = "acme") -> list[SpecProblem]:
    return load_stack_file(write_stack_text(tmp_path, stack, text))[2]


def _spec_models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, models.SpecModel) and value is not models.SpecModel
    ]


@pytest.mark.parametrize("model", _spec_models(), ids=lambda model: model.__name__)
def test_every_key_describes_what_it_takes_so_every_fix_is_concrete(model: type[BaseModel]) -> None:
    undescribed = [
        name
        for name, field in model.model_fields.items()
        if name != "kind" and not field.description  # a wrong kind is answered with the list of kinds
    ]
    assert undescribed == []


@pytest.mark.parametrize(("idp", "stack"), [("okta", "globex"), ("microsoft", "acme")])
def test_a_bad_extra_redirect_uri_gets_a_real_fix(idp: str, stack: str, tmp_path: Path) -> None:
    text = okta_stack() if idp == "okta" else MICROSOFT_STACK
    text = text.replace(
        "      kind: ", "      extraRedirectUris: [http://app.example.com/cb]\n      kind: ", 1
    )

    problems = problems_of(tmp_path, text, stack)

    assert [(p.key, p.message) for p in problems] == [
        (
            f"{SPEC}.identityProvider.extraRedirectUris[0]",
            "must use https:// (plain http is allowed only for localhost)",
        )
    ]
    assert "README" not in problems[0].fix
    assert "https://" in problems[0].fix


def test_a_group_mapped_twice_is_named_with_its_mapping(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, entra_stack(group="Engineering"))

    assert [(p.key, p.message, p.fix) for p in problems] == [
        (
            f"{SPEC}.roleMappings[1].group",
            "maps group 'Engineering' again (roleMappings[0] maps it to 'developer')",
            "map each group once: remove roleMappings[1] or fold it into roleMappings[0]",
        )
    ]
    assert problems[0].line == 21


def test_an_entra_group_mapped_twice_in_another_case_is_one_group_mapped_twice(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, entra_stack(group="ENGINEERING"))

    assert [(p.key, p.message) for p in problems] == [
        (
            f"{SPEC}.roleMappings[1].group",
            "maps group 'ENGINEERING' again (roleMappings[0] maps 'Engineering' to 'developer', the same "
            "group: Entra ID ignores case in group display names and object IDs)",
        )
    ]


def test_okta_group_names_differing_in_case_are_two_groups_to_map(tmp_path: Path) -> None:
    text = okta_stack(name="acme", group="engineering")
    text = text.replace("[Engineering, Admins, App-Sales]", "[Engineering, engineering]")

    assert problems_of(tmp_path, text) == []


@pytest.mark.parametrize(
    ("key", "value", "message", "fix"),
    [
        (
            "name",
            "a" * 64,
            "is 64 characters long, 63 characters at most",
            "shorten it to 2 to 63 characters",
        ),
        ("name", "Acme", "contains 'A'", "use only lower-case letters a-z, digits and dashes"),
        ("name", "-acme", "starts or ends with a dash", "start and end it with a letter or a digit"),
        (
            "realm",
            "r" * 70,
            "is 70 characters long, 63 characters at most",
            "shorten it to 2 to 63 characters",
        ),
        ("realm", "r", "is 1 character long, fewer than 2", "lengthen it to 2 to 63 characters"),
        ("alias", "my_alias", "contains '_'", "use only lower-case letters a-z, digits and dashes"),
        ("claim", "1groups", "starts with a digit", "start it with a letter or an underscore"),
        ("claim", "g" * 65, "is 65 characters long", "use 1 to 64 characters"),
        (
            "organizationId",
            "org_short",
            "is not a WorkOS organization ID (org_ and 10 to 40 letters and digits)",
            "copy the organization's ID from the WorkOS dashboard, e.g. org_01HZX3B7K2M9",
        ),
    ],
)
def test_pattern_checked_keys_say_what_is_wrong_not_the_pattern(
    key: str, value: str, message: str, fix: str, tmp_path: Path
) -> None:
    document: dict[str, Any] = yaml.safe_load(okta_stack())
    spec = document["config"][SPEC]
    target = {
        "name": (spec, "name"),
        "realm": (spec["broker"], "realm"),
        "alias": (spec["broker"], "alias"),
        "claim": (spec["identityProvider"]["groupsClaim"], "name"),
    }
    if key == "organizationId":
        spec["broker"] = {
            "kind": "workos",
            "organizationId": value,
            "redirectUri": "https://auth.example.com/cb",
        }
        spec.pop("roleMappings")
    else:
        holder, field = target[key]
        holder[field] = value
    stack = value if key == "name" and len(value) < 64 and value.islower() else "globex"

    problems = problems_of(tmp_path, yaml.safe_dump(document), stack)

    assert [(p.message, p.fix) for p in problems] == [(message, fix)]
    assert "pattern" not in problems[0].message + problems[0].fix


def test_a_missing_file_and_a_folder_are_told_what_is_really_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "Pulumi.nowhere.yaml"
    folder = tmp_path / "stacks"
    folder.mkdir()

    code = main(["validate", str(missing), str(folder)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0] == (
        f"{missing}: (file): does not exist. Fix: check the path: stack files are named Pulumi.<stack>.yaml"
    )
    assert lines[1] == (
        f"{folder}: (file): is a folder, not a stack file. "
        "Fix: give the path of a Pulumi.<stack>.yaml file, or the folder with --stack-dir"
    )


def test_validating_one_file_checks_its_name_against_the_other_stack_files(tmp_path: Path) -> None:
    write_stack_text(tmp_path, "acme", entra_stack())
    copy = write_stack_text(
        tmp_path, "acme-eu", entra_stack(name="acme-eu").replace("name: acme-eu", "name: acme")
    )

    problems = validate_stack_files([copy])

    assert [(p.key, p.message) for p in problems] == [
        (f"{SPEC}.name", "is 'acme', but this file configures the stack 'acme-eu'"),
        (f"{SPEC}.name", f"organization name 'acme' is already used by {tmp_path / 'Pulumi.acme.yaml'}"),
    ]


def test_two_stacks_making_the_same_keycloak_identity_provider_are_refused_before_any_call(
    tmp_path: Path,
) -> None:
    """An alias given by hand that is another stack's name (the default alias), in the same realm of
    the same Keycloak written another way, would be one identity provider fought over by two stacks."""
    write_stack_text(tmp_path, "acme", entra_stack())
    text = entra_stack(name="acme-eu")
    text = text.replace("realm: customers", "realm: customers\n      alias: acme")
    text = text.replace("url: http://127.0.0.1:9", "url: HTTP://127.0.0.1:9/")
    copy = write_stack_text(tmp_path, "acme-eu", text)

    problems = validate_stack_files([copy])

    assert [(p.key, p.message, p.fix) for p in problems] == [
        (
            f"{SPEC}.broker.alias",
            "makes the Keycloak identity provider 'acme' in realm customers at http://127.0.0.1:9, "
            f"which {tmp_path / 'Pulumi.acme.yaml'} makes too",
            "give this organization an alias of its own: broker.alias (it defaults to the name)",
        )
    ]


@pytest.mark.parametrize(
    ("stack", "text", "key"),
    [
        (
            "acme",
            entra_stack().replace("      assignments:\n        groups: [Engineering, Admins]\n", ""),
            "assignments",
        ),
        ("globex", okta_stack().replace("groups: [Engineering, Admins, App-Sales]", "groups: []"), "groups"),
    ],
    ids=["entra", "okta"],
)
def test_an_app_that_requires_assignment_with_nobody_assigned_is_a_warning(
    tmp_path: Path, stack: str, text: str, key: str
) -> None:
    path = write_stack_text(tmp_path, stack, text)

    assert validate_stack_files([path]) == []
    [warning] = [w for w in stack_file_warnings([path]) if w.key == f"{SPEC}.identityProvider.{key}"]
    assert warning.message.endswith("nobody can sign in until an admin assigns someone by hand")


def test_a_workos_redirect_uri_over_plain_http_gets_a_fix_that_reads_as_a_sentence(tmp_path: Path) -> None:
    text = okta_stack().replace(
        "      kind: keycloak\n      url: http://127.0.0.1:9\n      realm: customers\n",
        "      kind: workos\n      organizationId: org_01HZX5Y3V4W6Q8R9S0T1U2V3W4\n"
        "      redirectUri: http://api.workos.com/sso/oidc/callback\n      manualStepsAcknowledged: true\n",
    )
    problems = load_stack_file(write_stack_text(tmp_path, "globex", text))[2]

    [problem] = [p for p in problems if p.key == f"{SPEC}.broker.redirectUri"]
    assert problem.fix == "use the OIDC connection's redirect URI as shown in the WorkOS dashboard"


def test_a_value_where_a_mapping_belongs_is_named_with_the_mapping_it_takes(tmp_path: Path) -> None:
    text = okta_stack().replace(
        "      kind: okta\n", "      kind: okta\n      protocol: saml\n      saml: emailAddress\n"
    )
    text = text.replace("    clientSecret:\n      lifetimeDays: 365\n", "    clientSecret: [365]\n")
    text = text.replace("      groupsClaim:\n        filterType: regex\n        value: .*\n", "")
    problems = load_stack_file(write_stack_text(tmp_path, "globex", text))[2]

    assert [(p.key, p.message, p.fix) for p in problems] == [
        (
            f"{SPEC}.identityProvider.saml",
            "is emailAddress, not a mapping (its keys indented below it)",
            "use a mapping with nameIdFormat and groupsAttribute (with protocol saml)",
        ),
        (
            f"{SPEC}.clientSecret",
            "is [365], not a mapping (its keys indented below it)",
            "use a mapping with lifetimeDays, rotateAfterDays and rotateBeforeExpiryDays",
        ),
    ]


def test_a_misspelt_key_of_ssoprovs_namespace_is_named_not_only_the_missing_one(tmp_path: Path) -> None:
    text = entra_stack().replace("  ssoprov:organization:", "  ssoprov:organisation:")
    problems = load_stack_file(write_stack_text(tmp_path, "acme", text))[2]

    assert [(p.key, p.message) for p in problems] == [
        ("ssoprov:organisation", "is not a key ssoprov reads"),
        (SPEC, "is missing or not a mapping"),
    ]
    assert problems[0].fix == (
        "remove it or correct its spelling: ssoprov reads ssoprov:organization and ssoprov:oidcClientSecret"
    )


def test_the_organization_name_must_be_the_stack_files_name(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, entra_stack(name="acme-corp"), stack="acme")

    assert [str(p) for p in problems] == [
        f"{tmp_path / 'Pulumi.acme.yaml'}: {SPEC}.name: is 'acme-corp', but this file configures the "
        "stack 'acme' (line 3). Fix: set name: acme, or rename the file to Pulumi.acme-corp.yaml if that "
        "stack does not exist yet"
    ]


def test_every_stack_file_in_the_repository_names_its_own_stack() -> None:
    repo = Path(__file__).resolve().parents[2]
    for path in sorted((repo / "stacks").glob("Pulumi.*.yaml")):
        spec = load_stack_file(path)[0]
        assert spec is not None and f"Pulumi.{spec.name}.yaml" == path.name


def test_union_kinds_are_listed_when_kind_is_missing_or_unknown(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, entra_stack().replace("      kind: entra\n", ""))
    assert [(p.key, p.message, p.fix) for p in problems] == [
        (f"{SPEC}.identityProvider.kind", "is required", "set kind to one of entra, microsoft, okta, oidc")
    ]


def test_a_generic_oidc_groups_claim_with_a_space_says_so_not_the_pattern(tmp_path: Path) -> None:
    document: dict[str, Any] = yaml.safe_load(okta_stack())
    spec = document["config"][SPEC]
    spec["identityProvider"] = {
        "kind": "oidc",
        "clientId": "globex-sso",
        "discoveryUrl": "https://idp.globex.example/.well-known/openid-configuration",
        "groupsClaim": "my groups",
    }
    document["config"]["ssoprov:oidcClientSecret"] = {"secure": "v1:abc:def"}

    problems = problems_of(tmp_path, yaml.safe_dump(document), "globex")

    assert [(p.key, p.message) for p in problems] == [
        (f"{SPEC}.identityProvider.groupsClaim", "contains ' '")
    ]
    assert problems[0].fix.startswith("use the name of the ID-token claim that lists the user's groups")


def test_a_default_that_breaks_a_rule_is_named_as_the_default_the_file_does_not_write(tmp_path: Path) -> None:
    text = okta_stack().replace(
        "    clientSecret:\n      lifetimeDays: 365\n", "    clientSecret:\n      lifetimeDays: 30\n"
    )
    problems = load_stack_file(write_stack_text(tmp_path, "globex", text))[2]

    assert [(p.key, p.message) for p in problems] == [
        (
            f"{SPEC}.clientSecret.rotateAfterDays",
            "is 180 (the default), not shorter than lifetimeDays (30), so the secret would expire before "
            "it is rotated",
        ),
        (
            f"{SPEC}.clientSecret.rotateBeforeExpiryDays",
            "is 30 (the default), not shorter than lifetimeDays (30)",
        ),
    ]
