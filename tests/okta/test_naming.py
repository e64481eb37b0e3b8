"""Resource names for Okta groups: stable, safe, distinct for any unicode group name."""

from __future__ import annotations

import re

from ssoprov.okta.naming import group_assignment_name, safe_part

SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def test_plain_names_stay_readable() -> None:
    assert group_assignment_name("acme", "Engineering") == "acme-okta-group-Engineering"
    assert safe_part("Engineering-Contractors") == "Engineering-Contractors"


def test_any_unicode_name_becomes_safe_distinct_and_stable() -> None:
    names = [
        "Sales Team",
        "Sales-Team",
        "Sales/Team",
        "Équipe Ventes",
        "Equipe Ventes",
        "営業部",
        "経理部",
        "🚀",
        "a" * 300,
        "a" * 301,
        "../..",
        "Admins\u200b",
    ]
    parts = [safe_part(name) for name in names]
    assert all(SAFE.match(part) and len(part) <= 49 for part in parts), parts
    assert len(set(parts)) == len(names)
    assert parts == [safe_part(name) for name in names]  # the same name, the same resource
    assert safe_part("Sales Team").startswith("Sales-Team-")
