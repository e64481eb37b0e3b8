"""Generic OIDC: nothing to create at the IdP; check what the customer's IT team handed over."""

from __future__ import annotations

import pulumi

from components.identity import IdpConnectionInfo
from components.oidc import DiscoveryError, fetch_discovery_document
from components.spec.models import OidcIdp, OrganizationSpec


def generic_oidc_connection(
    spec: OrganizationSpec, idp: OidcIdp, client_secret: pulumi.Output[str] | None, stack_file: str
) -> IdpConnectionInfo:
    """Check the discovery endpoint now (this runs at preview too) and pass the credentials on."""
    if client_secret is None:
        raise pulumi.RunError(
            f"{stack_file}: ssoprov:oidcClientSecret: is required for a generic OIDC connection. "
            "Fix: run `pulumi config set --secret ssoprov:oidcClientSecret <secret>`"
        )
    try:
        fetch_discovery_document(idp.discovery_url)
    except DiscoveryError as exc:
        raise pulumi.RunError(
            f"{stack_file}: ssoprov:organization.identityProvider.discoveryUrl: {exc}. "
            "Fix: ask the customer's IT team for their provider's discovery endpoint"
        ) from None
    groups = {mapping.group: pulumi.Output.from_input(mapping.group) for mapping in spec.role_mappings}
    return IdpConnectionInfo(
        kind="oidc",
        client_id=pulumi.Output.from_input(idp.client_id),
        client_secret=pulumi.Output.secret(client_secret),
        discovery_url=pulumi.Output.from_input(idp.discovery_url),
        group_claim_values=groups,
        groups_claim=idp.groups_claim,
    )
