"""The demo's table shows a client secret's dates, or a SAML app's metadata and certificate dates,
as the stack outputs name them."""

from __future__ import annotations

from demo.report import idp_lines, secret_dates


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


def test_a_saml_organization_shows_its_metadata_and_certificate_dates_and_no_client() -> None:
    outputs = {
        "protocol": "saml",
        "metadataUrl": "http://127.0.0.1:18082/app/exk1/sso/saml/metadata",
        "signingCertificateExpiresAt": "2036-12-02",
        "signingCertificateRotateBy": "2036-11-02",
    }
    assert idp_lines(outputs) == [
        ("metadata URL", "http://127.0.0.1:18082/app/exk1/sso/saml/metadata"),
        ("cert expires", "2036-12-02"),
        ("rotate by", "2036-11-02"),
    ]


def test_an_oidc_organization_shows_its_client_id_then_its_secret_dates() -> None:
    assert idp_lines({"clientId": "0oa1", "secretRotateBy": "2027-06-01"}) == [
        ("client ID", "0oa1"),
        ("secret expires", "does not expire"),
        ("rotate by", "2027-06-01"),
    ]
