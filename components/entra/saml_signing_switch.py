"""Step (c) of a token-signing certificate rollover: the Entra ID SAML app signs with the
certificate the broker trusts, its service principal's `preferredTokenSigningKeyThumbprint`
(ssoprov.saml_signing_switch says how a switch behaves; the order is in ssoprov.saml_signing).

Inputs; "update" switches in place, "replace" makes a new resource:

    tenant_id             replace  the customer's tenant
    service_principal_id  replace  the SAML app's enterprise application
    thumbprint            update   the certificate to sign with (`EntraSamlSigningKeys.next_kid`)
    certificate           -        that certificate, base64 DER; not compared
    broker_trusted        -        the certificates the broker trusts now; not compared

Outputs: the inputs; a read reports the preferred thumbprint as `thumbprint`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ssoprov.dynamic import declared_properties, run_async
from ssoprov.entra.provider_support import graph_client, read_existing
from ssoprov.saml_signing_switch import SWITCH_INPUTS, SigningSwitchProvider

REPLACE_KEYS = ("tenant_id", "service_principal_id")
INPUT_KEYS = (*REPLACE_KEYS, "thumbprint", *SWITCH_INPUTS)


class _EntraSamlSigningSwitchProvider(SigningSwitchProvider):
    key = "thumbprint"
    replace_keys = REPLACE_KEYS

    def signing_now(self, props: Mapping[str, Any]) -> str | None:
        found = read_existing(
            lambda client: client.list_token_signing_certificates(props["service_principal_id"]),
            tenant_id=props["tenant_id"],
            object_id=props["service_principal_id"],
            created_at=None,
        )
        return None if found is None else found[0]

    def switch_to_key(self, props: Mapping[str, Any]) -> None:
        client = graph_client(props["tenant_id"])
        run_async(client.prefer_token_signing_certificate(props["service_principal_id"], props["thumbprint"]))

    def switching(self, props: Mapping[str, Any]) -> str:
        return (
            f"Entra ID: switching service principal {props['service_principal_id']} to token-signing "
            f"certificate {props['thumbprint']}"
        )

    def resource_id(self, props: Mapping[str, Any]) -> str:
        return f"{props['service_principal_id']}-signing-switch"


@dataclass(frozen=True)
class EntraSamlSigningSwitchArgs:
    tenant_id: pulumi.Input[str]
    service_principal_id: pulumi.Input[str]
    thumbprint: pulumi.Input[str]
    certificate: pulumi.Input[str]
    broker_trusted: pulumi.Input[Sequence[pulumi.Input[str]]]


class EntraSamlSigningSwitch(Resource, module="entra", name="SamlSigningSwitch"):
    """Which certificate one Entra SAML app signs with, switched only once the broker trusts it."""

    tenant_id: pulumi.Output[str]
    service_principal_id: pulumi.Output[str]
    thumbprint: pulumi.Output[str]
    certificate: pulumi.Output[str]
    broker_trusted: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: EntraSamlSigningSwitchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _EntraSamlSigningSwitchProvider(), resource_name, declared_properties(args, INPUT_KEYS), opts
        )
