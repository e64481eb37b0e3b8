"""Pulumi resource names for an organization's Entra resources: stable, and safe for any name.

A resource's name is part of its URN, so it must stay the same while the spec does: a new name
would make the engine delete the object and create it again. Group display names and user
principal names come from the customer's tenant and may hold any unicode (or `::`, which URNs
use as a separator). A name keeps what is plainly safe (ASCII letters, digits, `.`, `_`, `-`)
and, whenever anything was dropped, changed or cut, gets a short hash of the exact original, so
two names that look alike once sanitized never collide.
"""

from __future__ import annotations

import hashlib
import re

MAX_READABLE = 40
"""Characters of the sanitized name kept before the hash."""
HASH_LENGTH = 8

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_part(text: str) -> str:
    """`text` itself when it is already a short, safe name; else its safe part plus a short hash."""
    readable = _UNSAFE.sub("-", text).strip("-.")[:MAX_READABLE].rstrip("-.")
    if readable == text:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]
    return f"{readable}-{digest}" if readable else digest


def application_name(organization: str) -> str:
    return f"{organization}-entra-app"


def client_secret_name(organization: str) -> str:
    return f"{organization}-entra-client-secret"


def enterprise_app_name(organization: str) -> str:
    return f"{organization}-entra-enterprise-app"


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
