"""`ssoprov client-secret`: a stack that never holds a client secret says why, before reading state;
one not deployed yet is one line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ssoprov.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's project with its example stacks, on an empty file backend."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    (tmp_path / "state").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "state").as_uri())
    return tmp_path


@pytest.mark.parametrize(
    ("stack", "why"),
    [
        ("vandelay-okta-saml", "it is a SAML connection (identityProvider.protocol: saml)"),
        ("hooli-entra", "clientAuthentication.method is privateKeyJwt: no client secret exists"),
        ("initech-oidc", "`pulumi config get ssoprov:oidcClientSecret --stack initech-oidc`"),
    ],
)
def test_a_stack_without_a_secret_of_ours_says_why_not_to_run_up(
    stack: str, why: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["client-secret", stack]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"ssoprov client-secret: stack {stack} holds no client secret of ours: ")
    assert why in err and "ssoprov up" not in err


def test_a_stack_not_deployed_yet_is_named_in_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["client-secret", "acme-entra"]) == 1

    assert capsys.readouterr().err == (
        "ssoprov client-secret: reading the state of stack acme-entra: error: no stack named 'acme-entra' "
        "found. Fix: check the stack name, --backend and the passphrase (PULUMI_CONFIG_PASSPHRASE)\n"
    )


def test_a_stack_with_nothing_deployed_says_so_and_not_to_run_up(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A destroyed stack reads the same: `up` would deploy a customer removed on purpose."""
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse battery staple")
    init = ["pulumi", "--non-interactive", "stack", "init", "acme-entra", "--no-select"]
    subprocess.run([*init, "--secrets-provider", "passphrase"], cwd=project, check=True, capture_output=True)

    assert main(["client-secret", "acme-entra"]) == 1

    assert capsys.readouterr().err == (
        "ssoprov client-secret: stack acme-entra has nothing deployed (no `up` yet, or it was destroyed): "
        "there is no client secret to print\n"
    )
