"""Read a WorkOS SSO connection made by hand into spec keys.

WorkOS's API returns a connection's organization, type, name and state, and nothing of its OIDC
options (discovery endpoint, client ID and secret, redirect URI, attribute maps) nor of the
group-to-role mappings entered in the dashboard. So the redirect URI comes from the command
line (as the dashboard shows it), the IdP side from the IdP app, and the report says what could
not be read: the connection is recorded with the spec's options, which the first update sends.
"""

from __future__ import annotations

from ssoprov.adoption.reading import BrokerReading
from ssoprov.brokers.workos.broker import CONNECTION_TYPES
from ssoprov.brokers.workos.client import DELETING, WorkosClient
from ssoprov.errors import NotFoundError, ProvisionerError

IDP_KINDS = {connection_type: kind for kind, connection_type in CONNECTION_TYPES.items()}
"""WorkOS connection type -> the identity provider kind whose spec reproduces it."""
UNREADABLE = (
    "WorkOS group-to-role mappings and default role: entered in the dashboard, which the API does not "
    "return; kept as they are, not managed",
    "WorkOS OIDC options and attribute maps: the API does not return them; recorded as the spec has "
    "them (client_secret_basic, the groups claim), sent by the first update",
)


async def read_workos_connection(connection_id: str, redirect_uri: str) -> BrokerReading:
    doing = f"WorkOS: reading connection {connection_id} to adopt it"
    try:
        info = await WorkosClient.from_environment().get_connection(connection_id)
    except NotFoundError:
        raise ProvisionerError(
            f"{doing}: it does not exist. Fix: copy the conn_... ID from the WorkOS dashboard (Organizations "
            "> the organization > SSO connection)"
        ) from None
    if info.state == DELETING or info.connection_type not in IDP_KINDS:
        raise ProvisionerError(
            f"{doing}: it is a {info.connection_type} connection in state {info.state}, and ssoprov adopts "
            f"live {', '.join(IDP_KINDS)} connections. Fix: leave this one unmanaged"
        )
    return BrokerReading(
        broker={"kind": "workos", "organizationId": info.organization_id, "redirectUri": redirect_uri},
        identity_provider={"kind": IDP_KINDS[info.connection_type]},
        display_name=info.name,
        adoption={"connectionId": info.id},
        extras=list(UNREADABLE),
    )
