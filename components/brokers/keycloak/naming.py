"""Names of an organization's Keycloak resources: Pulumi resource names and Keycloak mapper names.

A resource's name is part of its URN, so it must never change while the spec does not: a new
name makes the engine delete the object and create it again. Group and role names come from the
customer's IdP and the spec and may hold any unicode; `safe_part` keeps what is plainly safe
(ASCII letters, digits, `.`, `_`, `-`) and, whenever anything was dropped, changed or cut,
appends a short hash of the exact text, so two names that look alike once sanitized never
collide. (Okta's naming does the same; this copy is ours so that no change elsewhere can move
these URNs.)

Mapper resources are named after the group alone (the spec maps each group once), so changing a
group's role updates its mapper in place instead of replacing it.
"""

from __future__ import annotations

import hashlib
import re

MAX_READABLE = 40
"""Characters of the sanitized text kept before the hash."""
HASH_LENGTH = 8
MAX_MAPPER_NAME = 255
"""Keycloak stores mapper names in a 255-character column."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_part(text: str) -> str:
    """`text` itself when it is already a short, safe name; else its safe part plus a short hash."""
    readable = _UNSAFE.sub("-", text).strip("-.")[:MAX_READABLE].rstrip("-.")
    if readable == text:
        return text
    digest = _digest(text)
    return f"{readable}-{digest}" if readable else digest


def identity_provider_name(organization: str) -> str:
    return f"{organization}-keycloak-identity-provider"


def realm_role_name(organization: str, role: str) -> str:
    return f"{organization}-keycloak-role-{safe_part(role)}"


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


def _bounded(title: str) -> str:
    if len(title) <= MAX_MAPPER_NAME:
        return title
    return f"{title[: MAX_MAPPER_NAME - HASH_LENGTH - 2]}… {_digest(title)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]
