"""Step (c) of a token-signing certificate rollover: the Entra ID SAML app signs with the
certificate the broker trusts (`preferredTokenSigningKeyThumbprint`).

The order is in ssoprov.saml_signing. This resource comes after the broker's identity provider in
the graph (its `broker_trusted` input is that provider's output) and refuses to switch to a
certificate the broker does not trust. A service principal already preferring `thumbprint` is left
alone.

Inputs; "update" switches in place, "replace" makes a new resource:

    tenant_id             replace  the customer's tenant
    service_principal_id  replace  the SAML app's enterprise application
    thumbprint            update   the certificate to sign with (`EntraSamlSigningKeys.next_kid`)
    certificate           -        that certificate, base64 DER; not compared
    broker_trusted        -        the certificates the broker trusts now; not compared

Outputs: the inputs. Read reports the preferred thumbprint as `thumbprint`, so a switch made in the
admin center shows at `pulumi refresh`. Delete does nothing: the application's delete takes all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import graph_client, read_existing
from ssoprov.saml_signing import require_broker_trust

REPLACE_KEYS = ("tenant_id", "service_principal_id")
UPDATE_KEYS = ("thumbprint",)
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS, "certificate", "broker_trusted")


class _EntraSamlSigningSwitchProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _switch(props)
        return CreateResult(id_=f"{props['service_principal_id']}-signing-switch", outs=dict(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = read_existing(
            lambda client: client.list_token_signing_certificates(props["service_principal_id"]),
            tenant_id=props["tenant_id"],
            object_id=props["service_principal_id"],
            created_at=None,
        )
        if found is None:
            return gone()
        return ReadResult(id_, {**props, "thumbprint": found[0]})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _switch(news)
        return UpdateResult(outs=dict(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the app signs with its certificate until the application is deleted."""


def _switch(props: Mapping[str, Any]) -> None:
    sp_id, thumbprint = props["service_principal_id"], props["thumbprint"]
    switching = f"Entra ID: switching service principal {sp_id} to token-signing certificate {thumbprint}"
    require_broker_trust(props["certificate"], props.get("broker_trusted"), switching)
    client = graph_client(props["tenant_id"])

    async def switch() -> None:
        preferred, _ = await client.list_token_signing_certificates(sp_id)
        if preferred != str(thumbprint).upper():
            await client.prefer_token_signing_certificate(sp_id, thumbprint)

    run_async(switch())


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
