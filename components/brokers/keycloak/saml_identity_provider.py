"""An organization's SAML identity provider in a Keycloak realm, as a Pulumi dynamic resource.

The broker half of an "Okta SAML" (or "Entra ID SAML") guide: Keycloak as the service provider
(SP) of the customer's SAML app. Keycloak reads the IdP's endpoints and entity ID from the app's
metadata document (`import-config` with `providerId: saml`); the certificates it trusts are an
input, taken from the IdP's API rather than from that document, so that a certificate staged for a
rollover is trusted before the IdP signs with it (Keycloak splits `signingCertificate` on commas
and tries each).

Inputs; "update" changes the identity provider in place (PUT), "replace" makes a new one:

    url                   replace  Keycloak's base URL
    realm                 replace  the realm that brokers the organization's logins
    alias                 replace  the provider's alias; also in the SP entity ID and the ACS URL
    display_name          update   what the login page's button says
    metadata_url          update   the IdP's SAML metadata document
    signing_certificates  update   base64 DER certificates the IdP signs with (or will)
    name_id_format        update   the NameID format URN Keycloak asks for and reads the user from
    sync_mode             update   IMPORT | FORCE | LEGACY: when Keycloak re-applies mappers

Fixed (`SAML_CONFIG_OPTIONS`): Keycloak validates signatures and wants signed assertions, sends its
AuthnRequest with the Redirect binding, takes the response with the POST binding, and names the user
by the NameID. The SP entity ID is `{url}/realms/{realm}/broker/{alias}/endpoint/descriptor`
(`service_provider`), one per provider, so two organizations in one IdP tenant never share it.
Outputs: the inputs plus `imported` (what `import-config` read from the metadata). The resource id
is the alias. Refresh reports drift of the display name, the certificates, the NameID format and
the sync mode; the next `pulumi up` puts them back (with the fixed options, written on every update).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.brokers.keycloak.admin import admin_client
from ssoprov.brokers.keycloak.identity_provider import OPTIONS
from ssoprov.dynamic import declared_properties, exact_diff, gone, nonempty_strings, run_async
from ssoprov.errors import NotFoundError, ProvisionerError

REPLACE_KEYS = ("url", "realm", "alias")
UPDATE_KEYS = ("display_name", "metadata_url", "signing_certificates", "name_id_format", "sync_mode")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("imported", "service_provider_entity_id")

SAML_CONFIG_OPTIONS: dict[str, str] = {
    "validateSignature": "true",
    "wantAssertionsSigned": "true",
    "postBindingAuthnRequest": "false",
    "postBindingResponse": "true",
    "useMetadataDescriptorUrl": "false",
    "principalType": "SUBJECT",
}
_IMPORTED_KEYS = ("singleSignOnServiceUrl", "idpEntityId", "singleLogoutServiceUrl")
"""What Keycloak's import of the metadata contributes; the rest of the config is ours."""


def service_provider(url: str, realm: str, alias: str) -> tuple[str, str]:
    """(SP entity ID, ACS URL) of the provider `alias`: what the IdP app must name as its audience
    and where it posts the response (Keycloak's broker endpoint, as for OIDC's redirect URI)."""
    endpoint = f"{url.rstrip('/')}/realms/{realm}/broker/{alias}/endpoint"
    return f"{endpoint}/descriptor", endpoint


@dataclass(frozen=True)
class KeycloakSamlIdentityProviderArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]
    alias: pulumi.Input[str]
    display_name: pulumi.Input[str]
    metadata_url: pulumi.Input[str]
    signing_certificates: pulumi.Input[Sequence[pulumi.Input[str]]]
    name_id_format: pulumi.Input[str]
    sync_mode: pulumi.Input[str]


class _KeycloakSamlIdentityProviderProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)
        if result.replaces:  # the alias is the provider's slot: the old one goes first
            return DiffResult(changes=True, replaces=result.replaces, delete_before_replace=True)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        imported = run_async(_write(props, create=True))
        return CreateResult(id_=props["alias"], outs=_outs(props, imported))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        async def get() -> dict[str, Any]:
            async with admin_client(props["url"]) as keycloak:
                return await keycloak.get_identity_provider(props["realm"], props["alias"])

        try:
            actual = run_async(get())
        except NotFoundError:
            return gone()
        config = actual.get("config") or {}
        outs = {**props, "display_name": actual.get("displayName")}
        outs.update(
            signing_certificates=[c for c in (config.get("signingCertificate") or "").split(",") if c],
            name_id_format=config.get("nameIDPolicyFormat"),
            sync_mode=config.get("syncMode"),
        )
        return ReadResult(id_, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        imported = run_async(_write(news, create=False))
        return UpdateResult(outs=_outs(news, imported))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        async def delete() -> None:
            async with admin_client(props["url"]) as keycloak:
                await keycloak.delete_identity_provider(props["realm"], props["alias"])

        with contextlib.suppress(NotFoundError):  # already gone: the goal of a delete
            run_async(delete())


async def _write(props: Mapping[str, Any], *, create: bool) -> dict[str, str]:
    """Read the metadata through Keycloak, then create or PUT the provider; returns what was read."""
    realm, alias = props["realm"], props["alias"]
    async with admin_client(props["url"]) as keycloak:
        try:
            found = await keycloak.import_config(realm, props["metadata_url"], provider_id="saml")
        except NotFoundError:
            raise ProvisionerError(
                f"Keycloak: reading SAML metadata {props['metadata_url']} for identity provider {alias}: "
                f"realm {realm} does not exist. Fix: create it first, or correct "
                "ssoprov:organization.broker.realm"
            ) from None
        imported = {key: str(found[key]) for key in _IMPORTED_KEYS if found.get(key)}
        if "singleSignOnServiceUrl" not in imported:
            raise ProvisionerError(
                f"Keycloak: reading SAML metadata {props['metadata_url']} for identity provider {alias}: it "
                "names no single sign-on service. Fix: check that the URL is the app's IdP metadata"
            )
        current = {} if create else await keycloak.get_identity_provider(realm, alias)
        body = _representation(current, props, imported)
        if create:
            await keycloak.create_identity_provider(realm, body)
        else:
            await keycloak.update_identity_provider(realm, alias, body)
    return imported


def _representation(
    base: Mapping[str, Any], props: Mapping[str, Any], imported: Mapping[str, str]
) -> dict[str, Any]:
    """Keycloak's JSON for the provider: `base` (a GET's, or empty) with every input applied."""
    entity_id, _ = service_provider(props["url"], props["realm"], props["alias"])
    body = {key: value for key, value in base.items() if key != "config"}
    body.update(alias=props["alias"], providerId="saml", displayName=props["display_name"], **OPTIONS)
    config = dict(base.get("config") or {})
    config.update(imported)
    config.update(SAML_CONFIG_OPTIONS)
    config.update(
        entityId=entity_id,
        signingCertificate=",".join(props["signing_certificates"]),
        nameIDPolicyFormat=props["name_id_format"],
        syncMode=props["sync_mode"],
    )
    body["config"] = config
    return body


def _check(props: Mapping[str, Any]) -> None:
    required = ["url", "realm", "alias", "display_name", "metadata_url", "name_id_format", "sync_mode"]
    missing = [key for key in required if not isinstance(props.get(key), str) or not props[key]]
    if not nonempty_strings(props.get("signing_certificates")):
        missing.append("signing_certificates")
    if missing:
        raise ValueError(f"Keycloak SAML identity provider: inputs {missing} must be given (non-empty)")


def _outs(props: Mapping[str, Any], imported: Mapping[str, str]) -> dict[str, Any]:
    entity_id, _ = service_provider(props["url"], props["realm"], props["alias"])
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs.update(imported=dict(imported), service_provider_entity_id=entity_id)
    return outs


class KeycloakSamlIdentityProvider(Resource, module="keycloak", name="SamlIdentityProvider"):
    """One organization's SAML identity provider in one Keycloak realm. Its resource id is the alias."""

    url: pulumi.Output[str]
    realm: pulumi.Output[str]
    alias: pulumi.Output[str]
    display_name: pulumi.Output[str]
    metadata_url: pulumi.Output[str]
    signing_certificates: pulumi.Output[list[str]]
    name_id_format: pulumi.Output[str]
    sync_mode: pulumi.Output[str]
    imported: pulumi.Output[dict[str, str]]
    service_provider_entity_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: KeycloakSamlIdentityProviderArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        super().__init__(_KeycloakSamlIdentityProviderProvider(), resource_name, props, opts)
