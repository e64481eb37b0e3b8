"""`ssoprov validate` reads a stack file as the Pulumi engine (Go, yaml.v3) will, not as YAML 1.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ssoprov.cli import main
from ssoprov.spec.loading import load_stack_file
from tests.spec.stack_text import entra_stack, okta_stack, write_stack_text

SPEC = "ssoprov:organization"


def validate(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, list[str]]:
    code = main(["validate", str(path)])
    return code, capsys.readouterr().out.strip().splitlines()


def test_a_duplicated_key_is_refused_as_the_engine_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = entra_stack() + "    displayName: Acme\n"
    path = write_stack_text(tmp_path, "acme", text)

    code, lines = validate(capsys, path)

    assert code == 1
    assert lines[0] == (
        f"{path}: {SPEC}: has the key 'displayName' twice (lines 4 and 24); "
        "the engine refuses duplicate keys (line 24). Fix: keep one of them"
    )


def test_an_unquoted_date_is_refused_with_the_advice_to_quote_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack_text(tmp_path, "acme", entra_stack(role="2024-01-01"))

    code, lines = validate(capsys, path)

    assert code == 1
    assert lines[0] == (
        f"{path}: {SPEC}.roleMappings[0].role: YAML reads 2024-01-01 as a date, and the program would "
        "receive the text '2024-01-01 00:00:00 +0000 UTC' (line 20). Fix: quote it: role: \"2024-01-01\""
    )


def test_a_tab_in_the_indentation_is_named_with_its_line_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = entra_stack().replace("\n    displayName:", "\n\tdisplayName:")
    path = write_stack_text(tmp_path, "acme", text)

    code, lines = validate(capsys, path)

    assert code == 1
    assert lines[0].startswith(f"{path}: (file): is not valid YAML: ")
    fix = "Fix: indent line 4 with spaces, not a tab (YAML allows no tabs in indentation)"
    assert lines[0].endswith(f"(line 4). {fix}")


def test_an_unterminated_quote_is_named_with_the_line_it_opens_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack_text(
        tmp_path, "acme", entra_stack().replace("displayName: Acme Corporation", 'displayName: "Acme')
    )

    code, lines = validate(capsys, path)

    assert code == 1
    assert "while scanning a quoted scalar that starts on line 4" in lines[0], lines[0]


def test_no_is_a_group_name_to_the_engine_and_so_to_validate(tmp_path: Path) -> None:
    text = entra_stack(group="NO").replace("groups: [Engineering, Admins]", "groups: [Engineering, NO]")

    spec, _, problems = load_stack_file(write_stack_text(tmp_path, "acme", text))

    assert problems == []
    assert spec is not None and spec.role_mappings[1].group == "NO"


@pytest.mark.parametrize(
    ("spelled", "message", "fix"),
    [
        ({"role": "0o17"}, "roleMappings[0].role: YAML reads 0o17 as a number, not as text", 'role: "0o17"'),
        ({"role": "true"}, "roleMappings[0].role: YAML reads true as a boolean, not as text", 'role: "true"'),
        ({"group": "1.0"}, "roleMappings[1].group: YAML reads 1.0 as a number, not as text", 'group: "1.0"'),
        ({"role": "~"}, "roleMappings[0].role: is empty", "give it a value: the broker role"),
        (
            {"multi_tenant": "yes"},
            "identityProvider.multiTenant: is the text 'yes': the engine reads YAML 1.2, where only true and "
            "false are booleans",
            "write multiTenant: true or multiTenant: false",
        ),
        (
            {"lifetime_days": '"365"'},
            "clientSecret.lifetimeDays: is the text '365', not a number",
            "write it without quotes: lifetimeDays: 365",
        ),
    ],
)
def test_a_value_whose_type_changed_on_the_way_is_refused_with_the_fix(
    spelled: dict[str, str], message: str, fix: str, tmp_path: Path
) -> None:
    _, _, problems = load_stack_file(write_stack_text(tmp_path, "acme", entra_stack(**spelled)))

    assert len(problems) == 1, problems
    assert str(problems[0]).startswith(f"{tmp_path / 'Pulumi.acme.yaml'}: {SPEC}.{message} (line ")
    assert fix in problems[0].fix


def test_keys_that_yaml_does_not_read_as_text_are_named_as_the_engine_names_them(tmp_path: Path) -> None:
    # Inside the spec the engine prints such a key as Go does (true -> "true", ~ -> "<nil>"): an
    # unknown key. `on` is a boolean only in YAML 1.1: to the engine it is the text "on".
    text = okta_stack().replace("        value: .*\n", "        value: .*\n        on: x\n        ~: y\n")

    _, _, problems = load_stack_file(write_stack_text(tmp_path, "globex", text))

    assert [(p.key, p.message) for p in problems] == [
        (f"{SPEC}.identityProvider.groupsClaim.on", "is not a known key"),
        (f"{SPEC}.identityProvider.groupsClaim.<nil>", "is not a known key"),
    ]


def test_a_config_key_that_yaml_reads_as_a_boolean_is_refused_as_the_engine_refuses_it(
    tmp_path: Path,
) -> None:
    text = okta_stack() + "  true: x\n"

    _, _, problems = load_stack_file(write_stack_text(tmp_path, "globex", text))

    assert [str(p) for p in problems] == [
        f"{tmp_path / 'Pulumi.globex.yaml'}: config: has the key true, which YAML reads as a boolean; "
        'the engine accepts only text keys here (line 23). Fix: quote the key: "true"'
    ]


def test_anchors_and_merge_keys_read_as_the_engine_reads_them(tmp_path: Path) -> None:
    text = entra_stack().replace(
        "    roleMappings:\n      - group: Engineering\n        role: developer\n",
        "    roleMappings:\n      - &engineering\n        group: Engineering\n        role: developer\n"
        "      - <<: *engineering\n        group: Admins\n",
    )
    text = text.replace("      - group: Admins\n        role: admin\n", "")

    spec, _, problems = load_stack_file(write_stack_text(tmp_path, "acme", text))

    assert problems == []
    assert spec is not None
    assert [(m.group, m.role) for m in spec.role_mappings] == [
        ("Engineering", "developer"),
        ("Admins", "developer"),
    ]


def test_an_alias_bomb_is_refused_as_the_engine_refuses_it_and_quickly(tmp_path: Path) -> None:
    levels = ["  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 10)]
    text = entra_stack() + "  ssoprov:bomb:\n" + "\n".join("  " + level for level in levels) + "\n"

    started = time.monotonic()
    _, _, problems = load_stack_file(write_stack_text(tmp_path, "acme", text))

    assert time.monotonic() - started < 5
    assert [(p.key, p.message) for p in problems] == [
        ("(file)", "expands too many aliases (the engine refuses it as an alias bomb)")
    ]
