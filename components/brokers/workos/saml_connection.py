"""A WorkOS SAML connection made in the dashboard, configured through the API, as a Pulumi dynamic
resource: the IdP side of the connection and the IdP signing certificates it trusts.

WorkOS picks a SAML connection's ACS URL and SP entity ID when it is made and no endpoint returns
them, so the connection is made in the dashboard (the spec's `broker.saml`); everything after that
is API: `PATCH /connections/{id}` with `saml_options.idp_metadata_url` imports the IdP's entity ID,
SSO URL and signing certificates from the app's metadata (replacing the certificates it had), and
`attribute_maps` says which assertion attributes fill the profile's groups, email and names; the
`saml_idp_signing_certs` endpoints add and delete trusted certificates one by one, which is what a
rollover needs (ssoprov.saml_signing): the IdP's metadata lists only the certificate it signs with,
so the staged one is added by itself before the IdP switches, and the old one deleted after.

Inputs; "update" changes the connection in place, "replace" names another connection:

    connection_id         replace  the dashboard's connection (conn_...)
    metadata_url          update   the IdP app's metadata URL; PATCHed when it changes
    attribute_map         update   profile field (groups, email, first_name, last_name) -> the
                                   assertion attribute; PATCHed with the metadata URL
    signing_certificates  update   base64 DER certificates WorkOS must trust, exactly: missing ones
                                   are added first, then the others deleted (never the last one)

Outputs: the inputs plus `trusted_certificates` (what WorkOS's list holds once written: the input
of the IdP's signing switch, which refuses to switch to a certificate WorkOS does not trust) and
`state` (WorkOS's `active`, `draft`, ...). The resource id is the connection id. Read reports the
certificates WorkOS trusts now (drift: one added or deleted in the dashboard, or a metadata refresh
at WorkOS); WorkOS returns no SAML options, so the metadata URL and attribute map stay as last
applied. Delete leaves the connection as it is: it is the dashboard's, and WorkOS refuses to delete
its last certificate; deleting the connection is a dashboard step.

The provider reads no credentials of its own: each call builds its client from WORKOS_API_KEY and
WORKOS_BASE_URL in the provider process's environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, nonempty_strings, run_async
from ssoprov.errors import NotFoundError, ProvisionerError

if TYPE_CHECKING:
    from ssoprov.brokers.workos.client import WorkosClient

REPLACE_KEYS = ("connection_id",)
CONFIGURE_KEYS = ("metadata_url", "attribute_map")
UPDATE_KEYS = (*CONFIGURE_KEYS, "signing_certificates")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("trusted_certificates", "state")


@dataclass(frozen=True)
class WorkosSamlConnectionArgs:
    connection_id: pulumi.Input[str]
    metadata_url: pulumi.Input[str]
    attribute_map: pulumi.Input[Mapping[str, str]]
    signing_certificates: pulumi.Input[Sequence[pulumi.Input[str]]]


class _WorkosSamlConnectionProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        return CreateResult(id_=props["connection_id"], outs=run_async(_write(props, configure=True)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from ssoprov.brokers.workos.client import WorkosClient

        try:
            found = run_async(WorkosClient.from_environment().list_idp_signing_certificates(id_))
        except NotFoundError:
            return gone()
        trusted = [c.certificate for c in found]
        recorded = props.get("signing_certificates") or []
        certificates = recorded if sorted(recorded) == sorted(trusted) else trusted
        return ReadResult(
            id_, {**props, "signing_certificates": certificates, "trusted_certificates": trusted}
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        configure = any(olds.get(key) != news.get(key) for key in CONFIGURE_KEYS)
        return UpdateResult(outs=run_async(_write(news, configure=configure)))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing: the connection is the dashboard's (see the module docstring)."""


async def _write(props: Mapping[str, Any], *, configure: bool) -> dict[str, Any]:
    """PATCH the metadata URL and attribute map if `configure`, then make the trusted certificates
    exactly the wanted ones; the outputs."""
    from ssoprov.brokers.workos.client import WorkosClient

    client = WorkosClient.from_environment()
    connection_id = props["connection_id"]
    try:
        if configure:
            info = await client.configure_saml_connection(
                connection_id, props["metadata_url"], props["attribute_map"]
            )
        else:
            info = await client.get_connection(connection_id)
        trusted = await _trust_exactly(client, connection_id, props["signing_certificates"])
    except NotFoundError:
        raise ProvisionerError(
            f"WorkOS: configuring SAML connection {connection_id}: it does not exist. Fix: make the SAML "
            "connection in the WorkOS dashboard and copy its ID into "
            "ssoprov:organization.broker.saml.connectionId"
        ) from None
    return {
        **{key: props.get(key) for key in INPUT_KEYS},
        "trusted_certificates": trusted,
        "state": info.state,
    }


async def _trust_exactly(client: WorkosClient, connection_id: str, wanted: Sequence[str]) -> list[str]:
    """Add the wanted certificates WorkOS lacks, then delete the ones not wanted (in that order, so
    WorkOS always trusts the certificate the IdP signs with); what WorkOS trusts after."""
    found = await client.list_idp_signing_certificates(connection_id)
    have = {c.certificate for c in found}
    for certificate in wanted:
        if certificate not in have:
            await client.add_idp_signing_certificate(connection_id, certificate)
    for stale in [c for c in found if c.certificate not in wanted]:
        await client.delete_idp_signing_certificate(connection_id, stale.id)
    return [c.certificate for c in await client.list_idp_signing_certificates(connection_id)]


def _check(props: Mapping[str, Any]) -> None:
    missing = [
        key
        for key in ("connection_id", "metadata_url")
        if not isinstance(props.get(key), str) or not props[key]
    ]
    if not nonempty_strings(props.get("signing_certificates")):
        missing.append("signing_certificates")
    attribute_map = props.get("attribute_map")
    if not isinstance(attribute_map, Mapping) or not attribute_map.get("groups"):
        missing.append("attribute_map")
    if missing:
        raise ValueError(f"WorkOS SAML connection: inputs {missing} must be given (non-empty)")


class WorkosSamlConnection(Resource, module="workos", name="SamlConnection"):
    """The IdP side of one SAML connection made in the WorkOS dashboard. Its resource id is the
    connection id."""

    connection_id: pulumi.Output[str]
    metadata_url: pulumi.Output[str]
    attribute_map: pulumi.Output[dict[str, str]]
    signing_certificates: pulumi.Output[list[str]]
    trusted_certificates: pulumi.Output[list[str]]
    state: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: WorkosSamlConnectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        super().__init__(_WorkosSamlConnectionProvider(), resource_name, props, opts)
