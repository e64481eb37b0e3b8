"""`ssoprov verify-login` names why a sign-in did not happen, with the fix, and no traceback: the page
it stopped at, served here as Keycloak serves it (its login-idp-link-confirm page, checked once
against Keycloak 26 in `make demo`), a broker that does not answer, no password to sign in with, an
alias the realm does not have (against the session's Keycloak)."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.cli import main
from ssoprov.verify_login import verify_login
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import add_user, create_broker_realm
from tests.spec.stack_text import entra_stack, write_stack_text

LINK_CONFIRM_PAGE = b"""<!DOCTYPE html><html><body>
<div id="kc-error-message"><p class="instruction">User with email alice@acme.example already exists.
How do you want to continue?</p></div>
<form id="kc-register-form" action="/realms/customers/login-actions/first-broker-login" method="post">
<button type="submit" name="submitAction" id="updateProfile" value="updateProfile">Review profile</button>
<button type="submit" name="submitAction" id="linkAccount" value="linkAccount">Add to account</button>
</form></body></html>"""


class _LinkConfirm(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(LINK_CONFIRM_PAGE)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def broker_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LinkConfirm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_user_the_realm_already_has_is_reported_with_the_fix(broker_url: str) -> None:
    report = verify_login(broker_url, "customers", "globex", login="alice@acme.example", password="x")

    assert not report.signed_in
    assert report.detail.startswith(
        "the broker asks to link accounts (User with email alice@acme.example already exists."
    )
    assert "realm customers already has this user" in report.detail
    assert report.detail.endswith("or give organizations that share users a realm each")


def test_a_broker_that_does_not_answer_is_a_report_naming_the_url_and_what_to_check() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"

    report = verify_login(closed, "customers", "acme", login="alice@contoso.example", password="x")

    assert not report.signed_in
    assert report.detail.startswith(
        f"no answer from {closed}/realms/customers/protocol/openid-connect/auth ("
    )
    assert report.detail.endswith(
        "Check that the broker and the identity provider are running and reachable from here"
    )


def test_no_password_and_no_terminal_is_a_usage_error_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SSOPROV_VERIFY_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    path = write_stack_text(tmp_path, "acme", entra_stack())

    code = main(["verify-login", str(path), "--user", "alice@contoso.example"])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "ssoprov verify-login: SSOPROV_VERIFY_PASSWORD is unset or empty, and there is no terminal to ask "
        "on. Fix: export SSOPROV_VERIFY_PASSWORD with alice@contoso.example's password at the identity "
        "provider"
    )


def test_an_alias_the_realm_does_not_have_never_gets_the_password_typed_into_keycloaks_own_form(
    keycloak: KeycloakServer, admin_http: AdminHttp
) -> None:
    """Keycloak ignores a kc_idp_hint that names no identity provider and shows the realm's own
    login form. Filling it would report "Invalid username or password", or sign in a local user of
    the same name and password and call the connection working."""
    realm = create_broker_realm(admin_http)
    password = secrets.token_urlsafe(12)
    add_user(admin_http, realm, "alice", "alice@acme.example", password)
    try:
        report = verify_login(keycloak.url, realm, "globex-okta", login="alice", password=password)
    finally:
        admin_http.call("DELETE", f"/{realm}")

    assert not report.signed_in
    idp = "identity provider globex-okta"
    assert report.detail.startswith(
        f"realm {realm} showed its own sign-in form instead of sending the user to {idp}, so no "
        f"password was entered: realm {realm} has no enabled {idp}."
    )
    assert report.detail.endswith("check broker.alias against the realm's identity providers")
