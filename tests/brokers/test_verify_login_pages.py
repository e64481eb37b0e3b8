"""`ssoprov verify-login` names the page a sign-in stopped at, served here as Keycloak serves it
(its login-idp-link-confirm page, checked once against Keycloak 26 in `make demo`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ssoprov.verify_login import verify_login

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
