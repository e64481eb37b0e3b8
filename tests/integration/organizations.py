"""Organization specs for integration tests, pointed at a running sandbox."""

from __future__ import annotations

from typing import Any

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.workos.store import Connection


def keycloak_broker(sandbox: LocalSandbox, realm: str) -> dict[str, Any]:
    return {"kind": "keycloak", "url": sandbox.keycloak_url, "realm": realm}


def okta_organization(
    sandbox: LocalSandbox, realm: str, name: str = "globex", broker: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": "Globex",
        "identityProvider": {
            "kind": "okta",
            "orgUrl": sandbox.okta_url,
            "groups": ["Engineering", "Admins", "Sales"],
            "groupsClaim": {"name": "groups", "filterType": "regex", "value": ".*"},
        },
        "broker": broker or keycloak_broker(sandbox, realm),
        "roleMappings": [{"group": "Engineering", "role": "developer"}, {"group": "Admins", "role": "admin"}],
        "defaultRole": "member",
    }


def okta_saml_organization(
    sandbox: LocalSandbox, realm: str, name: str = "globex", broker: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The Okta organization above over SAML: the group attribute statement instead of the claim."""
    organization = okta_organization(sandbox, realm, name, broker)
    idp = {key: value for key, value in organization["identityProvider"].items() if key != "groupsClaim"}
    organization["identityProvider"] = {
        **idp,
        "protocol": "saml",
        "saml": {
            "nameIdFormat": "emailAddress",
            "groupsAttribute": {"name": "groups", "filterType": "regex", "value": ".*"},
        },
    }
    return organization


def entra_organization(
    sandbox: LocalSandbox, realm: str, name: str = "acme", broker: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": "Acme Corporation",
        "identityProvider": {
            "kind": "entra",
            "tenantId": CONTOSO.tenant_id,
            "optionalClaims": ["email", "given_name", "family_name"],
            "groupsClaim": "ApplicationGroup",
            "assignments": {"groups": ["Engineering", "Admins"], "users": ["frank@contoso.example"]},
        },
        "broker": broker or keycloak_broker(sandbox, realm),
        "roleMappings": [{"group": "Engineering", "role": "developer"}, {"group": "Admins", "role": "admin"}],
        "defaultRole": "member",
    }


def entra_saml_organization(
    sandbox: LocalSandbox, realm: str, name: str = "acme", broker: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The Entra organization above over SAML: Entra's own claims, so no optional ID-token claims."""
    organization = entra_organization(sandbox, realm, name, broker)
    idp = {key: value for key, value in organization["identityProvider"].items() if key != "optionalClaims"}
    organization["identityProvider"] = {**idp, "protocol": "saml"}
    return organization


def workos_saml_broker(connection: Connection) -> dict[str, Any]:
    """A WorkOS SAML connection made as in the dashboard (`WorkosStore.add_saml_connection`), its
    role mappings acknowledged as dashboard steps."""
    assert connection.saml is not None
    return {
        "kind": "workos",
        "organizationId": connection.organization_id,
        "manualStepsAcknowledged": True,
        "saml": {
            "connectionId": connection.id,
            "acsUrl": connection.saml.acs_url,
            "spEntityId": connection.saml.sp_entity_id,
        },
    }


def generic_oidc_organization(
    sandbox: LocalSandbox, realm: str, client_id: str, name: str = "initech"
) -> dict[str, Any]:
    """A generic OIDC connection to a client the customer's IT team made at the Okta stand-in."""
    return {
        "name": name,
        "displayName": "Initech",
        "identityProvider": {
            "kind": "oidc",
            "clientId": client_id,
            "discoveryUrl": f"{sandbox.okta_url}/.well-known/openid-configuration",
        },
        "broker": keycloak_broker(sandbox, realm),
    }


def stack_config(organization: dict[str, Any]) -> dict[str, Any]:
    return {"ssoprov:organization": organization}
