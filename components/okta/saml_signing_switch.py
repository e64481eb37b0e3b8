"""Step (c) of a signing-certificate rollover: the Okta SAML app signs with the key the broker
trusts (ssoprov.saml_signing_switch says how a switch behaves; the order, and why it spans two
`up`s, is in saml_signing_keys.py).

Inputs; "update" switches in place, "replace" makes a new resource:

    org_url         replace  the customer's Okta org
    app_id          replace  the SAML app
    kid             update   the key the app must sign with (`OktaSamlSigningKeys.next_kid`)
    certificate     -        that key's certificate, base64 DER; not compared
    broker_trusted  -        the certificates the broker trusts now; not compared

Outputs: the inputs; a read reports the key the app signs with as `kid`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ssoprov.dynamic import declared_properties, run_async
from ssoprov.errors import NotFoundError
from ssoprov.okta.okta_client import okta_client_from_env
from ssoprov.saml_signing_switch import SWITCH_INPUTS, SigningSwitchProvider

REPLACE_KEYS = ("org_url", "app_id")
INPUT_KEYS = (*REPLACE_KEYS, "kid", *SWITCH_INPUTS)


class _OktaSamlSigningSwitchProvider(SigningSwitchProvider):
    key = "kid"
    replace_keys = REPLACE_KEYS

    def signing_now(self, props: Mapping[str, Any]) -> str | None:
        client = okta_client_from_env(org_url=props["org_url"])
        try:
            return run_async(client.get_saml_app(props["app_id"])).signing_kid
        except NotFoundError:
            return None

    def switch_to_key(self, props: Mapping[str, Any]) -> None:
        client = okta_client_from_env(org_url=props["org_url"])
        run_async(client.switch_saml_signing_key(props["app_id"], props["kid"]))

    def switching(self, props: Mapping[str, Any]) -> str:
        return f"Okta: switching SAML app {props['app_id']} to signing key {props['kid']}"

    def resource_id(self, props: Mapping[str, Any]) -> str:
        return f"{props['app_id']}-signing-switch"


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
