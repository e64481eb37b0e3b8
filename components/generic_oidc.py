"""Generic OIDC: nothing to create at the IdP; check what the customer's IT team handed over.

With `clientAuthentication.method: privateKeyJwt` they hand over no secret: they register the
broker's public key with their client instead, and the stack output `brokerKey` is what they
need for it (the broker's JWKS URL, which follows its key changes, or the certificate or JWK to
upload where their provider takes only a copy).
"""

from __future__ import annotations

import textwrap
from typing import Any

import pulumi

from ssoprov.brokers.base import BrokerKey
from ssoprov.identity import IdpConnectionInfo
from ssoprov.oidc import (
    DiscoveryError,
    fetch_discovery_document,
    refuses_signed_assertions,
    supported_secret_methods,
)
from ssoprov.spec.models import OidcIdp, OrganizationSpec
from ssoprov.token_endpoint_auth import PRIVATE_KEY_JWT, BrokerAuthMethod, TokenEndpointAuthMethod

IDP_KEY = "ssoprov:organization.identityProvider"
PEM_LINE_LENGTH = 64


def generic_oidc_connection(
    spec: OrganizationSpec,
    idp: OidcIdp,
    client_secret: pulumi.Output[str] | None,
    stack_file: str,
    broker_key: BrokerKey | None = None,
) -> IdpConnectionInfo:
    """Check the discovery endpoint now (this runs at preview too) and pass the credentials on.

    An adopted connection may run without `ssoprov:oidcClientSecret`: the broker keeps the secret
    it holds until the customer hands over a new one and it is set. A secretless one (`broker_key`)
    must run without it."""
    _check_secret_config(spec, client_secret, broker_key, stack_file)
    try:
        document = fetch_discovery_document(idp.discovery_url)
    except DiscoveryError as exc:
        raise pulumi.RunError(
            f"{stack_file}: {IDP_KEY}.discoveryUrl: {exc}. "
            "Fix: ask the customer's IT team for their provider's discovery endpoint"
        ) from None
    groups = {mapping.group: pulumi.Output.from_input(mapping.group) for mapping in spec.role_mappings}
    method: BrokerAuthMethod = (
        token_endpoint_auth_method(idp, document, stack_file)
        if broker_key is None
        else assertion_auth_method(idp, document, broker_key.algorithm, stack_file)
    )
    return IdpConnectionInfo(
        kind="oidc",
        client_id=pulumi.Output.from_input(idp.client_id),
        client_secret=None if client_secret is None else pulumi.Output.secret(client_secret),
        discovery_url=pulumi.Output.from_input(idp.discovery_url),
        group_claim_values=groups,
        groups_claim=idp.groups_claim,
        token_endpoint_auth_method=method,
        trust=[] if broker_key is None else [broker_key.holder],
        key_to_register=None if broker_key is None else _key_to_register(broker_key),
    )


def _check_secret_config(
    spec: OrganizationSpec,
    client_secret: pulumi.Output[str] | None,
    broker_key: BrokerKey | None,
    stack_file: str,
) -> None:
    if broker_key is not None and client_secret is not None:
        raise pulumi.RunError(
            f"{stack_file}: ssoprov:oidcClientSecret: is set, but with clientAuthentication.method "
            "privateKeyJwt the broker authenticates with its key and no secret is used; a secret kept "
            "where nothing uses it is one more to leak. Fix: run `pulumi config rm ssoprov:oidcClientSecret`"
        )
    if broker_key is None and client_secret is None and spec.adoption is None:
        raise pulumi.RunError(
            f"{stack_file}: ssoprov:oidcClientSecret: is required for a generic OIDC connection. "
            "Fix: run `pulumi config set --secret ssoprov:oidcClientSecret <secret>`, or set "
            "clientAuthentication.method to privateKeyJwt if the provider takes the broker's key"
        )


def assertion_auth_method(
    idp: OidcIdp, document: dict[str, Any], algorithm: str, stack_file: str
) -> BrokerAuthMethod:
    """private_key_jwt, if the provider's document says its token endpoint takes client assertions
    signed with `algorithm` (the broker's)."""
    refusal = refuses_signed_assertions(document, algorithm)
    if refusal is not None:
        raise pulumi.RunError(
            f"{stack_file}: {IDP_KEY}.discoveryUrl: {idp.discovery_url}: {refusal}, so its token endpoint "
            "would refuse the broker's signed client assertion (clientAuthentication.method privateKeyJwt). "
            "Fix: set clientAuthentication.method to clientSecret and ask the customer's IT team for a "
            "client secret"
        )
    return PRIVATE_KEY_JWT


def _key_to_register(broker_key: BrokerKey) -> dict[str, object]:
    """The stack output `brokerKey`: the broker's public key in the forms providers register, and
    `keys`, every key the provider must trust (the signer, and a key a rotation staged)."""
    return {
        "jwksUrl": broker_key.jwks_url,
        "kid": broker_key.kid,
        "algorithm": broker_key.algorithm,
        "certificatePem": broker_key.certificate.apply(certificate_pem),
        "jwk": broker_key.jwk,
        "keys": pulumi.Output.all(broker_key.certificates, broker_key.jwks).apply(
            lambda both: [
                {"kid": jwk["kid"], "certificatePem": certificate_pem(certificate), "jwk": jwk}
                for certificate, jwk in zip(*both, strict=True)
            ]
        ),
    }


def certificate_pem(certificate: str) -> str:
    """A base64 DER certificate as PEM, the form certificate upload pages take."""
    lines = textwrap.wrap(certificate, PEM_LINE_LENGTH)
    return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----", ""])


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
            "a client secret, or set clientAuthentication.method to privateKeyJwt if it lists private_key_jwt"
        )
    if wanted not in supported:
        listed = ", ".join(supported) or "no client-secret method"
        raise pulumi.RunError(
            f"{stack_file}: {IDP_KEY}.tokenEndpointAuthMethod: {idp.discovery_url} does not take "
            f"{wanted} at its token endpoint (token_endpoint_auth_methods_supported lists {listed}). "
            "Fix: set it to the method the customer's client is registered with, one of those listed"
        )
    return wanted
