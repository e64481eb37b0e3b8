"""The broker's certificate on an app registration (a keyCredential), as a Pulumi dynamic resource:
what lets the broker authenticate with a signed client assertion (private_key_jwt) instead of a
client secret.

Inputs; "update" changes the certificates in place, "replace" registers them on another application:

    tenant_id               replace  the tenant of the application
    application_object_id   replace  the app registration that trusts the certificates
    certificates            update   the broker's client-assertion certificates, base64 DER, the
                                     signer first (public: the realm's /keys shows them to any
                                     admin); two while a realm-key rotation is under way
    display_name            update   the credentials' description, naming this tool and the organization

State written before realm-key rotation held one `certificate`; it reads as `certificates` of one,
so an `up` of such a stack changes nothing while the realm has one key.

Outputs: the inputs plus `key_ids` (Graph's keyId of each certificate, in the same order),
`thumbprints` (each certificate's SHA-1, hex, which the broker's `x5t` header names), and of the
first certificate `key_id`, `thumbprint` and `expires_at` (Graph's endDateTime: the certificate's
own expiry, which Graph takes when none is given). The resource id is the first create's keyId.

Graph keeps an application's certificates as one list that a PATCH replaces whole, and returns
their DER only to a read that selects keyCredentials. So every write reads the list with
`$select=keyCredentials` and sends it back with only these credentials changed: certificates
added in the portal or by another tool stay. A certificate already registered keeps its keyId; an
update adds the new certificates and drops the ones no longer wanted in the same PATCH. `addKey`
is of no use here: it needs a proof of possession signed with a key the app already trusts, and
the first certificate has none.

Read (refresh, drift check) finds the credentials by keyId; with none of them left (removed in the
portal), it is dropped from state, and the next `pulumi up` registers them again. Delete removes
them; already gone is fine.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import GraphClient, KeyCredentialInfo

REPLACE_KEYS = ("tenant_id", "application_object_id")
UPDATE_KEYS = ("certificates", "display_name")
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS)
OUTPUT_KEYS = ("key_ids", "thumbprints", "key_id", "thumbprint", "expires_at")
RESOURCE = "Entra key credential"


@dataclass(frozen=True)
class EntraKeyCredentialArgs:
    tenant_id: pulumi.Input[str]
    application_object_id: pulumi.Input[str]
    certificates: pulumi.Input[Sequence[str]]
    display_name: pulumi.Input[str]


def thumbprint(certificate: str) -> str:
    """The SHA-1 of a base64 DER certificate, hex: Graph's customKeyIdentifier, the `x5t` source."""
    return hashlib.sha1(base64.b64decode(certificate)).hexdigest()


def recorded_certificates(props: Mapping[str, Any]) -> list[str]:
    """The certificates a state records, also from state of one `certificate` (before rotation)."""
    certificates = props.get("certificates")
    if isinstance(certificates, list):
        return certificates
    return [props["certificate"]] if isinstance(props.get("certificate"), str) else []


def _recorded_key_ids(id_: str, props: Mapping[str, Any]) -> list[str]:
    key_ids = props.get("key_ids")
    return key_ids if isinstance(key_ids, list) and key_ids else [id_]


def _require_inputs(props: Mapping[str, Any]) -> None:
    require_strings(RESOURCE, props, (*REPLACE_KEYS, "display_name"))
    certificates = props.get("certificates")
    if not isinstance(certificates, list) or not all(isinstance(c, str) and c for c in certificates):
        raise ValueError(f"{RESOURCE}: input certificates must be a list of base64 DER strings")
    if not certificates:
        raise ValueError(f"{RESOURCE}: input certificates must name at least one certificate")


class _EntraKeyCredentialProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = {**olds, "certificates": recorded_certificates(olds)}
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _require_inputs(props)
        key_id = str(uuid.uuid4())
        outs = run_async(_put(graph_client(props["tenant_id"]), props, first_key_id=key_id, recorded=[]))
        return CreateResult(id_=key_id, outs=outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _require_inputs(news)
        recorded = _recorded_key_ids(id_, olds)
        outs = run_async(_put(graph_client(news["tenant_id"]), news, first_key_id=None, recorded=recorded))
        return UpdateResult(outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        async def read(graph: GraphClient) -> list[KeyCredentialInfo]:
            return await graph.get_key_credentials(props["application_object_id"])

        found = read_existing(
            read, tenant_id=props["tenant_id"], object_id=props["application_object_id"], created_at=None
        )
        by_id = {c["key_id"]: c for c in found or []}
        key_ids = _recorded_key_ids(id_, props)
        ours = [by_id[key_id] for key_id in key_ids if key_id in by_id]
        if not ours:
            return gone()
        recorded = dict(zip(key_ids, recorded_certificates(props), strict=False))
        certificates = [
            base64.b64encode(c["key"]).decode() if c["key"] else recorded.get(c["key_id"]) for c in ours
        ]
        return ReadResult(id_, _outs({**props, "certificates": certificates}, ours))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        recorded = set(_recorded_key_ids(id_, props))

        async def delete(graph: GraphClient) -> None:
            object_id = props["application_object_id"]
            current = await graph.get_key_credentials(object_id)
            kept = [c for c in current if c["key_id"] not in recorded]
            if len(kept) != len(current):
                action = f"removing certificates {sorted(recorded)}"
                await graph.set_key_credentials(object_id, kept, action=action)

        delete_existing(delete, tenant_id=props["tenant_id"])


async def _put(
    graph: GraphClient, props: Mapping[str, Any], *, first_key_id: str | None, recorded: Sequence[str]
) -> dict[str, Any]:
    """Register `props["certificates"]` on the app, keeping the keyId of any already registered and
    dropping the entries in `recorded` that are no longer wanted, in one PATCH; the state. A new
    certificate gets `first_key_id` (create), else a new keyId."""
    object_id = props["application_object_id"]
    wanted = [base64.b64decode(certificate) for certificate in props["certificates"]]
    current = await graph.get_key_credentials(object_id)
    registered = {c["key"]: c for c in current if c["key"] in wanted}
    others = [c for c in current if c["key_id"] not in recorded and c["key"] not in wanted]
    ours: list[KeyCredentialInfo] = []
    for der in wanted:
        entry = registered.get(der)
        if entry is None:
            key_id, first_key_id = first_key_id or str(uuid.uuid4()), None
            entry = {
                "key_id": key_id,
                "key": der,
                "custom_key_identifier": None,  # Graph sets the thumbprint
                "display_name": props["display_name"],
                "start_date_time": None,  # Graph takes the certificate's validity
                "end_date_time": None,
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
            }
        ours.append({**entry, "display_name": props["display_name"]})
    await graph.set_key_credentials(
        object_id,
        [*others, *ours],
        action=f"registering the broker's certificates {[c['key_id'] for c in ours]}",
    )
    stored = {c["key_id"]: c for c in await graph.get_key_credentials(object_id)}
    return _outs(props, [stored[c["key_id"]] for c in ours])


def _outs(props: Mapping[str, Any], stored: Sequence[KeyCredentialInfo]) -> dict[str, Any]:
    outs = {key: props.get(key) for key in INPUT_KEYS}
    end = stored[0]["end_date_time"]
    thumbprints = [thumbprint(certificate) for certificate in props["certificates"]]
    outs.update(
        key_ids=[c["key_id"] for c in stored],
        thumbprints=thumbprints,
        key_id=stored[0]["key_id"],
        thumbprint=thumbprints[0],
        expires_at=end.isoformat() if end else None,
    )
    return outs


class EntraKeyCredential(Resource, module="entra", name="KeyCredential"):
    """The broker's client-assertion certificates, trusted by one app registration."""

    key_id: pulumi.Output[str]
    key_ids: pulumi.Output[list[str]]
    thumbprint: pulumi.Output[str]
    thumbprints: pulumi.Output[list[str]]
    expires_at: pulumi.Output[str]
    certificates: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: EntraKeyCredentialArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _EntraKeyCredentialProvider(),
            resource_name,
            declared_properties(args, INPUT_KEYS, OUTPUT_KEYS),
            opts,
        )
