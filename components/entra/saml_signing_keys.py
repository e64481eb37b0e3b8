"""The token-signing certificates of an Entra ID SAML application, and the first half of their
rollover, as a Pulumi dynamic resource.

The rollover's order, and why it takes two `pulumi up`s, are in ssoprov.saml_signing and
okta/saml_signing_keys.py; Entra's side of each step:

- create: a service principal with no token-signing certificate gets its first one
  (`POST /servicePrincipals/{id}/addTokenSigningCertificate`, subject `CN=<subject>`, Entra's
  default three years) and signs with it at once (`preferredTokenSigningKeyThumbprint`): no broker
  trusts anything yet, so no sign-in can break;
- (a) when the signing certificate is due (`rotate_before_expiry_days` before its end date) and no
  newer one exists, addTokenSigningCertificate again: the new certificate does not sign until the
  service principal prefers it;
- (c) is `EntraSamlSigningSwitch` (saml_signing_switch.py), once the broker trusts the new one.
Entra keeps the old certificate, which signs nothing once another is preferred: as with Okta,
nothing is deleted (README, "Secret rotation", says why Graph gives no safe way to). State is
read from Graph: a certificate newer than the preferred one is a rollover in progress, finished by
the next run, never doubled.

Inputs; "update" re-plans in place, "replace" makes a new resource:

    tenant_id                  replace  the customer's tenant
    service_principal_id       replace  the SAML app's enterprise application
    subject                    replace  the certificates' subject, `CN=...`
    rotate_before_expiry_days  update   the spec's `saml.rotateBeforeExpiryDays`

Outputs (ssoprov.saml_signing.PLAN_OUTPUT_KEYS, `kid` = the certificate's thumbprint):
`signing_kid` and `signing_expires_at`, `staged_kid`, `next_kid`, `next_certificate`,
`next_expires_at`, `trusted_certificates` (base64 DER: what the broker must trust). A staged
certificate, or a due one, makes the next `diff` report a change. Delete does nothing: the
application's delete removes its service principal with the certificates. Read never adds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.clock import parse_timestamp, utc_now
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import graph_client, read_existing
from ssoprov.rotation import CertificatePolicy
from ssoprov.saml_signing import PLAN_OUTPUT_KEYS, KeyPlan, due_reason, plan_keys

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import GraphClient

REPLACE_KEYS = ("tenant_id", "service_principal_id", "subject")
UPDATE_KEYS = ("rotate_before_expiry_days",)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = PLAN_OUTPUT_KEYS


class _EntraSamlSigningKeysProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        carry_on = bool(olds.get("staged_kid")) or due_reason({**olds, **news}, utc_now()) is not None
        return exact_diff(
            olds,
            news,
            update_keys=UPDATE_KEYS,
            replace_keys=REPLACE_KEYS,
            extra_updates=["trusted_certificates"] if carry_on else [],
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(
            id_=f"{props['service_principal_id']}-signing-keys", outs={**props, **_roll(props)}
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        plan = read_existing(
            lambda client: _plan(client, props["service_principal_id"]),
            tenant_id=props["tenant_id"],
            object_id=props["service_principal_id"],
            created_at=None,
        )
        if plan is None:
            return gone()
        return ReadResult(id_, {**props, **plan.outputs()})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**news, **_roll(news)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to do: the application's delete takes the service principal and its certificates."""


async def _plan(client: GraphClient, service_principal_id: str) -> KeyPlan:
    preferred, certificates = await client.list_token_signing_certificates(service_principal_id)
    missing = (
        f"Entra ID: service principal {service_principal_id} signs SAML tokens with certificate "
        f"{preferred}, which its token-signing certificates do not list. Fix: make an existing certificate "
        "active on the app's Single sign-on page, then run `pulumi up` again"
    )
    return plan_keys(certificates, preferred or "", utc_now(), missing=missing)


def _roll(props: Mapping[str, Any]) -> dict[str, Any]:
    """The first certificate for a new app; else step (a) when due: the plan, with a new
    certificate staged if the signing one is due and none is."""
    client = graph_client(props["tenant_id"])
    sp_id, subject = props["service_principal_id"], props["subject"]

    async def roll() -> KeyPlan:
        preferred, certificates = await client.list_token_signing_certificates(sp_id)
        if preferred is None and not certificates:
            first = await client.add_token_signing_certificate(sp_id, subject)
            await client.prefer_token_signing_certificate(sp_id, first.kid)
            return KeyPlan(first, None)
        plan = await _plan(client, sp_id)
        policy = CertificatePolicy(int(props["rotate_before_expiry_days"]))
        if plan.staged is None and policy.reason_due(parse_timestamp(plan.signing.expires_at), utc_now()):
            plan = KeyPlan(plan.signing, await client.add_token_signing_certificate(sp_id, subject))
        return plan

    return run_async(roll()).outputs()


@dataclass(frozen=True)
class EntraSamlSigningKeysArgs:
    tenant_id: pulumi.Input[str]
    service_principal_id: pulumi.Input[str]
    subject: pulumi.Input[str]
    rotate_before_expiry_days: pulumi.Input[int]


class EntraSamlSigningKeys(Resource, module="entra", name="SamlSigningKeys"):
    """The token-signing certificates of one Entra SAML app: which signs, which is staged, what the
    broker trusts."""

    tenant_id: pulumi.Output[str]
    service_principal_id: pulumi.Output[str]
    subject: pulumi.Output[str]
    rotate_before_expiry_days: pulumi.Output[int]
    signing_kid: pulumi.Output[str]
    signing_expires_at: pulumi.Output[str]
    staged_kid: pulumi.Output[str | None]
    next_kid: pulumi.Output[str]
    next_certificate: pulumi.Output[str]
    next_expires_at: pulumi.Output[str]
    trusted_certificates: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: EntraSamlSigningKeysArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _EntraSamlSigningKeysProvider(),
            resource_name,
            declared_properties(args, INPUT_KEYS, OUTPUT_KEYS),
            opts,
        )
