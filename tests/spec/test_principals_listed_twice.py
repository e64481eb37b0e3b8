"""A user or group listed twice, compared as its directory compares names, is refused before any cloud
call: two resources holding one Entra assignment would unassign the principal when either entry is
removed later, while the other still showed it assigned.

Entra ID ignores case in user principal names and in group display names (`displayName eq`); Okta's
group names are case-sensitive and unique as written, so only an exact repeat is one Okta group."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssoprov.cli import main
from ssoprov.spec.loading import load_stack_file
from tests.spec.stack_text import entra_stack, okta_stack, write_stack_text

SPEC = "ssoprov:organization"
ASSIGNED = "      assignments:\n        groups: [Engineering, Admins]\n"


def entra_assignments(groups: str, users: str = "[]") -> str:
    text = entra_stack().replace(
        ASSIGNED, f"      assignments:\n        groups: {groups}\n        users: {users}\n"
    )
    assert f"users: {users}" in text
    return text


def okta_groups(groups: str) -> str:
    text = okta_stack().replace("groups: [Engineering, Admins, App-Sales]", f"groups: {groups}")
    assert f"groups: {groups}" in text
    return text


def problems(tmp_path: Path, text: str, stack: str) -> list[tuple[str, str, str]]:
    found = load_stack_file(write_stack_text(tmp_path, stack, text))[2]
    return [(problem.key, problem.message, problem.fix) for problem in found]


@pytest.mark.parametrize(
    ("users", "repeat", "duplicates"),
    [
        (
            "[bob@contoso.example, Bob@Contoso.Example]",
            "'Bob@Contoso.Example'",
            "users[0] is 'bob@contoso.example', the same user: Entra ID ignores case in user principal "
            "names and object IDs",
        ),
        ("[bob@contoso.example, bob@contoso.example]", "'bob@contoso.example'", "users[0]"),
    ],
    ids=["differing-case", "exact"],
)
def test_an_entra_user_listed_twice_is_refused(
    tmp_path: Path, users: str, repeat: str, duplicates: str
) -> None:
    assert problems(tmp_path, entra_assignments("[Engineering, Admins]", users), "acme") == [
        (
            f"{SPEC}.identityProvider.assignments.users[1]",
            f"lists user {repeat} again ({duplicates})",
            "list each user once: remove users[1]",
        )
    ]


@pytest.mark.parametrize(
    ("groups", "repeat", "duplicates"),
    [
        (
            "[Engineering, Admins, ENGINEERING]",
            "'ENGINEERING'",
            "groups[0] is 'Engineering', the same group: Entra ID ignores case in group display names "
            "and object IDs",
        ),
        ("[Engineering, Admins, Engineering]", "'Engineering'", "groups[0]"),
    ],
    ids=["differing-case", "exact"],
)
def test_an_entra_group_listed_twice_is_refused(
    tmp_path: Path, groups: str, repeat: str, duplicates: str
) -> None:
    assert problems(tmp_path, entra_assignments(groups), "acme") == [
        (
            f"{SPEC}.identityProvider.assignments.groups[2]",
            f"lists group {repeat} again ({duplicates})",
            "list each group once: remove groups[2]",
        )
    ]


def test_an_entra_object_id_in_another_case_is_the_same_user(tmp_path: Path) -> None:
    users = "[9a2c7d4e-1b3f-4e5a-8c6d-0f1e2d3c4b5a, 9A2C7D4E-1B3F-4E5A-8C6D-0F1E2D3C4B5A]"

    assert [
        key for key, _, _ in problems(tmp_path, entra_assignments("[Engineering, Admins]", users), "acme")
    ] == [f"{SPEC}.identityProvider.assignments.users[1]"]


def test_an_okta_group_listed_twice_is_refused_before_up_meets_a_duplicate_resource(tmp_path: Path) -> None:
    found = load_stack_file(
        write_stack_text(tmp_path, "globex", okta_groups("[Engineering, Admins, Engineering]"))
    )

    assert [str(problem) for problem in found[2]] == [
        f"{tmp_path / 'Pulumi.globex.yaml'}: {SPEC}.identityProvider.groups[2]: lists group "
        "'Engineering' again (groups[0]) (line 8). Fix: list each group once: remove groups[2]"
    ]


def test_okta_groups_differing_in_case_are_two_groups(tmp_path: Path) -> None:
    # Okta's group name is case-sensitive, and the lookup matches it exactly: Engineering and
    # engineering can be two groups of one org.
    assert problems(tmp_path, okta_groups("[Engineering, Admins, engineering]"), "globex") == []


def test_role_mappings_differing_in_case_stay_two_mappings(tmp_path: Path) -> None:
    # Okta sends group names verbatim and the broker matches claim values exactly.
    assert problems(tmp_path, okta_stack(group="engineering"), "globex") == []


def test_a_mapped_group_assigned_in_another_case_is_assigned(tmp_path: Path) -> None:
    """With ApplicationGroup a mapped group must be assigned; Entra finds `admins` and `Admins` alike,
    so asking to assign it again would only lead to the refusal above."""
    text = entra_stack(group="ADMINS").replace("groupsClaim: SecurityGroup", "groupsClaim: ApplicationGroup")

    assert problems(tmp_path, text, "acme") == []


def test_validate_names_the_stack_file_the_key_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack_text(
        tmp_path,
        "acme",
        entra_assignments("[Engineering, Admins]", "[bob@contoso.example, Bob@Contoso.Example]"),
    )

    code = main(["validate", str(path)])

    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    assert lines[0] == (
        f"{path}: {SPEC}.identityProvider.assignments.users[1]: lists user 'Bob@Contoso.Example' again "
        "(users[0] is 'bob@contoso.example', the same user: Entra ID ignores case in user principal names "
        "and object IDs) (line 12). Fix: list each user once: remove users[1]"
    )
    assert lines[-1] == "0 of 1 stack file valid, 1 problem"
