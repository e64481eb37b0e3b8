"""`ssoprov validate`: the shipped stacks pass; each broken spec fails naming file, key and fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ssoprov.cli import main
from ssoprov.spec import parse_organization
from ssoprov.spec.problems import InvalidSpec

REPO = Path(__file__).resolve().parents[2]


def valid_spec() -> dict:
    document = yaml.safe_load((REPO / "stacks" / "Pulumi.acme-entra.yaml").read_text())
    return document["config"]["ssoprov:organization"]


def write_stack(directory: Path, stack: str, spec: dict, **extra_config: object) -> Path:
    """Pulumi.<stack>.yaml holding the spec, named after its stack."""
    path = directory / f"Pulumi.{stack}.yaml"
    spec = {**spec, "name": stack}
    path.write_text(yaml.safe_dump({"config": {"ssoprov:organization": spec, **extra_config}}))
    return path


def run_validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["validate", *args])
    return code, capsys.readouterr().out.strip().splitlines()


def test_shipped_example_stacks_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_validate(capsys, "--stack-dir", str(REPO / "stacks"))
    assert code == 0, lines
    assert lines[-1].endswith("0 problems")


def _unknown_kind(spec: dict) -> None:
    spec["identityProvider"]["kind"] = "pingfederate"


def _missing_tenant(spec: dict) -> None:
    del spec["identityProvider"]["tenantId"]


def _bad_redirect(spec: dict) -> None:
    spec["identityProvider"]["extraRedirectUris"] = ["http://app.example.com/callback"]


def _long_secret(spec: dict) -> None:
    spec["clientSecret"]["lifetimeDays"] = 800


def _empty_group(spec: dict) -> None:
    spec["roleMappings"][0]["group"] = ""


BROKEN = {
    "unknown-kind": (
        _unknown_kind,
        "ssoprov:organization.identityProvider.kind",
        "unknown kind 'pingfederate'",
        "set kind to one of entra, microsoft, okta, oidc",
    ),
    "missing-tenant": (
        _missing_tenant,
        "ssoprov:organization.identityProvider.tenantId",
        "is required",
        "tenant ID",
    ),
    "bad-redirect": (
        _bad_redirect,
        "ssoprov:organization.identityProvider.extraRedirectUris[0]",
        "must use https://",
        "https:// URLs",
    ),
    "long-secret": (
        _long_secret,
        "ssoprov:organization.clientSecret.lifetimeDays",
        "less than or equal to 730",
        "1 to 730",
    ),
    "empty-group": (
        _empty_group,
        "ssoprov:organization.roleMappings[0].group",
        "at least 1 character",
        "IdP group",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_spec_names_file_key_and_fix(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    breaks, key, message, fix = BROKEN[case]
    spec = valid_spec()
    breaks(spec)
    path = write_stack(tmp_path, case, spec)

    code, lines = run_validate(capsys, str(path))

    assert code == 1
    problem = next(line for line in lines if key + ":" in line)
    assert problem.startswith(f"{path}: {key}: ")
    assert message in problem
    assert fix in problem.split("Fix:", 1)[1]


def test_the_summary_counts_one_file_and_one_problem_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = valid_spec()
    _unknown_kind(spec)

    code, lines = run_validate(capsys, str(write_stack(tmp_path, "one", spec)))

    assert code == 1
    assert lines[-1] == "0 of 1 stack file valid, 1 problem"


def test_duplicate_organization_name_is_reported_on_the_second_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_stack(tmp_path, "acme-entra", valid_spec())
    second = tmp_path / "Pulumi.zeta.yaml"
    second.write_text(first.read_text())

    code, lines = run_validate(capsys, "--stack-dir", str(tmp_path))

    assert code == 1
    assert (
        f"{second}: ssoprov:organization.name: organization name 'acme-entra' is already used by {first}. "
        "Fix: give each organization a unique name"
    ) in lines


def test_every_problem_in_a_file_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = valid_spec()
    _missing_tenant(spec)
    _long_secret(spec)
    spec["colour"] = "blue"

    code, lines = run_validate(capsys, str(write_stack(tmp_path, "many", spec)))

    assert code == 1
    keys = {line.split(": ")[1] for line in lines[:-1]}
    assert keys == {
        "ssoprov:organization.identityProvider.tenantId",
        "ssoprov:organization.clientSecret.lifetimeDays",
        "ssoprov:organization.colour",
    }


def test_generic_oidc_needs_its_secret_encrypted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = yaml.safe_load((REPO / "stacks" / "Pulumi.initech-oidc.yaml").read_text())
    spec = document["config"]["ssoprov:organization"]
    plaintext = write_stack(tmp_path, "plain", spec, **{"ssoprov:oidcClientSecret": "hunter2-plaintext"})
    missing = write_stack(tmp_path, "missing", {**spec, "name": "other"})

    code, lines = run_validate(capsys, str(plaintext), str(missing))

    assert code == 1
    assert f"{plaintext}: ssoprov:oidcClientSecret: is stored in plaintext" in lines[0]
    assert f"{missing}: ssoprov:oidcClientSecret: is required" in lines[1]
    assert "hunter2" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("name",), "Acme; DROP TABLE", "contains ' ', ';', 'A'"),
        (("displayName",), "Acme\nInjected: header", "control characters"),
        (
            ("identityProvider", "extraRedirectUris"),
            ["https://user:pw@app.example.com/cb"],
            "user name or password",
        ),
        (("identityProvider", "assignments", "groups"), [f"g{i}" for i in range(501)], "at most 500"),
        (("broker", "url"), "ftp://sso.example.com", "absolute https:// URL"),
    ],
)
def test_hostile_values_are_rejected_before_any_cloud_call(
    path: tuple[str, ...], value: object, expected: str
) -> None:
    spec = valid_spec()
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidSpec) as raised:
        parse_organization(spec, "stacks/Pulumi.hostile.yaml")
    assert expected in str(raised.value)


def test_unicode_names_are_accepted() -> None:
    spec = valid_spec()
    spec["displayName"] = "Société Générale — Zürich 東京"
    assert parse_organization(spec, "x").display_name == "Société Générale — Zürich 東京"


def test_role_mapping_to_an_unassigned_entra_group_is_explained() -> None:
    spec = valid_spec()
    spec["roleMappings"].append({"group": "Sales", "role": "sales"})
    with pytest.raises(InvalidSpec) as raised:
        parse_organization(spec, "stacks/Pulumi.acme.yaml")
    assert "only groups assigned to the app reach the token" in str(raised.value)
    assert "Fix: add 'Sales' to identityProvider.assignments.groups" in str(raised.value)


def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path: Path) -> None:
    """`ssoprov validate | head`: no BrokenPipeError traceback once head has its lines."""
    spec = valid_spec()
    spec["roleMappings"] = ["not a mapping"] * 500  # 500 problem lines, more than a pipe buffers
    path = write_stack(tmp_path, "acme-entra", spec)
    command = [sys.executable, "-c", "import sys; from ssoprov.cli import main; sys.exit(main())"]
    with subprocess.Popen(
        [*command, "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as validate:
        assert validate.stdout is not None and validate.stderr is not None
        assert validate.stdout.readline().startswith(str(path).encode())
        validate.stdout.close()
        errors = validate.stderr.read().decode()

    assert validate.returncode == 141 and errors == ""
