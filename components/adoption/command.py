"""`ssoprov adopt NAME`: a hand-made connection becomes a stack, with nothing in it rewritten.

1. read the broker's connection (and, by kind, the IdP side) without writing anything;
2. refuse if a stack already manages the same connection, or its IdP app, naming it (from the
   stack files, and from every stack's recorded outputs in the backend);
3. write `stacks/Pulumi.NAME.yaml` with the spec that reproduces what was read, checked by the
   same models `ssoprov validate` uses, with `adoption` recording the hand-given names;
4. create the stack and run `up`: each provider's `adopt` input makes its create read the live
   object and record it in state as it is (Pulumi's own `import` cannot reach dynamic providers:
   the engine calls their `read` without the serialized provider, pulumi/pulumi#16175);
5. run `preview --expect-no-changes`: the spec must reproduce the connection exactly.

The report lists the extras kept untouched and the next steps (the client secret stays the one
the broker holds until a new one is given; adopted objects are protected against destroy).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import events

from ssoprov.adoption.keycloak import list_keycloak_connections, read_keycloak_connection
from ssoprov.adoption.owners import owner_in_state, recorded_outputs
from ssoprov.adoption.reading import BrokerReading
from ssoprov.adoption.stack_file import render_adopted
from ssoprov.errors import ProvisionerError
from ssoprov.fleet.operations import UP
from ssoprov.fleet.project import Project
from ssoprov.fleet.stack_command import run_stack_command
from ssoprov.spec.loading import OIDC_SECRET_KEY, SPEC_KEY, load_stack_file, parse_organization
from ssoprov.spec.models import KeycloakBroker
from ssoprov.wording import counted
from ssoprov.workspace import Engine


@dataclass(frozen=True)
class KeycloakSource:
    """One Keycloak connection: its base URL (no trailing slash), realm and identity provider alias."""

    url: str
    realm: str
    alias: str

    def __str__(self) -> str:
        return f"Keycloak {self.url} realm {self.realm} identity provider {self.alias}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.url}/realms/{self.realm}/broker/{self.alias}/endpoint"

    async def read(self) -> BrokerReading:
        return await read_keycloak_connection(self.url, self.realm, self.alias)

    def identifiers(self) -> dict[str, str]:
        """The stack output that names this connection in any stack that manages it."""
        return {"redirectUri": self.redirect_uri}


@dataclass(frozen=True)
class WorkosSource:
    """One WorkOS connection: its ID, and its redirect URI as the dashboard shows it (the API does
    not return it). Two sources are the same connection when their IDs are."""

    connection_id: str
    redirect_uri: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"WorkOS connection {self.connection_id}"

    async def read(self) -> BrokerReading:
        from ssoprov.adoption.workos import read_workos_connection  # the workos SDK: only when asked

        return await read_workos_connection(self.connection_id, self.redirect_uri)

    def identifiers(self) -> dict[str, str]:
        return {"connectionId": self.connection_id}


BrokerSource = KeycloakSource | WorkosSource


@dataclass
class IdpSide:
    """What the IdP side of a connection adds to the spec the broker's reading gives."""

    identity_provider: dict[str, Any]
    adoption: dict[str, Any]
    """adoption keys: clientId, secretId, appName, and the IdP reading's values kept as made."""
    secret_id: str
    display_name: str | None = None
    """The organization's display name as the IdP app shows it; None: the broker's."""
    extras: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EntraSource:
    """The IdP side of an Entra ID connection: the tenant and the app's client ID."""

    tenant_id: str
    client_id: str

    kind = "entra"

    async def read(self, broker: BrokerReading, redirect_uri: str) -> IdpSide:
        """The app; the broker's mapped group object IDs become the groups' display names."""
        from ssoprov.adoption.entra import group_names, read_entra_app  # msgraph: only when asked

        entra = await read_entra_app(self.tenant_id, self.client_id, redirect_uri)
        names = await group_names(self.tenant_id, [mapping["group"] for mapping in broker.role_mappings])
        for mapping in broker.role_mappings:
            mapping["group"] = names[mapping["group"]]
        broker.mapper_names = {names[group]: title for group, title in broker.mapper_names.items()}
        return IdpSide(
            entra.identity_provider,
            {"clientId": self.client_id, "secretId": entra.secret_id, **entra.kept},
            entra.secret_id or "",
            display_name=entra.display_name,
            extras=entra.extras,
        )


@dataclass(frozen=True)
class OktaSource:
    """The IdP side of an Okta connection: the org URL and the app's client ID."""

    org_url: str
    client_id: str

    kind = "okta"

    async def read(self, broker: BrokerReading, redirect_uri: str) -> IdpSide:
        from ssoprov.adoption.okta import read_okta_app  # the okta SDK takes seconds to import

        okta = await read_okta_app(self.org_url, self.client_id, redirect_uri)
        adoption = {"clientId": self.client_id, "secretId": okta.secret_id}
        if okta.app.label != f"{broker.display_name} SSO":
            adoption["appName"] = okta.app.label
        adoption.update(okta.kept)
        return IdpSide(okta.identity_provider, adoption, okta.secret_id or "", extras=okta.extras)


IdpSource = EntraSource | OktaSource


@dataclass
class AdoptionReport:
    stack_file: str
    adopted: int = 0
    extras: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"wrote {self.stack_file}",
            f"adopted {counted(self.adopted, 'object')}; preview --expect-no-changes: clean",
        ]
        lines += [f"extra (kept, not managed): {extra}" for extra in self.extras] or ["extras: none"]
        lines += [f"next: {step}" for step in self.next_steps]
        return lines


def adoption_spec(name: str, reading: BrokerReading, idp: IdpSide | None = None) -> dict[str, Any]:
    """The organization spec that reproduces a connection read from Keycloak (generic OIDC), or from
    Keycloak and the IdP app (`idp`, with `reading`'s group claim values already turned into names)."""
    display_name = (idp and idp.display_name) or reading.display_name
    spec: dict[str, Any] = {
        "name": name,
        "displayName": display_name,
        "identityProvider": idp.identity_provider if idp else reading.identity_provider,
        "broker": reading.broker,
    }
    if reading.role_mappings:
        spec["roleMappings"] = reading.role_mappings
    if reading.default_role:
        spec["defaultRole"] = reading.default_role
    adoption: dict[str, Any] = {"allowDestroy": False}
    if reading.mapper_names:
        adoption["mapperNames"] = reading.mapper_names
    if reading.default_role_mapper_name:
        adoption["defaultRoleMapperName"] = reading.default_role_mapper_name
    adoption.update(reading.adoption)
    if idp:
        adoption.update(idp.adoption)
    if reading.display_name != display_name:
        adoption["brokerDisplayName"] = reading.display_name
    spec["adoption"] = adoption
    return spec


def managed_connections(project: Project) -> dict[BrokerSource, Path]:
    """Every Keycloak connection, and every adopted WorkOS connection, a stack file manages -> that
    file (each file read once)."""
    managed: dict[BrokerSource, Path] = {}
    for ref in project.stacks():
        spec, _, _ = load_stack_file(ref.file)
        if spec is not None and isinstance(spec.broker, KeycloakBroker):
            managed[KeycloakSource(spec.broker.url.rstrip("/"), spec.broker.realm, spec.broker_alias)] = (
                ref.file
            )
        elif spec is not None and spec.adoption is not None and spec.adoption.connection_id:
            managed[WorkosSource(spec.adoption.connection_id)] = ref.file
    return managed


async def _read(source: BrokerSource, idp: IdpSource | None) -> tuple[BrokerReading, IdpSide | None]:
    """Both sides of the connection, read with no write."""
    reading = await source.read()
    return reading, await _idp_side(source, idp, reading)


async def _idp_side(source: BrokerSource, idp: IdpSource | None, reading: BrokerReading) -> IdpSide | None:
    """The IdP app's side, once it is known to be the app the broker's `reading` signs in with."""
    kind = reading.identity_provider["kind"]
    if isinstance(source, WorkosSource) and (idp is None or idp.kind != kind):
        raise ProvisionerError(
            f"adopting {source}: it is a connection to {kind}, and WorkOS returns none of its OIDC options. "
            f"Fix: name the {kind} app it signs in with (--tenant-id and --client-id for Entra ID, --org-url "
            "and --client-id for Okta)"
        )
    if idp is None:
        return None
    held = reading.identity_provider.get("clientId", idp.client_id)  # WorkOS does not say
    if held != idp.client_id:
        raise ProvisionerError(
            f"adopting {source}: it signs in with client ID {held}, not {idp.client_id}. Fix: pass the "
            "client ID of the app this connection uses"
        )
    side = await idp.read(reading, source.redirect_uri)
    app_kind = side.identity_provider["kind"]
    if (kind == "microsoft") != (app_kind == "microsoft"):
        raise ProvisionerError(
            f"adopting {source}: it is a {kind} connection, and app {idp.client_id} is a {app_kind} app "
            "(personal Microsoft accounts go with Keycloak's Microsoft provider, directory accounts with "
            "OpenID Connect). Fix: pass the client ID of the app this connection uses"
        )
    reading.extras += side.extras
    return side


def adopt(
    project: Project, engine: Engine, name: str, source: BrokerSource, idp: IdpSource | None = None
) -> AdoptionReport:
    path = project.stack_file(name)
    shown = project.relative(path)
    owner = managed_connections(project).get(source)
    if owner is not None:
        raise ProvisionerError(
            f"adopting {source} into stack {name}: it is already managed by {project.relative(owner)}. "
            "Fix: manage it there, or remove it from that stack first"
        )
    if path.exists():
        raise ProvisionerError(f"adopting {source}: {shown} already exists. Fix: choose another stack name")
    identifiers = source.identifiers() | ({"clientId": idp.client_id} if idp else {})
    recorded = owner_in_state(engine, identifiers)
    if recorded is not None:
        stack, key = recorded
        what = f"its app {idp.client_id}" if key == "clientId" and idp else "it"
        raise ProvisionerError(
            f"adopting {source} into stack {name}: {what} is already managed by stack {stack} (its "
            f"{key} output). Fix: manage it there (`ssoprov preview --stack {stack}`), or destroy that stack "
            "first"
        )
    reading, side = asyncio.run(_read(source, idp))
    spec = adoption_spec(name, reading, side)
    parse_organization(spec, shown)  # InvalidSpec: file + key + fix, before anything is written
    text = render_adopted(spec, str(source))
    project.stack_dir.mkdir(parents=True, exist_ok=True)
    with path.open("x") as handle:  # never overwrite, even a file that appeared meanwhile
        handle.write(text)

    # By `--stack`, as the fleet commands run: the user's selected stack stays selected.
    changes: dict[str, int] = {}
    try:
        run_stack_command(engine, name, UP, lambda event: _note_summary(event, changes))
    except auto.CommandError as exc:
        raise _engine_failure(f"recording {source} in stack {name}", shown, name, exc) from None
    try:
        run_stack_command(engine, name, ["preview", "--expect-no-changes"], lambda _: None)
    except auto.CommandError as exc:
        raise _engine_failure(
            f"checking that {shown} reproduces {source} (preview --expect-no-changes)", shown, name, exc
        ) from None
    adopted = changes.get("create", 0)
    return AdoptionReport(
        stack_file=shown,
        adopted=adopted,
        extras=reading.extras,
        next_steps=[
            _secret_step(name, side),
            f"destroy is refused while {SPEC_KEY}.adoption.allowDestroy is false",
        ],
    )


def _note_summary(event: events.EngineEvent, changes: dict[str, int]) -> None:
    if event.summary_event is not None:
        changes.update(event.summary_event.resource_changes or {})


def _engine_failure(doing: str, shown: str, name: str, exc: auto.CommandError) -> ProvisionerError:
    """The engine's own lines (the diff, or the provider's error) and how to go on or start over.
    Adoption writes nothing to the services, so either way the connection is as it was."""
    detail = "\n".join(line for line in str(exc).splitlines() if line.strip())[-2000:]
    return ProvisionerError(
        f"adopting: {doing}: the Pulumi engine failed; the connection itself was not changed.\n{detail}\n"
        f"Fix: correct {shown} (or the connection) and run `ssoprov preview --stack {name}`; to start "
        f"over instead: `pulumi stack rm {name} --force --yes` and delete {shown}"
    )


def _secret_step(name: str, idp: IdpSide | None) -> str:
    if idp is None:
        return (
            f"when the customer hands over a new client secret: pulumi config set --secret {OIDC_SECRET_KEY} "
            f"<secret> --stack {name} && ssoprov up --stack {name} (until then the broker keeps its own)"
        )
    return (
        f"the client secret {idp.secret_id} made by hand stays in use until its rotation date "
        f"(ssoprov secrets --stack {name}); to mint ours now: ssoprov rotate --stack {name} --as-of <date>"
    )


@dataclass(frozen=True)
class UnmanagedRow:
    alias: str
    provider_id: str
    points_at: str


def unmanaged_connections(project: Project, url: str, realm: str) -> list[UnmanagedRow]:
    """The realm's identity providers that no stack file manages, with the IdP each points at."""
    connections = asyncio.run(list_keycloak_connections(url, realm))
    managed = managed_connections(project)
    return [
        UnmanagedRow(c.alias, c.provider_id, c.points_at)
        for c in connections
        if KeycloakSource(url.rstrip("/"), realm, c.alias) not in managed
    ]


def unmanaged_workos_connections(project: Project, engine: Engine) -> list[UnmanagedRow]:
    """The WorkOS environment's live connections that no stack manages (by stack file or by
    recorded output), with the organization each belongs to."""
    from ssoprov.brokers.workos.client import DELETING, WorkosClient

    connections = asyncio.run(WorkosClient.from_environment().list_connections())
    managed = {
        source.connection_id for source in managed_connections(project) if isinstance(source, WorkosSource)
    }
    managed |= {outputs.get("connectionId") for outputs in recorded_outputs(engine).values()}
    return [
        UnmanagedRow(c.id, c.connection_type, c.organization_id)
        for c in connections
        if c.state != DELETING and c.id not in managed
    ]
