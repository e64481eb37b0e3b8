"""The broker's certificate on an app registration (a keyCredential), as a Pulumi dynamic resource:
what lets the broker authenticate with a signed client assertion (private_key_jwt) instead of a
client secret.

Inputs; "update" swaps the certificate in place, "replace" registers it on another application:

    tenant_id               replace  the tenant of the application
    application_object_id   replace  the app registration that trusts the certificate
    certificate             update   the broker's signing certificate, base64 DER (public: the
                                     realm's /keys shows it to any admin)
    display_name            update   the credential's description, naming this tool and the organization

Outputs: the inputs plus `key_id` (also the resource id), `thumbprint` (the certificate's SHA-1,
hex, which the broker's `x5t` header names) and `expires_at` (Graph's endDateTime: the
certificate's own expiry, which Graph takes when none is given).

Graph keeps an application's certificates as one list that a PATCH replaces whole, and returns
their DER only to a read that selects keyCredentials. So every write reads the list with
`$select=keyCredentials` and sends it back with only this credential changed: certificates
added in the portal or by another tool stay. An update adds the new certificate and drops the old
one in the same PATCH. `addKey` is of no use here: it needs a proof of possession signed with a
key the app already trusts, and the first certificate has none.

Read (refresh, drift check) finds the credential by key_id; removed in the portal, it is dropped
from state, and the next `pulumi up` registers it again. Delete removes it; already gone is fine.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import GraphClient, KeyCredentialInfo

REPLACE_KEYS = ("tenant_id", "application_object_id")
UPDATE_KEYS = ("certificate", "display_name")
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS)
OUTPUT_KEYS = ("key_id", "thumbprint", "expires_at")
RESOURCE = "Entra key credential"


@dataclass(frozen=True)
class EntraKeyCredentialArgs:
    tenant_id: pulumi.Input[str]
    application_object_id: pulumi.Input[str]
    certificate: pulumi.Input[str]
    display_name: pulumi.Input[str]


def thumbprint(certificate: str) -> str:
    """The SHA-1 of a base64 DER certificate, hex: Graph's customKeyIdentifier, the `x5t` source."""
    return hashlib.sha1(base64.b64decode(certificate)).hexdigest()


class _EntraKeyCredentialProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        require_strings(RESOURCE, props, INPUT_KEYS)
        key_id = str(uuid.uuid4())
        outs = run_async(_put(graph_client(props["tenant_id"]), props, key_id, replacing=None))
        return CreateResult(id_=key_id, outs=outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        require_strings(RESOURCE, news, INPUT_KEYS)
        # Same keyId, new certificate: one PATCH swaps them (the resource id stays the key_id).
        return UpdateResult(outs=run_async(_put(graph_client(news["tenant_id"]), news, id_, replacing=id_)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        async def read(graph: GraphClient) -> list[KeyCredentialInfo]:
            return await graph.get_key_credentials(props["application_object_id"])

        found = read_existing(
            read, tenant_id=props["tenant_id"], object_id=props["application_object_id"], created_at=None
        )
        ours = next((c for c in found or [] if c["key_id"] == id_), None)
        if ours is None:
            return gone()
        certificate = base64.b64encode(ours["key"]).decode() if ours["key"] else props.get("certificate")
        return ReadResult(id_, _outs({**props, "certificate": certificate}, ours))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        async def delete(graph: GraphClient) -> None:
            object_id = props["application_object_id"]
            current = await graph.get_key_credentials(object_id)
            kept = [c for c in current if c["key_id"] != id_]
            if len(kept) != len(current):
                await graph.set_key_credentials(object_id, kept, action=f"removing certificate {id_}")

        delete_existing(delete, tenant_id=props["tenant_id"])


async def _put(
    graph: GraphClient, props: Mapping[str, Any], key_id: str, *, replacing: str | None
) -> dict[str, Any]:
    """Register the certificate as `key_id`, dropping the entry `replacing` names (and any other
    copy of the same certificate, which Graph would refuse twice) in the same PATCH; the state."""
    object_id = props["application_object_id"]
    der = base64.b64decode(props["certificate"])
    current = await graph.get_key_credentials(object_id)
    kept = [c for c in current if c["key_id"] != replacing and c["key"] != der]
    new: KeyCredentialInfo = {
        "key_id": key_id,
        "key": der,
        "custom_key_identifier": None,  # Graph sets the thumbprint
        "display_name": props["display_name"],
        "start_date_time": None,  # Graph takes the certificate's validity
        "end_date_time": None,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }
    await graph.set_key_credentials(
        object_id, [*kept, new], action=f"registering the broker's certificate {key_id}"
    )
    stored = next(c for c in await graph.get_key_credentials(object_id) if c["key_id"] == key_id)
    return _outs(props, stored)


def _outs(props: Mapping[str, Any], stored: KeyCredentialInfo) -> dict[str, Any]:
    outs = {key: props.get(key) for key in INPUT_KEYS}
    end = stored["end_date_time"]
    outs.update(
        key_id=stored["key_id"],
        thumbprint=thumbprint(props["certificate"]),
        expires_at=end.isoformat() if end else None,
    )
    return outs


class EntraKeyCredential(Resource, module="entra", name="KeyCredential"):
    """The broker's signing certificate, trusted by one app registration."""

    key_id: pulumi.Output[str]
    thumbprint: pulumi.Output[str]
    expires_at: pulumi.Output[str]
    certificate: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraKeyCredentialArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _EntraKeyCredentialProvider(),
            resource_name,
            declared_properties(args, INPUT_KEYS, OUTPUT_KEYS),
            opts,
        )
