"""The demo's table: one per organization."""

from __future__ import annotations

from typing import Any

from demo.customers import SignInCheck
from ssoprov.verify_login import LoginReport

KEYCLOAK_BUILT_IN_ROLES = ("offline_access", "uma_authorization")


def broker_roles(report: LoginReport) -> str:
    roles = [
        r for r in report.roles if r not in KEYCLOAK_BUILT_IN_ROLES and not r.startswith("default-roles-")
    ]
    return ", ".join(roles) or "(none)"


def secret_dates(outputs: dict[str, Any]) -> list[tuple[str, str]]:
    """The client secret's dates as the stack outputs give them (YYYY-MM-DD, UTC)."""
    if outputs.get("clientAuthentication") == "privateKeyJwt":
        return [("client secret", "none: the broker signs with its realm key")]
    rotate_by = outputs.get("secretRotateBy")
    if not rotate_by:
        return [("client secret", "held by the customer")]
    return [
        ("secret expires", outputs.get("secretExpiresAt") or "does not expire"),
        ("rotate by", rotate_by),
    ]


def idp_lines(outputs: dict[str, Any]) -> list[tuple[str, str]]:
    """The IdP app as the stack outputs name it: an OIDC client and its secret's dates, or a SAML
    app's metadata and the dates of the certificate its assertions are signed with."""
    if outputs.get("protocol") == "saml":
        return [
            ("metadata URL", outputs["metadataUrl"]),
            ("cert expires", outputs["signingCertificateExpiresAt"]),
            ("rotate by", outputs["signingCertificateRotateBy"]),
        ]
    return [("client ID", outputs["clientId"]), *secret_dates(outputs)]


def _as_expected(check: SignInCheck, report: LoginReport) -> bool:
    if check.roles is None:
        return not report.signed_in
    return report.signed_in and set(check.roles) <= set(report.roles)


def print_organization(
    organization: str, outputs: dict[str, Any], results: list[tuple[SignInCheck, LoginReport]]
) -> int:
    """Print the table; return how many sign-ins went against what was expected."""
    print()
    protocol = " SAML" if outputs.get("protocol") == "saml" else ""
    print(f"== {organization}: {outputs['identityProvider']}{protocol} -> Keycloak")
    for label, value in [("connection", outputs["connectionId"]), *idp_lines(outputs)]:
        print(f"   {label:<15} {value}")
    print(f"   {'user':<24} {'groups at the IdP':<40} result")
    unexpected = 0
    for check, report in results:
        if report.signed_in:
            result = f"signed in: roles {broker_roles(report)}; email {report.email or '-'}"
        else:
            result = f"refused: {report.detail}"
        if not _as_expected(check, report):
            unexpected += 1
            result = f"UNEXPECTED (wanted {check.roles or 'a refusal'}) {result}"
        print(f"   {check.login:<24} {check.groups:<40} {result}")
    return unexpected
