"""A platform team's own Pulumi program: two customer organizations built with ssoprov in Python,
beside a resource of the team's own (the SSO settings file its application reads at start).

The program's config (`pulumi config set team-platform:<key> <value>`): keycloakUrl, realm, the
Entra tenantId and the Okta orgUrl. Credentials come from the environment, as for ssoprov's own
stacks (README: "Credentials").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from ssoprov import (
    EntraAssignments,
    EntraIdp,
    KeycloakBroker,
    Organization,
    OrganizationSpec,
    RoleMapping,
    parse_organization,
)

config = pulumi.Config()
broker = KeycloakBroker(kind="keycloak", url=config.require("keycloakUrl"), realm=config.require("realm"))

# A spec built from typed models: a mistake is a pydantic ValidationError naming the field.
contoso = OrganizationSpec(
    name="contoso",
    display_name="Contoso",
    identity_provider=EntraIdp(
        kind="entra",
        tenant_id=config.require("tenantId"),
        assignments=EntraAssignments(groups=["Engineering", "Admins"]),
    ),
    broker=broker,
    role_mappings=[
        RoleMapping(group="Engineering", role="developer"),
        RoleMapping(group="Admins", role="admin"),
    ],
    default_role="member",
)

# The same mapping a stack file holds (camelCase keys), e.g. read from the team's own customer
# registry: parse_organization raises InvalidSpec listing each problem with its key and fix.
globex = parse_organization(
    {
        "name": "globex",
        "displayName": "Globex",
        "identityProvider": {"kind": "okta", "orgUrl": config.require("oktaOrgUrl"), "groups": ["Sales"]},
        "broker": broker.model_dump(by_alias=True),
        "roleMappings": [{"group": "Sales", "role": "sales"}],
    },
    source="__main__.py (globex)",
)

organizations = [Organization(spec.name, spec) for spec in (contoso, globex)]


class _JsonFileProvider(ResourceProvider):
    """The team's own resource: a JSON file (the settings its application reads)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        Path(props["path"]).write_text(json.dumps(props["content"], indent=2, sort_keys=True))
        return CreateResult(id_=props["path"], outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("content") != news.get("content") or olds.get("path") != news.get("path")
        return DiffResult(changes=changed, replaces=["path"] if olds.get("path") != news.get("path") else [])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        Path(news["path"]).write_text(json.dumps(news["content"], indent=2, sort_keys=True))
        return UpdateResult(outs=news)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        Path(id_).unlink(missing_ok=True)


class JsonFile(Resource):
    def __init__(self, name: str, *, path: str, content: Any) -> None:
        super().__init__(_JsonFileProvider(), name, {"path": path, "content": content})


settings_path = str(Path.cwd() / "sso-settings.json")
JsonFile(
    "sso-settings",
    path=settings_path,
    content={
        org.spec.name: {"clientId": org.idp.client_id, "connectionId": org.connection.connection_id}
        for org in organizations
    },
)

pulumi.export("settingsFile", settings_path)
for org in organizations:
    pulumi.export(org.spec.name, {"redirectUri": org.redirect_uri, "clientId": org.idp.client_id})
