"""The Okta SAML 2.0 app of one organization, as a Pulumi dynamic resource.

What the "Okta SAML" manual guide has you click (Applications > Create App Integration > SAML 2.0):

Inputs; "update" changes the app in place, "replace" makes a new app (create-before-delete):

    org_url           replace  the customer's Okta org (https://acme.okta.com); an app cannot move
    label             update   the app's name in the admin console and on users' dashboards
    acs_url           update   Single sign-on URL: the broker's ACS, also the recipient and destination
    audience          update   Audience URI: the broker's SP entity ID
    name_id_format    update   the NameID format URN; the NameID is the user's email for the email
                               format, else their Okta username
    groups_attribute  update   the group attribute statement: {name, filter_type, value}, the filter
                               of the OIDC groups claim (regex | starts_with | equals | contains)

What the app always is (not inputs): response and assertion signed with RSA_SHA256 / SHA256, and
the attribute statements `PROFILE_ATTRIBUTES` (email, first and last name: what the broker fills the
user's profile from) beside the group one. An update writes these again, so a setting changed in
the admin console (an unsigned response, say) shows up at `pulumi refresh` (`drifted`) and the
next `pulumi up` puts it back; everything else an admin set on the app is sent back as it was.

Outputs: the inputs plus `app_id`, `status`, `signing_kid` (the key it signs with),
`idp_entity_id`, `sso_url`, `metadata_url` (public: what the broker reads) and `drifted` (the fixed
settings Okta reports otherwise). The app's keys, their certificates and expiry, and their rollover
are `OktaSamlSigningKeys`' (saml_signing_keys.py), which the app's updates leave alone.

Delete deactivates, then deletes the app (which removes its group assignments and keys). Reading an
app deleted out of band drops it from state. Credentials come from the provider process's
environment, as for the OIDC app (`okta_client_from_env`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.okta.okta_client import OktaClient, SamlApp, okta_client_from_env
from ssoprov.okta.saml_profile import PROFILE_ATTRIBUTES

REPLACE_KEYS = ("org_url",)
UPDATE_KEYS = ("label", "acs_url", "audience", "name_id_format", "groups_attribute")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = (
    "app_id",
    "status",
    "signing_kid",
    "idp_entity_id",
    "sso_url",
    "metadata_url",
    "drifted",
)
NAME_ID_FORMATS = {
    "emailAddress": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}
"""The spec's `saml.nameIdFormat` -> the URN both sides name it by."""
EMAIL_FORMAT = NAME_ID_FORMATS["emailAddress"]
"""Attribute statements every app sends: attribute name -> Okta expression (the user's profile
attribute of the same name)."""
FIXED_SIGN_ON = {
    "responseSigned": True,
    "assertionSigned": True,
    "signatureAlgorithm": "RSA_SHA256",
    "digestAlgorithm": "SHA256",
}


@dataclass(frozen=True)
class OktaSamlAppArgs:
    org_url: pulumi.Input[str]
    """The customer's Okta org URL, without a trailing slash."""
    label: pulumi.Input[str]
    acs_url: pulumi.Input[str]
    audience: pulumi.Input[str]
    name_id_format: pulumi.Input[str]
    groups_attribute: pulumi.Input[Mapping[str, str]]
    """{name, filter_type, value}; filter_type in the spec's spelling (regex, starts_with, ...)."""


def sign_on(props: Mapping[str, Any]) -> dict[str, Any]:
    """The app's `settings.signOn` for these inputs (Okta's `SamlApplicationSettingsSignOn`)."""
    group = props["groups_attribute"]
    email = props["name_id_format"] == EMAIL_FORMAT
    statements: list[dict[str, Any]] = [
        {"type": "EXPRESSION", "name": name, "values": [expression]}
        for name, expression in PROFILE_ATTRIBUTES.items()
    ]
    statements.append(
        {
            "type": "GROUP",
            "name": group["name"],
            "filterType": group["filter_type"].upper(),
            "filterValue": group["value"],
        }
    )
    return {
        "ssoAcsUrl": props["acs_url"],
        "recipient": props["acs_url"],
        "destination": props["acs_url"],
        "audience": props["audience"],
        "subjectNameIdFormat": props["name_id_format"],
        "subjectNameIdTemplate": "${user.email}" if email else "${user.userName}",
        **FIXED_SIGN_ON,
        "attributeStatements": statements,
    }


class _OktaSamlAppProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(
            olds,
            news,
            update_keys=UPDATE_KEYS,
            replace_keys=REPLACE_KEYS,
            extra_updates=["settings"] if olds.get("drifted") else [],
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        client = okta_client_from_env(org_url=props["org_url"])
        app = run_async(client.create_saml_app(props["label"], sign_on(props)))
        try:
            outs = run_async(_outs(client, props, app))
        except ProvisionerError:
            # A failed create leaves nothing behind in Okta.
            with contextlib.suppress(ProvisionerError):
                run_async(client.deactivate_and_delete_app(app.id))
            raise
        return CreateResult(id_=app.id, outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = okta_client_from_env(org_url=props["org_url"])
        try:
            app = run_async(client.get_saml_app(id_))
        except NotFoundError:
            return gone()
        return ReadResult(id_, run_async(_outs(client, props, app)))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        client = okta_client_from_env(org_url=news["org_url"])
        app = run_async(client.update_saml_app(id_, news["label"], sign_on(news)))
        return UpdateResult(outs=run_async(_outs(client, news, app)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already gone is fine: deactivate_and_delete_app tolerates it.
        run_async(okta_client_from_env(org_url=props["org_url"]).deactivate_and_delete_app(id_))


def _check(props: Mapping[str, Any]) -> None:
    problems = [
        key
        for key in ("org_url", "label", "acs_url", "audience", "name_id_format")
        if not isinstance(props.get(key), str) or not props[key]
    ]
    group = props.get("groups_attribute")
    if not isinstance(group, Mapping) or not all(
        isinstance(group.get(key), str) and group[key] for key in ("name", "filter_type", "value")
    ):
        problems.append("groups_attribute")
    if problems:
        raise ValueError(f"Okta SAML app: inputs {problems} must be non-empty")


async def _outs(client: OktaClient, props: Mapping[str, Any], app: SamlApp) -> dict[str, Any]:
    """The inputs as Okta reports them, and what the broker reads: the metadata URL."""
    endpoints = await client.saml_idp_endpoints(app.id, app.signing_kid)
    settings = app.sign_on
    group = next(
        (
            s
            for s in settings.get("attributeStatements") or []
            if s.get("type") == "GROUP" and s.get("name") == props["groups_attribute"]["name"]
        ),
        None,
    )
    profile = {
        s.get("name"): (s.get("values") or [None])[0]
        for s in settings.get("attributeStatements") or []
        if s.get("type") == "EXPRESSION"
    }
    drifted = [key for key, value in FIXED_SIGN_ON.items() if settings.get(key) != value]
    drifted += [name for name, expression in PROFILE_ATTRIBUTES.items() if profile.get(name) != expression]
    return {
        "org_url": props["org_url"],
        "label": app.label,
        "acs_url": settings.get("ssoAcsUrl"),
        "audience": settings.get("audience"),
        "name_id_format": settings.get("subjectNameIdFormat"),
        "groups_attribute": None
        if group is None
        else {
            "name": group["name"],
            "filter_type": str(group.get("filterType", "")).lower(),
            "value": group.get("filterValue"),
        },
        "app_id": app.id,
        "status": app.status,
        "signing_kid": app.signing_kid,
        "idp_entity_id": endpoints.entity_id,
        "sso_url": endpoints.sso_url,
        "metadata_url": endpoints.metadata_url,
        "drifted": drifted,
    }


class OktaSamlApp(Resource, module="okta", name="SamlApp"):
    """One custom SAML 2.0 app in one Okta org. Its resource id is the Okta app id."""

    org_url: pulumi.Output[str]
    label: pulumi.Output[str]
    acs_url: pulumi.Output[str]
    audience: pulumi.Output[str]
    name_id_format: pulumi.Output[str]
    groups_attribute: pulumi.Output[dict[str, str]]
    app_id: pulumi.Output[str]
    status: pulumi.Output[str]
    signing_kid: pulumi.Output[str]
    idp_entity_id: pulumi.Output[str]
    sso_url: pulumi.Output[str]
    metadata_url: pulumi.Output[str]
    drifted: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: OktaSamlAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _OktaSamlAppProvider(), resource_name, declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), opts
        )
