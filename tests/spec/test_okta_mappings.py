"""An Okta role mapping whose group the groups-claim filter drops can never match: refused, named,
with the fix. The filter follows Okta's Claims API: regex must match the whole name, case-sensitive;
starts_with, equals and contains are not case-sensitive."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssoprov.spec.loading import load_stack_file
from tests.spec.stack_text import okta_stack, write_stack_text

SPEC = "ssoprov:organization"


def dropped(tmp_path: Path, filter_type: str, value: str, mapped: str = "Admins") -> list[str]:
    """The groups of the two mappings (Engineering, `mapped`) that are refused, by mapping index."""
    text = okta_stack(filter_type=filter_type, filter_value=value, group=mapped)
    problems = load_stack_file(write_stack_text(tmp_path, "globex", text))[2]
    for problem in problems:
        assert problem.key.startswith(f"{SPEC}.roleMappings[")
        assert problem.key.endswith("].group")
        assert problem.fix.startswith("change identityProvider.groupsClaim to let ")
    return [problem.message.split("'")[1] for problem in problems]


@pytest.mark.parametrize(
    ("filter_type", "value", "refused"),
    [
        ("regex", ".*", []),
        ("regex", "Eng.*", ["Admins"]),
        ("regex", "Eng", ["Engineering", "Admins"]),  # Okta matches the whole name, not a part
        ("regex", "eng.*|admins", ["Engineering", "Admins"]),  # and is case-sensitive
        ("starts_with", "ENG", ["Admins"]),  # not case-sensitive
        ("equals", "admins", ["Engineering"]),
        ("contains", "NEER", ["Admins"]),
    ],
)
def test_a_mapping_the_filter_drops_is_refused(
    filter_type: str, value: str, refused: list[str], tmp_path: Path
) -> None:
    assert dropped(tmp_path, filter_type, value) == refused


def test_the_refusal_names_the_mapping_the_filter_and_the_fix(tmp_path: Path) -> None:
    text = okta_stack(filter_type="starts_with", filter_value="app-", group="App-Sales")

    problems = load_stack_file(write_stack_text(tmp_path, "globex", text))[2]

    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'Pulumi.globex.yaml'}: {SPEC}.roleMappings[0].group: names 'Engineering', which the "
        "groups claim filter (starts_with 'app-', not case-sensitive) drops, so it never reaches the token "
        "(line 19). Fix: change identityProvider.groupsClaim to let 'Engineering' through, "
        "or remove this mapping"
    ]


def test_a_mapped_group_outside_identity_provider_groups_still_reaches_the_token(tmp_path: Path) -> None:
    # Okta's claim filter runs over all of the user's groups, not only those assigned to the app: a member
    # of an assigned group who is also in Contractors gets Contractors in the claim, so this can match.
    assert dropped(tmp_path, "regex", ".*", mapped="Contractors") == []
