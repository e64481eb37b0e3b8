"""The demo's table shows a client secret's dates as the stack outputs name them."""

from __future__ import annotations

from demo.report import secret_dates


def test_entra_shows_its_expiry_and_rotate_by_date() -> None:
    outputs = {"secretExpiresAt": "2027-12-01", "secretRotateBy": "2027-06-01"}
    assert secret_dates(outputs) == [("secret expires", "2027-12-01"), ("rotate by", "2027-06-01")]


def test_okta_shows_no_invented_expiry() -> None:
    assert secret_dates({"secretRotateBy": "2027-06-01"}) == [
        ("secret expires", "does not expire"),
        ("rotate by", "2027-06-01"),
    ]


def test_a_secretless_organization_shows_it_has_no_secret() -> None:
    assert secret_dates({"clientAuthentication": "privateKeyJwt"}) == [
        ("client secret", "none: the broker signs with its realm key")
    ]


def test_a_generic_oidc_secret_is_the_customers() -> None:
    assert secret_dates({}) == [("client secret", "held by the customer")]
