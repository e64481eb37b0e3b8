"""Fetch and check an OpenID Connect discovery document before a broker is pointed at it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from ssoprov.errors import ProvisionerError
from ssoprov.token_endpoint_auth import (
    CLIENT_SECRET_BASIC,
    PRIVATE_KEY_JWT,
    SECRET_METHODS,
    TokenEndpointAuthMethod,
)

WELL_KNOWN_SUFFIX = "/.well-known/openid-configuration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class DiscoveryError(ProvisionerError):
    """The discovery endpoint is unreachable or does not describe a usable OIDC provider."""


def expected_issuer(discovery_url: str) -> str:
    return discovery_url.removesuffix(WELL_KNOWN_SUFFIX)


def check_discovery_document(discovery_url: str, document: Any) -> dict[str, Any]:
    """Return the document if a broker can use it, else raise DiscoveryError saying what is missing."""
    if not isinstance(document, dict):
        raise DiscoveryError(f"{discovery_url} did not return a JSON object")
    issuer = document.get("issuer")
    if issuer is None or issuer.rstrip("/") != expected_issuer(discovery_url).rstrip("/"):
        raise DiscoveryError(
            f"{discovery_url} names issuer {issuer!r}, but a discovery URL must be the issuer followed by "
            f"{WELL_KNOWN_SUFFIX} (expected {expected_issuer(discovery_url)!r})"
        )
    missing = [key for key in REQUIRED_ENDPOINTS if not document.get(key)]
    if missing:
        raise DiscoveryError(f"{discovery_url} lacks {', '.join(missing)}, which the broker needs")
    for key in REQUIRED_ENDPOINTS:
        if urlsplit(document[key]).scheme not in ("https", "http"):
            raise DiscoveryError(f"{discovery_url}: {key} is not an absolute URL")
    if "code" not in document.get("response_types_supported", ["code"]):
        raise DiscoveryError(f"{discovery_url} does not support the authorization-code flow")
    return document


def listed_auth_methods(document: dict[str, Any]) -> list[str]:
    """The token endpoint's authentication methods as the document lists them.

    OpenID Connect Discovery 1.0 §3: a document without `token_endpoint_auth_methods_supported`
    means client_secret_basic only.
    """
    listed = document.get("token_endpoint_auth_methods_supported", [CLIENT_SECRET_BASIC])
    return [method for method in listed if isinstance(method, str)] if isinstance(listed, list) else []


def supported_secret_methods(document: dict[str, Any]) -> list[TokenEndpointAuthMethod]:
    """The client-secret methods the provider's token endpoint takes, in order of preference."""
    listed = listed_auth_methods(document)
    return [method for method in SECRET_METHODS if method in listed]


def refuses_signed_assertions(document: dict[str, Any], algorithm: str) -> str | None:
    """Why the provider's token endpoint would refuse a client assertion signed with `algorithm`
    (private_key_jwt, RFC 7523), or None when its document says it takes one."""
    listed = listed_auth_methods(document)
    if PRIVATE_KEY_JWT not in listed:
        methods = ", ".join(listed) or "nothing"
        return f"token_endpoint_auth_methods_supported lists {methods}, not {PRIVATE_KEY_JWT}"
    algorithms = document.get("token_endpoint_auth_signing_alg_values_supported")
    if isinstance(algorithms, list) and algorithm not in algorithms:
        return (
            f"token_endpoint_auth_signing_alg_values_supported lists {', '.join(map(str, algorithms))}, "
            f"not {algorithm}, the algorithm the broker signs with"
        )
    return None


def fetch_discovery_document(discovery_url: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """GET and check the document (sync: it runs in the Pulumi program, at preview time too)."""
    transport = httpx.HTTPTransport(retries=2)
    try:
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False) as client:
            response = client.get(discovery_url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise DiscoveryError(f"cannot reach {discovery_url}: {exc}") from exc
    if response.status_code != 200:
        raise DiscoveryError(f"{discovery_url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise DiscoveryError(f"{discovery_url} did not return JSON") from exc
    return check_discovery_document(discovery_url, document)
