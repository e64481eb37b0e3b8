"""A tenant with one user in more groups than an Entra token can carry (group overage)."""

from __future__ import annotations

import dataclasses

from sandbox.graph.seed import CONTOSO, SeedGroup, SeedUser, TenantSeed

CROWDED_USER = "grace@contoso.example"
"""In Engineering and in `PROJECT_GROUPS` project groups: 251 groups in all."""
PROJECT_GROUPS = 250


def crowded_contoso() -> TenantSeed:
    """CONTOSO, plus Grace: a member of Engineering and of 250 project groups."""
    grace = SeedUser(CROWDED_USER, "Grace", "Garcia", "Program Manager")
    groups = tuple(
        dataclasses.replace(group, members=(*group.members, CROWDED_USER))
        if group.display_name == "Engineering"
        else group
        for group in CONTOSO.groups
    )
    projects = tuple(
        SeedGroup(f"Project {n:03d}", f"Project team {n}.", (CROWDED_USER,))
        for n in range(1, PROJECT_GROUPS + 1)
    )
    return dataclasses.replace(CONTOSO, users=(*CONTOSO.users, grace), groups=(*groups, *projects))
