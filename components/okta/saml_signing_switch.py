"""Step (c) of a signing-certificate rollover: the Okta SAML app signs with the key the broker trusts.

The order and why it spans two `up`s are in saml_signing_keys.py. This resource comes after the
broker's identity provider in the graph (its `broker_trusted` input is that provider's output), and
refuses to switch to a key whose certificate is not among them: the broker would refuse every
sign-in. An app already signing with `kid` is left alone.

Inputs; "update" switches in place, "replace" makes a new resource:

    org_url         replace  the customer's Okta org
    app_id          replace  the SAML app
    kid             update   the key the app must sign with (`OktaSamlSigningKeys.next_kid`)
    certificate     -        that key's certificate, base64 DER; not compared
    broker_trusted  -        the certificates the broker trusts now; not compared

Outputs: the inputs. Read reports the key the app signs with as `kid`, so a switch made in the
admin console shows at `pulumi refresh`. Delete does nothing: the app's delete takes its keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError
from ssoprov.okta.okta_client import okta_client_from_env
from ssoprov.saml_signing import require_broker_trust

REPLACE_KEYS = ("org_url", "app_id")
UPDATE_KEYS = ("kid",)
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS, "certificate", "broker_trusted")


class _OktaSamlSigningSwitchProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _switch(props)
        return CreateResult(id_=f"{props['app_id']}-signing-switch", outs=dict(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = okta_client_from_env(org_url=props["org_url"])
        try:
            app = run_async(client.get_saml_app(props["app_id"]))
        except NotFoundError:
            return gone()
        return ReadResult(id_, {**props, "kid": app.signing_kid})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _switch(news)
        return UpdateResult(outs=dict(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the app keeps signing with its key until the app itself is deleted."""


def _switch(props: Mapping[str, Any]) -> None:
    app_id, kid = props["app_id"], props["kid"]
    switching = f"Okta: switching SAML app {app_id} to signing key {kid}"
    require_broker_trust(props["certificate"], props.get("broker_trusted"), switching)
    client = okta_client_from_env(org_url=props["org_url"])

    async def switch() -> None:
        app = await client.get_saml_app(app_id)
        if app.signing_kid != kid:
            await client.switch_saml_signing_key(app_id, kid)

    run_async(switch())


@dataclass(frozen=True)
class OktaSamlSigningSwitchArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    kid: pulumi.Input[str]
    certificate: pulumi.Input[str]
    broker_trusted: pulumi.Input[Sequence[pulumi.Input[str]]]


class OktaSamlSigningSwitch(Resource, module="okta", name="SamlSigningSwitch"):
    """Which key one Okta SAML app signs with, switched only once the broker trusts it."""

    org_url: pulumi.Output[str]
    app_id: pulumi.Output[str]
    kid: pulumi.Output[str]
    certificate: pulumi.Output[str]
    broker_trusted: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: OktaSamlSigningSwitchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _OktaSamlSigningSwitchProvider(), resource_name, declared_properties(args, INPUT_KEYS), opts
        )
