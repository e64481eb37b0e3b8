"""Names of an organization's Keycloak resources: Pulumi resource names and Keycloak mapper names.

Group and role parts go through ssoprov.naming.safe_part (stable, safe for any unicode).

Mapper resources are named after the group alone (the spec maps each group once), so changing a
group's role updates its mapper in place instead of replacing it.
"""

from __future__ import annotations

from ssoprov.naming import HASH_LENGTH, digest, safe_part

MAX_MAPPER_NAME = 255
"""Keycloak stores mapper names in a 255-character column."""


def identity_provider_name(organization: str) -> str:
    return f"{organization}-keycloak-identity-provider"


def saml_identity_provider_name(organization: str) -> str:
    return f"{organization}-keycloak-saml-identity-provider"


def attribute_mapper_name(organization: str, attribute: str) -> str:
    return f"{organization}-keycloak-attribute-{safe_part(attribute)}"


def assertion_key_name(organization: str) -> str:
    return f"{organization}-keycloak-assertion-key"


def realm_roles_name(organization: str) -> str:
    return f"{organization}-keycloak-roles"


def group_mapper_name(organization: str, group: str) -> str:
    return f"{organization}-keycloak-mapper-{safe_part(group)}"


def default_role_mapper_name(organization: str) -> str:
    return f"{organization}-keycloak-default-role"


def group_mapper_title(group: str, role: str) -> str:
    """The mapper's name in Keycloak (unique per identity provider): "<group> -> <role>"."""
    return _bounded(f"{group} -> {role}")


def default_role_mapper_title(role: str) -> str:
    """The default role mapper's name in Keycloak; group mappers' names always hold " -> "."""
    return _bounded(f"default role: {role}")


def attribute_mapper_title(attribute: str, user_attribute: str) -> str:
    """A profile attribute mapper's name in Keycloak: "attribute <name> => <user attribute>"."""
    return _bounded(f"attribute {attribute} => {user_attribute}")


def _bounded(title: str) -> str:
    if len(title) <= MAX_MAPPER_NAME:
        return title
    return f"{title[: MAX_MAPPER_NAME - HASH_LENGTH - 2]}… {digest(title)}"
