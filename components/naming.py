"""Pulumi resource names that are stable and safe for any group or role name.

A resource's name is part of its URN, so it must never change while the spec does not: a new
name makes the engine delete the object and create it again. Group and role names come from the
customer's IdP and the spec and may hold any unicode. `safe_part` keeps what is plainly safe
(ASCII letters, digits, `.`, `_`, `-`) and, whenever anything was dropped, changed or cut,
appends a short hash of the exact text, so two names that look alike once sanitized never
collide. Its output is pinned by tests: changing it would move every organization's URNs.
"""

from __future__ import annotations

import hashlib
import re

MAX_READABLE = 40
"""Characters of the sanitized text kept before the hash."""
HASH_LENGTH = 8

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def safe_part(text: str) -> str:
    """`text` itself when it is already a short, safe name; else its safe part plus a short hash."""
    readable = _UNSAFE.sub("-", text).strip("-.")[:MAX_READABLE].rstrip("-.")
    if readable == text:
        return text
    return f"{readable}-{digest(text)}" if readable else digest(text)
