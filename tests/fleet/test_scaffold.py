"""`ssoprov new`: a valid stack file from flags; bad flags refused with file, key and fix; no overwrite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ssoprov.cli import main
from ssoprov.spec.loading import load_stack_file, validate_stack_files

REPO = Path(__file__).resolve().parents[2]
TENANT = "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's project with its example stacks; the cwd for `ssoprov new`."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_entra_keycloak_file_is_valid_and_maps_groups_it_assigns(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "new",
            "umbrella",
            "--idp",
            "entra",
            "--tenant-id",
            TENANT,
            "--broker",
            "keycloak",
            "--keycloak-url",
            "https://sso.example.com",
            "--realm",
            "customers",
            "--map",
            "Engineering=developer",
            "--map",
            "Admins=admin",
            "--assign-user",
            "frank@contoso.example",
            "--default-role",
            "member",
            "--rotate-after-days",
            "90",
        ]
    )

    assert code == 0
    path = project / "stacks" / "Pulumi.umbrella.yaml"
    out = capsys.readouterr().out
    assert "wrote stacks/Pulumi.umbrella.yaml" in out and "next: ssoprov preview --stack umbrella" in out
    spec, _, problems = load_stack_file(path)
    assert problems == [] and spec is not None
    assert validate_stack_files(sorted((project / "stacks").glob("Pulumi.*.yaml"))) == []
    assert spec.display_name == "Umbrella"
    assert spec.identity_provider.tenant_id == TENANT
    assert spec.identity_provider.assignments.groups == ["Engineering", "Admins"]
    assert spec.identity_provider.assignments.users == ["frank@contoso.example"]
    assert [(m.group, m.role) for m in spec.role_mappings] == [
        ("Engineering", "developer"),
        ("Admins", "admin"),
    ]
    assert spec.client_secret.rotate_after_days == 90 and spec.client_secret.lifetime_days == 365
    assert path.read_text().startswith("# Umbrella: entra -> keycloak.\n")


def test_okta_workos_and_oidc_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workos = ["--broker", "workos", "--workos-organization-id", "org_01HV3K8Q2M7N5P4R6S9T0W1X2Y"]
    workos += ["--workos-redirect-uri", "https://auth.example.com/sso/oidc/callback"]
    okta = [
        "new",
        "hooli",
        "--display-name",
        "Hooli XYZ",
        "--idp",
        "okta",
        "--org-url",
        "https://hooli.okta.com",
    ]
    assert main([*okta, *workos, "--map", "Eng=dev"]) == 1  # refused here, not at the first preview
    assert capsys.readouterr().err.rstrip().endswith("(flag --manual-steps-acknowledged)")
    assert not (project / "stacks" / "Pulumi.hooli.yaml").exists()
    assert main([*okta, *workos, "--map", "Eng=dev", "--manual-steps-acknowledged"]) == 0
    spec, _, problems = load_stack_file(project / "stacks" / "Pulumi.hooli.yaml")
    assert problems == [] and spec is not None
    assert spec.identity_provider.groups == ["Eng"] and spec.broker.manual_steps_acknowledged

    oidc = ["new", "piedpiper", "--idp", "oidc", "--client-id", "pp-sso"]
    oidc += ["--discovery-url", "https://login.piedpiper.example/.well-known/openid-configuration"]
    assert main([*oidc, *workos]) == 0
    out = capsys.readouterr().out
    assert "next: store the client secret" in out and "--secret ssoprov:oidcClientSecret" in out
    assert "pulumi stack init piedpiper --no-select && " in out  # the user's selected stack stays
    spec, _, problems = load_stack_file(project / "stacks" / "Pulumi.piedpiper.yaml")
    assert spec is not None and spec.identity_provider.client_id == "pp-sso"
    # Only the encrypted secret is missing, which `pulumi config set --secret` adds.
    assert [problem.key for problem in problems] == ["ssoprov:oidcClientSecret"]


def test_the_file_is_written_with_the_warnings_validate_would_print(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keycloak = ["--broker", "keycloak", "--keycloak-url", "https://sso.example.com", "--realm", "customers"]
    assert main(["new", "hooli", "--idp", "okta", "--org-url", "https://hooli.okta.com", *keycloak]) == 0

    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "identityProvider.groups: assigns no group or user" in warnings[0]
    assert warnings[0].endswith("(flag --okta-group)")


def test_names_the_engine_reads_as_numbers_are_written_quoted(project: Path) -> None:
    """PyYAML (YAML 1.1) leaves 0o17 and 1_000 plain; the engine (YAML 1.2) would read numbers."""
    flags = ["new", "initech", "--idp", "okta", "--org-url", "https://initech.okta.com"]
    flags += ["--broker", "keycloak", "--keycloak-url", "https://sso.example.com", "--realm", "customers"]
    assert main([*flags, "--map", "0o17=1_000", "--map", "0x_1F=true", "--map", "Ops=2024-01-01"]) == 0

    spec, _, problems = load_stack_file(project / "stacks" / "Pulumi.initech.yaml")
    assert problems == [] and spec is not None
    assert [(mapping.group, mapping.role) for mapping in spec.role_mappings] == [
        ("0o17", "1_000"),
        ("0x_1F", "true"),
        ("Ops", "2024-01-01"),
    ]


def test_bad_flags_are_refused_with_file_key_and_fix(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "new",
            "umbrella",
            "--idp",
            "entra",
            "--tenant-id",
            "not-a-tenant",
            "--broker",
            "keycloak",
            "--keycloak-url",
            "http://sso.example.com",
            "--org-url",
            "https://umbrella.okta.com",
            "--map",
            "Engineering",
            "--lifetime-days",
            "900",
        ]
    )

    assert code == 1
    assert not (project / "stacks" / "Pulumi.umbrella.yaml").exists()
    lines = capsys.readouterr().err.splitlines()
    file = "stacks/Pulumi.umbrella.yaml: ssoprov:organization"
    assert lines == [
        f"{file}.identityProvider.orgUrl: --org-url applies to --idp okta, not entra. "
        "Fix: remove --org-url, or use --idp okta",
        f"{file}.roleMappings[0]: --map 'Engineering' is not GROUP=ROLE. "
        "Fix: write --map Engineering=developer (the IdP group, '=', the broker role)",
        f"{file}.identityProvider.tenantId: must be the tenant's ID (a GUID) or one of its verified domains. "
        "Fix: pass --tenant-id with the customer's tenant ID (GUID) or verified domain",
        f"{file}.broker.url: must use https:// (plain http is allowed only for localhost). "
        "Fix: pass --keycloak-url with Keycloak's base URL, e.g. https://sso.example.com",
        f"{file}.broker.realm: is required. "
        "Fix: pass --realm (the realm that brokers this organization's logins)",
        f"{file}.clientSecret.lifetimeDays: Input should be less than or equal to 730. "
        "Fix: pass --lifetime-days with a whole number of days from 1 to 730 (two years)",
    ]


def test_never_overwrites_and_refuses_a_taken_organization_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = project / "stacks" / "Pulumi.initech-oidc.yaml"
    before = existing.read_text()
    flags = ["--idp", "okta", "--org-url", "https://initech.okta.com"]
    flags += ["--broker", "keycloak", "--keycloak-url", "https://sso.example.com", "--realm", "customers"]

    assert main(["new", "initech-oidc", *flags]) == 1
    assert existing.read_text() == before
    assert "stacks/Pulumi.initech-oidc.yaml: (file): already exists. Fix: edit it" in capsys.readouterr().err

    renamed = yaml.safe_load(before)
    renamed["config"]["ssoprov:organization"]["name"] = "initech"
    existing.write_text(yaml.safe_dump(renamed))
    assert main(["new", "initech", *flags]) == 1
    err = capsys.readouterr().err
    assert (
        "ssoprov:organization.name: organization name 'initech' is already used by Pulumi.initech-oidc.yaml"
        in err
    )
    assert not (project / "stacks" / "Pulumi.initech.yaml").exists()


def test_print_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--idp", "microsoft", "--tenant-id", "contoso.example", "--broker", "keycloak"]
    flags += ["--keycloak-url", "https://sso.example.com", "--realm", "customers", "--default-role", "member"]
    assert main(["new", "contoso-msa", *flags, "--print"]) == 0
    document = yaml.safe_load(capsys.readouterr().out)
    assert document["config"]["ssoprov:organization"]["identityProvider"] == {
        "kind": "microsoft",
        "tenantId": "contoso.example",
    }
    assert not (project / "stacks" / "Pulumi.contoso-msa.yaml").exists()


def test_validate_still_reports_file_key_and_fix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = project / "stacks" / "Pulumi.bad.yaml"
    bad.write_text("config:\n  ssoprov:organization:\n    name: Bad Name\n")
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "stacks/Pulumi.bad.yaml: ssoprov:organization.name:" in out and "Fix:" in out
    examples = len(list((REPO / "stacks").glob("Pulumi.*.yaml")))  # all valid; the bad one is not
    assert out.splitlines()[-1].startswith(f"{examples} of {examples + 1} stack files valid")
