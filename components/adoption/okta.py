"""Read an Okta OIDC app made by hand (group assignments, groups claim, client secret) into spec
keys, plus the extras the spec cannot express. One reader per Okta object kind, as for Entra."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.okta.okta_client import ISSUER_MODE, OktaApp, OktaClient, okta_client_from_env


@dataclass
class OktaReading:
    """One hand-made Okta app as spec keys (`identity_provider`), plus what adoption records."""

    org_url: str
    client_id: str
    broker_redirect_uri: str
    app: OktaApp
    identity_provider: dict[str, Any] = field(default_factory=dict)
    secret_id: str | None = None
    kept: dict[str, Any] = field(default_factory=dict)
    """`adoption` keys holding what differs from ssoprov's defaults, kept as made so adopting rewrites
    nothing: issuerMode, when it is not ORG_URL (Okta's console makes apps DYNAMIC)."""
    extras: list[str] = field(default_factory=list)


Reader = Callable[[OktaClient, OktaReading], Awaitable[None]]


async def _app(_client: OktaClient, reading: OktaReading) -> None:
    uris = list(reading.app.redirect_uris)
    if reading.broker_redirect_uri not in uris:
        raise ProvisionerError(
            f"Okta: adopting app {reading.client_id}: its redirect URIs {uris} lack the broker's callback "
            f"{reading.broker_redirect_uri}, so it is not this connection's app. Fix: check the client ID "
            "in the broker connection"
        )
    if reading.app.issuer_mode != ISSUER_MODE:
        reading.kept["issuerMode"] = reading.app.issuer_mode
    reading.identity_provider.update(
        kind="okta",
        orgUrl=reading.org_url,
        extraRedirectUris=[uri for uri in uris if uri != reading.broker_redirect_uri],
    )


async def _group_assignments(client: OktaClient, reading: OktaReading) -> None:
    assigned = await client.list_app_groups(reading.app.id)
    reading.identity_provider["groups"] = [(await client.get_group(a.group_id)).name for a in assigned]


async def _groups_claim(client: OktaClient, reading: OktaReading) -> None:
    claim = await client.get_groups_claim(reading.app.id)
    if claim is None:
        raise ProvisionerError(
            f"Okta: adopting app {reading.client_id}: it sends no groups claim, so the broker's role "
            "mappers match nothing. Fix: set the groups claim (Sign On > OpenID Connect ID Token) first"
        )
    reading.identity_provider["groupsClaim"] = {
        "name": claim.name,
        "filterType": claim.filter_type.lower(),
        "value": claim.value,
    }


async def _client_secret(client: OktaClient, reading: OktaReading) -> None:
    """The app's one ACTIVE secret. Okta keeps two at most and a rotation needs room for ours, so
    an app with a second secret is not adopted: which one is unused is the admin's call."""
    secrets = await client.list_secrets(reading.app.id)
    if len(secrets) != 1 or secrets[0].status != "ACTIVE":
        listed = ", ".join(f"{s.id} ({s.status})" for s in secrets) or "none"
        raise ProvisionerError(
            f"Okta: adopting app {reading.client_id}: it has the client secrets {listed}, and adoption "
            "takes an app with exactly one, ACTIVE (a rotation needs room for a second). Fix: deactivate and "
            "delete the secret the broker does not use in the admin console, then adopt again"
        )
    reading.secret_id = secrets[0].id


READERS: Sequence[Reader] = (_app, _group_assignments, _groups_claim, _client_secret)


async def read_okta_app(org_url: str, client_id: str, broker_redirect_uri: str) -> OktaReading:
    client = okta_client_from_env(org_url=org_url)
    try:
        app = await client.get_app(client_id)  # an OIDC app's id is its client ID
    except NotFoundError:
        raise ProvisionerError(
            f"Okta: adopting app {client_id} in {org_url}: it does not exist. Fix: take the client ID from "
            "the broker connection (or the app's General tab)"
        ) from None
    reading = OktaReading(org_url, client_id, broker_redirect_uri, app)
    for reader in READERS:
        await reader(client, reading)
    return reading
