"""Pulumi resource names for an organization's Okta resources, stable and safe for any group name.

Group names go through ssoprov.naming.safe_part (stable, safe for any unicode).
"""

from __future__ import annotations

from ssoprov.naming import safe_part


def app_name(organization: str) -> str:
    return f"{organization}-okta-app"


def saml_app_name(organization: str) -> str:
    return f"{organization}-okta-saml-app"


def saml_signing_keys_name(organization: str) -> str:
    return f"{organization}-okta-saml-signing-keys"


def saml_signing_switch_name(organization: str) -> str:
    return f"{organization}-okta-saml-signing-switch"


def groups_claim_name(organization: str) -> str:
    return f"{organization}-okta-groups-claim"


def app_jwk_name(organization: str) -> str:
    return f"{organization}-okta-app-jwk"


def client_secret_name(organization: str) -> str:
    return f"{organization}-okta-client-secret"


def group_assignment_name(organization: str, group: str) -> str:
    return f"{organization}-okta-group-{safe_part(group)}"
