"""The organizations a fresh WorkOS stand-in holds, with fixed ids so stack files can name them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedOrganization:
    id: str
    name: str
    domains: tuple[str, ...] = ()


INITECH = SeedOrganization("org_01HV3K8Q2M7N5P4R6S9T0W1X2Y", "Initech", ("initech.example",))
GLOBEX = SeedOrganization("org_01HV3K9A7B6C5D4E3F2G1H0J9K", "Globex", ("globex.example",))

DEFAULT_ORGANIZATIONS: tuple[SeedOrganization, ...] = (INITECH, GLOBEX)
