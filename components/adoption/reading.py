"""What reading a broker connection made by hand gives, whichever the broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BrokerReading:
    """One hand-made broker connection as spec keys, plus the extras the spec cannot express."""

    broker: dict[str, Any]
    identity_provider: dict[str, Any]
    display_name: str
    role_mappings: list[dict[str, str]] = field(default_factory=list)
    default_role: str | None = None
    mapper_names: dict[str, str] = field(default_factory=dict)
    default_role_mapper_name: str | None = None
    adoption: dict[str, Any] = field(default_factory=dict)
    """Adoption keys the broker side names (WorkOS: connectionId)."""
    extras: list[str] = field(default_factory=list)
