"""Pulumi resource names for an organization's Okta resources, stable and safe for any group name.

A resource's name is part of its URN, so it must never change while the spec does not: a new
name would make the engine delete the object and create it again. Group names come from the
customer's Okta and may hold any unicode; the name keeps what is plainly safe (ASCII letters,
digits, `.`, `_`, `-`) and, whenever anything was dropped, changed or cut, appends a short hash
of the exact group name, so two names that look alike once sanitized never collide.
"""

from __future__ import annotations

import hashlib
import re

MAX_READABLE = 40
"""Characters of the sanitized group name kept before the hash."""
HASH_LENGTH = 8

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_part(text: str) -> str:
    """`text` itself when it is already a short, safe name; else its safe part plus a short hash."""
    readable = _UNSAFE.sub("-", text).strip("-.")[:MAX_READABLE].rstrip("-.")
    if readable == text:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]
    return f"{readable}-{digest}" if readable else digest


def app_name(organization: str) -> str:
    return f"{organization}-okta-app"


def groups_claim_name(organization: str) -> str:
    return f"{organization}-okta-groups-claim"


def client_secret_name(organization: str) -> str:
    return f"{organization}-okta-client-secret"


def group_assignment_name(organization: str, group: str) -> str:
    return f"{organization}-okta-group-{safe_part(group)}"
