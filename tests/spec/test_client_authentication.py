"""`clientAuthentication.method`: privateKeyJwt is accepted where both sides can do it (Entra,
Okta or generic OIDC, brokered by Keycloak) and refused elsewhere by `ssoprov validate`, naming
file, key and fix, before any cloud call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec.test_validate import run_validate, valid_spec, write_stack

KEY = "ssoprov:organization.clientAuthentication.method"


def secretless(spec: dict) -> dict:
    return {**spec, "clientAuthentication": {"method": "privateKeyJwt"}}


def test_an_entra_organization_brokered_by_keycloak_may_be_secretless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = secretless(valid_spec())
    del spec["clientSecret"]

    code, lines = run_validate(capsys, str(write_stack(tmp_path, "acme", spec)))

    assert code == 0, lines


GENERIC_OIDC = {
    "kind": "oidc",
    "clientId": "initech-portal",
    "discoveryUrl": "https://idp.initech.example/.well-known/openid-configuration",
}


def test_a_generic_oidc_organization_brokered_by_keycloak_may_be_secretless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {**secretless(valid_spec()), "identityProvider": GENERIC_OIDC}
    del spec["clientSecret"]

    code, lines = run_validate(capsys, str(write_stack(tmp_path, "initech", spec)))

    assert code == 0, lines


def test_a_customer_secret_kept_beside_privatekeyjwt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {**secretless(valid_spec()), "identityProvider": GENERIC_OIDC}
    del spec["clientSecret"]
    kept = {"ssoprov:oidcClientSecret": {"secure": "v1:abc:def"}}
    path = write_stack(tmp_path, "initech", spec, **kept)

    code, lines = run_validate(capsys, str(path))

    assert code == 1
    [problem] = [line for line in lines if "ssoprov:oidcClientSecret:" in line]
    assert problem.startswith(f"{path}: ssoprov:oidcClientSecret: is set, but with clientAuthentication"), (
        problem
    )
    assert "pulumi config rm ssoprov:oidcClientSecret" in problem.split("Fix:", 1)[1]


def test_a_client_secret_method_beside_privatekeyjwt_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idp = {**GENERIC_OIDC, "tokenEndpointAuthMethod": "client_secret_post"}
    spec = {**secretless(valid_spec()), "identityProvider": idp}
    del spec["clientSecret"]
    path = write_stack(tmp_path, "initech", spec)

    code, lines = run_validate(capsys, str(path))

    assert code == 1
    key = "ssoprov:organization.identityProvider.tokenEndpointAuthMethod"
    [problem] = [line for line in lines if f"{key}:" in line]
    assert problem.startswith(f"{path}: {key}: is client_secret_post, a client-secret method"), problem
    assert "remove identityProvider.tokenEndpointAuthMethod" in problem.split("Fix:", 1)[1]


def test_a_secret_policy_beside_privatekeyjwt_is_a_warning_not_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run_validate(capsys, str(write_stack(tmp_path, "acme", secretless(valid_spec()))))

    assert code == 0, lines
    assert any(
        "ssoprov:organization.clientSecret: has no effect while clientAuthentication.method is privateKeyJwt"
        in line
        for line in lines
    ), lines


@pytest.mark.parametrize(
    ("change", "message", "fix"),
    [
        (
            {"identityProvider": {"kind": "microsoft", "tenantId": "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13"}},
            "privateKeyJwt cannot apply to Microsoft OAuth",
            "set clientAuthentication.method to clientSecret",
        ),
        (
            {
                "broker": {
                    "kind": "workos",
                    "organizationId": "org_01HZX3B7K2M9",
                    "redirectUri": "https://auth.example.com/sso/callback",
                }
            },
            "privateKeyJwt is not supported with WorkOS",
            "or broker this organization with keycloak",
        ),
    ],
    ids=["microsoft", "workos"],
)
def test_privatekeyjwt_where_a_side_cannot_do_it_is_refused_with_key_and_fix(
    change: dict, message: str, fix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {**secretless(valid_spec()), **change}
    path = write_stack(tmp_path, "acme", spec)

    code, lines = run_validate(capsys, str(path))

    assert code == 1
    [problem] = [line for line in lines if f"{KEY}:" in line]
    assert problem.startswith(f"{path}: {KEY}: {message}")
    assert fix in problem.split("Fix:", 1)[1]


def test_the_method_names_its_choices_when_misspelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {**valid_spec(), "clientAuthentication": {"method": "private_key_jwt"}}

    code, lines = run_validate(capsys, str(write_stack(tmp_path, "acme", spec)))

    assert code == 1
    [problem] = [line for line in lines if f"{KEY}:" in line]
    assert "clientSecret" in problem and "privateKeyJwt" in problem


def test_a_realm_key_policy_out_of_range_is_refused_with_file_key_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = valid_spec()
    del spec["clientSecret"]
    spec["clientAuthentication"] = {
        "method": "privateKeyJwt",
        "keyRotateAfterDays": 0,
        "keyRotateBeforeExpiryDays": 366,
    }

    code, lines = run_validate(capsys, str(write_stack(tmp_path, "acme", spec)))

    assert code == 1
    after = [line for line in lines if "clientAuthentication.keyRotateAfterDays" in line]
    before = [line for line in lines if "clientAuthentication.keyRotateBeforeExpiryDays" in line]
    assert (
        len(after) == 1
        and "Pulumi.acme.yaml" in after[0]
        and "Fix: use a whole number of days from 1 to 3650" in after[0]
    )
    assert len(before) == 1 and "Fix: use a whole number of days from 1 to 365:" in before[0]
