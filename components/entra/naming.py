"""Pulumi resource names for an organization's Entra resources: stable, and safe for any name.

A resource's name is part of its URN, so it must stay the same while the spec does: a new name
would make the engine delete the object and create it again. Group display names and user
principal names come from the customer's tenant and may hold any unicode (or `::`, which URNs
use as a separator): `ssoprov.naming.safe_part` makes them safe and collision-free.
"""

from __future__ import annotations

from ssoprov.naming import safe_part


def application_name(organization: str) -> str:
    return f"{organization}-entra-app"


def saml_app_name(organization: str) -> str:
    return f"{organization}-entra-saml-app"


def saml_signing_keys_name(organization: str) -> str:
    return f"{organization}-entra-saml-signing-keys"


def saml_signing_switch_name(organization: str) -> str:
    return f"{organization}-entra-saml-signing-switch"


def client_secret_name(organization: str) -> str:
    return f"{organization}-entra-client-secret"


def key_credential_name(organization: str) -> str:
    return f"{organization}-entra-key-credential"


def enterprise_app_name(organization: str) -> str:
    return f"{organization}-entra-enterprise-app"


def admin_consent_name(organization: str) -> str:
    return f"{organization}-entra-admin-consent"


def app_role_name(organization: str, role: str) -> str:
    return f"{organization}-entra-app-role-{safe_part(role)}"


def group_name(organization: str, group: str) -> str:
    """The lookup of one group (display name or object id) named anywhere in the spec."""
    return f"{organization}-entra-group-{safe_part(group)}"


def user_name(organization: str, user: str) -> str:
    """The lookup of one user (user principal name or object id)."""
    return f"{organization}-entra-user-{safe_part(user)}"


def group_assignment_name(organization: str, group: str) -> str:
    return f"{organization}-entra-assign-group-{safe_part(group)}"


def user_assignment_name(organization: str, user: str) -> str:
    return f"{organization}-entra-assign-user-{safe_part(user)}"
