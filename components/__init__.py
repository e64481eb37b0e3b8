"""Declarative SSO connections on Pulumi: one organization spec -> IdP app + broker connection.

The public surface, for use from any Pulumi Python program (README: "Using ssoprov from your own
Pulumi program"):

- `Organization`: the component resource; `Organization(name, spec)` inside a Pulumi program.
- `OrganizationSpec` and the models it is made of (`EntraIdp`, `MicrosoftIdp`, `OktaIdp`,
  `OidcIdp`, `KeycloakBroker`, `WorkosBroker`, `RoleMapping`, `SecretPolicy`, ...), built in Python
  with snake_case names; or `parse_organization(mapping, source)` for the camelCase mapping a stack
  file holds, which raises `InvalidSpec` listing every problem with its key and fix.
- The errors: `ProvisionerError` and its kinds.

Names are imported on first use, so `import ssoprov` (and the `ssoprov` command) pays for Pulumi
and pydantic only when a name that needs them is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_PUBLIC = {
    "Organization": "ssoprov.organization",
    "OrganizationSpec": "ssoprov.spec.models",
    "EntraIdp": "ssoprov.spec.models",
    "EntraAssignments": "ssoprov.spec.models",
    "MicrosoftIdp": "ssoprov.spec.models",
    "OktaIdp": "ssoprov.spec.models",
    "OktaGroupsClaim": "ssoprov.spec.models",
    "OidcIdp": "ssoprov.spec.models",
    "KeycloakBroker": "ssoprov.spec.models",
    "WorkosBroker": "ssoprov.spec.models",
    "RoleMapping": "ssoprov.spec.models",
    "SecretPolicy": "ssoprov.spec.models",
    "Adoption": "ssoprov.spec.models",
    "parse_organization": "ssoprov.spec.loading",
    "InvalidSpec": "ssoprov.spec.problems",
    "SpecProblem": "ssoprov.spec.problems",
    "ProvisionerError": "ssoprov.errors",
    "SpecError": "ssoprov.errors",
    "ApiError": "ssoprov.errors",
    "NotFoundError": "ssoprov.errors",
    "RetryBudgetExceeded": "ssoprov.errors",
}

__all__ = [
    "Adoption",
    "ApiError",
    "EntraAssignments",
    "EntraIdp",
    "InvalidSpec",
    "KeycloakBroker",
    "MicrosoftIdp",
    "NotFoundError",
    "OidcIdp",
    "OktaGroupsClaim",
    "OktaIdp",
    "Organization",
    "OrganizationSpec",
    "ProvisionerError",
    "RetryBudgetExceeded",
    "RoleMapping",
    "SecretPolicy",
    "SpecError",
    "SpecProblem",
    "WorkosBroker",
    "parse_organization",
]

if TYPE_CHECKING:  # what type checkers and editors see
    from ssoprov.errors import ApiError, NotFoundError, ProvisionerError, RetryBudgetExceeded, SpecError
    from ssoprov.organization import Organization
    from ssoprov.spec.loading import parse_organization
    from ssoprov.spec.models import (
        Adoption,
        EntraAssignments,
        EntraIdp,
        KeycloakBroker,
        MicrosoftIdp,
        OidcIdp,
        OktaGroupsClaim,
        OktaIdp,
        OrganizationSpec,
        RoleMapping,
        SecretPolicy,
        WorkosBroker,
    )
    from ssoprov.spec.problems import InvalidSpec, SpecProblem


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'ssoprov' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
