"""The Okta OIDC Web app of one organization, as a Pulumi dynamic resource.

Inputs; "update" changes the app in place, "replace" makes a new app (create-before-delete):

    org_url         replace  the customer's Okta org (https://acme.okta.com); an app cannot move
    label           update   the app's name in the Okta admin console and on users' dashboards
    redirect_uris   update   sign-in redirect URIs, the broker's callback first
    issuer_mode     update   ORG_URL (the default and the only sensible value): tokens name the org
                             URL as issuer, as the broker's discovery URL does; `read` reports what
                             Okta has, so an app left on DYNAMIC (Okta's default for new apps, and
                             what earlier releases left) is put back by the next `pulumi up`
    auth_method     update   None (client_secret_basic, a secret: the default, and all earlier
                             releases made) or private_key_jwt (the broker's keys, `OktaAppJwk`;
                             Okta makes no secret for such an app); `read` reports Okta's, so
                             a method changed in the admin console is put back

What the app always is (the manual guide's choices, not inputs): an OIDC Web Application
(`application_type` web), authorization_code grant with response type code, a confidential client
authenticating with client_secret_basic (or `auth_method`), created ACTIVE. An update changes
only these inputs: the rest of the app (what an admin set in the console) is sent back to Okta
as it was.

Outputs: the inputs plus `app_id`, `client_id`, `status` and `initial_secret_id`. Okta creates a
client secret with every confidential app and shows its value once, in the create answer; this
resource records only that secret's id, never its value. The `OktaClientSecret` resource makes
the secret that is actually used and removes this one (see `client_secret.py`).

Delete deactivates the app, then deletes it (Okta deletes INACTIVE apps only), which also removes
its group assignments, claims and secrets. Reading an app deleted out of band drops it from state.

The provider reads no credentials of its own: each call builds an `OktaClient` from the provider
process's environment (`OKTA_API_TOKEN`, or the private-key variables), so nothing secret is
pickled into state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.okta.okta_client import (
    ISSUER_MODE,
    WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD,
    OktaApp,
    okta_client_from_env,
)

REPLACE_KEYS = ("org_url",)
UPDATE_KEYS = ("label", "redirect_uris", "issuer_mode", "auth_method")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("app_id", "client_id", "status", "initial_secret_id")
ADOPT_KEY = "adopt_app_id"
"""Input: the id of an app made by hand; create reads it and records it as it is (no write)."""


@dataclass(frozen=True)
class OktaOidcAppArgs:
    org_url: pulumi.Input[str]
    """The customer's Okta org URL, without a trailing slash."""
    label: pulumi.Input[str]
    redirect_uris: pulumi.Input[Sequence[str]]
    """Sign-in redirect URIs; the broker's callback first."""
    issuer_mode: pulumi.Input[str] = ISSUER_MODE
    auth_method: str | None = None
    """None for client_secret_basic; "private_key_jwt" for a secretless organization."""
    adopt_app_id: str | None = None


class _OktaOidcAppProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPT_KEY):
            app = run_async(okta_client_from_env(org_url=props["org_url"]).get_app(props[ADOPT_KEY]))
            return CreateResult(id_=app.id, outs=_outs(props, app, None))
        app, initial_secret_id = run_async(_create(props))
        return CreateResult(id_=app.id, outs=_outs(props, app, initial_secret_id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            app = run_async(okta_client_from_env(org_url=props["org_url"]).get_app(id_))
        except NotFoundError:
            return gone()
        return ReadResult(id_, _outs(props, app, props.get("initial_secret_id")))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        client = okta_client_from_env(org_url=news["org_url"])
        app = run_async(
            client.update_app(
                id_,
                label=news["label"],
                redirect_uris=news["redirect_uris"],
                issuer_mode=news["issuer_mode"],
                token_endpoint_auth_method=news.get("auth_method") or WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD,
            )
        )
        return UpdateResult(outs=_outs(news, app, olds.get("initial_secret_id")))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already gone is fine: deactivate_and_delete_app tolerates it.
        run_async(okta_client_from_env(org_url=props["org_url"]).deactivate_and_delete_app(id_))


async def _create(props: Mapping[str, Any]) -> tuple[OktaApp, str | None]:
    """Create the app, then find the id of the secret Okta made with it.

    The create answer carries the secret's value but not its id, so the secrets are listed. If
    that fails the app is deleted again, so a failed create leaves nothing behind in Okta.
    """
    client = okta_client_from_env(org_url=props["org_url"])
    app = await client.create_oidc_web_app(
        props["label"],
        list(props["redirect_uris"]),
        issuer_mode=props["issuer_mode"],
        token_endpoint_auth_method=props.get("auth_method") or WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD,
    )
    if props.get("auth_method"):
        return app, None  # a private_key_jwt app has no secret
    try:
        secrets = await client.list_secrets(app.id)
    except ProvisionerError:
        with contextlib.suppress(ProvisionerError):
            await client.deactivate_and_delete_app(app.id)
        raise
    active = [secret.id for secret in secrets if secret.status == "ACTIVE"]
    return app, (active[0] if active else None)


def _check(props: Mapping[str, Any]) -> None:
    problems = [
        key
        for key in ("org_url", "label", "issuer_mode")
        if not isinstance(props.get(key), str) or not props[key]
    ]
    uris = props.get("redirect_uris")
    if not isinstance(uris, (list, tuple)) or not uris or not all(isinstance(u, str) and u for u in uris):
        problems.append("redirect_uris")
    if problems:
        raise ValueError(f"Okta OIDC app: inputs {problems} must be non-empty (redirect_uris: URLs)")


def _outs(props: Mapping[str, Any], app: OktaApp, initial_secret_id: str | None) -> dict[str, Any]:
    return {
        "org_url": props["org_url"],
        "label": app.label,
        "redirect_uris": list(app.redirect_uris),
        "issuer_mode": app.issuer_mode,
        "auth_method": None
        if app.token_endpoint_auth_method == WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD
        else app.token_endpoint_auth_method,
        "app_id": app.id,
        "client_id": app.client_id,
        "status": app.status,
        "initial_secret_id": initial_secret_id,
    }


class OktaOidcApp(Resource, module="okta", name="OidcApp"):
    """One OIDC Web app in one Okta org. Its resource id is the Okta app id."""

    org_url: pulumi.Output[str]
    label: pulumi.Output[str]
    redirect_uris: pulumi.Output[list[str]]
    issuer_mode: pulumi.Output[str]
    auth_method: pulumi.Output[str | None]
    app_id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    status: pulumi.Output[str]
    initial_secret_id: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: OktaOidcAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), ADOPT_KEY: args.adopt_app_id}
        super().__init__(_OktaOidcAppProvider(), resource_name, props, opts)
