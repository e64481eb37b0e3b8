"""Generic OIDC: nothing to create at the IdP; check what the customer's IT team handed over."""

from __future__ import annotations

from typing import Any

import pulumi

from ssoprov.identity import IdpConnectionInfo
from ssoprov.oidc import DiscoveryError, fetch_discovery_document, supported_secret_methods
from ssoprov.spec.models import OidcIdp, OrganizationSpec
from ssoprov.token_endpoint_auth import TokenEndpointAuthMethod

IDP_KEY = "ssoprov:organization.identityProvider"


def generic_oidc_connection(
    spec: OrganizationSpec, idp: OidcIdp, client_secret: pulumi.Output[str] | None, stack_file: str
) -> IdpConnectionInfo:
    """Check the discovery endpoint now (this runs at preview too) and pass the credentials on.

    An adopted connection may run without `ssoprov:oidcClientSecret`: the broker keeps the secret
    it holds until the customer hands over a new one and it is set."""
    if client_secret is None and spec.adoption is None:
        raise pulumi.RunError(
            f"{stack_file}: ssoprov:oidcClientSecret: is required for a generic OIDC connection. "
            "Fix: run `pulumi config set --secret ssoprov:oidcClientSecret <secret>`"
        )
    try:
        document = fetch_discovery_document(idp.discovery_url)
    except DiscoveryError as exc:
        raise pulumi.RunError(
            f"{stack_file}: {IDP_KEY}.discoveryUrl: {exc}. "
            "Fix: ask the customer's IT team for their provider's discovery endpoint"
        ) from None
    groups = {mapping.group: pulumi.Output.from_input(mapping.group) for mapping in spec.role_mappings}
    return IdpConnectionInfo(
        kind="oidc",
        client_id=pulumi.Output.from_input(idp.client_id),
        client_secret=None if client_secret is None else pulumi.Output.secret(client_secret),
        discovery_url=pulumi.Output.from_input(idp.discovery_url),
        group_claim_values=groups,
        groups_claim=idp.groups_claim,
        token_endpoint_auth_method=token_endpoint_auth_method(idp, document, stack_file),
    )


def token_endpoint_auth_method(
    idp: OidcIdp, document: dict[str, Any], stack_file: str
) -> TokenEndpointAuthMethod:
    """The spec's method if the provider takes it; else the provider's first client-secret method
    (client_secret_basic, OpenID Connect's default, when it is listed or no method is listed)."""
    supported = supported_secret_methods(document)
    wanted = idp.token_endpoint_auth_method
    if wanted is None and supported:
        return supported[0]
    if wanted is None:
        raise pulumi.RunError(
            f"{stack_file}: {IDP_KEY}.discoveryUrl: {idp.discovery_url} lists neither client_secret_basic "
            "nor client_secret_post in token_endpoint_auth_methods_supported, and the broker signs in "
            "with a client secret. Fix: ask the customer's IT team for a client that authenticates with "
            "a client secret"
        )
    if wanted not in supported:
        listed = ", ".join(supported) or "no client-secret method"
        raise pulumi.RunError(
            f"{stack_file}: {IDP_KEY}.tokenEndpointAuthMethod: {idp.discovery_url} does not take "
            f"{wanted} at its token endpoint (token_endpoint_auth_methods_supported lists {listed}). "
            "Fix: set it to the method the customer's client is registered with, one of those listed"
        )
    return wanted
