"""Stack files written as text, so tests control exactly how each scalar is spelled."""

from __future__ import annotations

from pathlib import Path

ENTRA_STACK = """\
config:
  ssoprov:organization:
    name: {name}
    displayName: Acme Corporation
    identityProvider:
      kind: entra
      tenantId: 8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13
      multiTenant: {multi_tenant}
      groupsClaim: SecurityGroup
      assignments:
        groups: [Engineering, Admins]
    broker:
      kind: keycloak
      url: http://127.0.0.1:9
      realm: customers
    clientSecret:
      lifetimeDays: {lifetime_days}
    roleMappings:
      - group: Engineering
        role: {role}
      - group: {group}
        role: admin
    defaultRole: member
"""

OKTA_STACK = """\
config:
  ssoprov:organization:
    name: {name}
    displayName: Globex
    identityProvider:
      kind: okta
      orgUrl: {org_url}
      groups: [Engineering, Admins, App-Sales]
      groupsClaim:
        filterType: {filter_type}
        value: {filter_value}
    broker:
      kind: keycloak
      url: http://127.0.0.1:9
      realm: customers
    clientSecret:
      lifetimeDays: {lifetime_days}
    roleMappings:
      - group: Engineering
        role: {role}
      - group: {group}
        role: admin
"""

ENTRA_DEFAULTS = {
    "name": "acme",
    "multi_tenant": "false",
    "lifetime_days": "365",
    "role": "developer",
    "group": "Admins",
}
OKTA_DEFAULTS = {
    "name": "globex",
    "org_url": "https://globex.okta.com",
    "filter_type": "regex",
    "filter_value": ".*",
    "lifetime_days": "365",
    "role": "developer",
    "group": "Admins",
}


def entra_stack(**spelled: str) -> str:
    """The Entra example as YAML text, with the given scalars spelled exactly as passed."""
    return ENTRA_STACK.format(**{**ENTRA_DEFAULTS, **spelled})


def okta_stack(**spelled: str) -> str:
    return OKTA_STACK.format(**{**OKTA_DEFAULTS, **spelled})


def write_stack_text(directory: Path, stack: str, text: str) -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(text)
    return path
