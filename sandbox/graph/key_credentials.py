"""An application's certificate credentials (`keyCredentials`), as Graph keeps them.

A PATCH of `keyCredentials` replaces the whole collection; each entry carries the certificate
(`key`, base64 DER) and Graph fills in what the sender left out from the certificate itself:
`customKeyIdentifier` (its SHA-1 thumbprint), `displayName` (its subject), `startDateTime` and
`endDateTime` (its validity; an end beyond the certificate's is refused), `keyId` (a new GUID).
Reads return `key: null` unless the request `$select`s keyCredentials on one application
(https://learn.microsoft.com/en-us/graph/api/resources/keycredential), which is how a client
sends the certificates it keeps back with the one it adds.

The stand-in models what a confidential client authenticates with: `AsymmetricX509Cert` for
`Verify`. Signing and encryption certificates (SAML, `X509CertAndPassword`) are refused.

A service principal's collection is PATCHed the same way (Graph's "Update servicePrincipal" lists
`keyCredentials` as updatable) with one difference, `service_principal_key_credentials`: it may
also hold the `Sign` keys addTokenSigningCertificate made, whose private key no read returns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from sandbox.graph.odata import GraphError, graph_datetime, invalid_value, parse_datetime, utcnow

CREDENTIAL_TYPE = "AsymmetricX509Cert"
CREDENTIAL_USAGE = "Verify"
_FIELDS = (
    "customKeyIdentifier",
    "displayName",
    "endDateTime",
    "key",
    "keyId",
    "startDateTime",
    "type",
    "usage",
)


def key_credentials(value: Any) -> list[dict[str, Any]]:
    """The stored collection for an application's `keyCredentials` PATCH body, or Graph's 400."""
    if not isinstance(value, list):
        raise invalid_value("keyCredentials", "Application")
    return _unique([_key_credential(entry, "Application") for entry in value])


def service_principal_key_credentials(value: Any, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored collection for a service principal's `keyCredentials` PATCH (or POST) body.

    An entry whose keyId names one the service principal has is kept, and must repeat it as a
    `$select` read shows it: a field sent with another value is Graph's "Update to existing
    credential with KeyId '...' is not allowed." (KeyNotUpdatable), and a `Verify` entry must carry
    its certificate in `key`. A kept `Sign` entry carries no `key` (null or left out): reads never
    return its private key. Graph's docs are silent on what a kept `Sign` entry must carry; this is
    the strictest reading they allow. Any other entry is a new certificate, checked as for an
    application: a new `Sign` key would need its private key and the PFX password in
    passwordCredentials, which PATCH cannot set, so it is refused (use addTokenSigningCertificate).
    """
    if not isinstance(value, list):
        raise invalid_value("keyCredentials", "ServicePrincipal")
    by_id = {credential["keyId"]: credential for credential in current}
    stored = []
    for entry in value:
        kept = by_id.get(str(entry.get("keyId")).lower()) if isinstance(entry, dict) else None
        stored.append(_key_credential(entry, "ServicePrincipal") if kept is None else _kept(entry, kept))
    return _unique(stored)


def _kept(entry: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    if set(entry) - set(_FIELDS) - {"@odata.type"} or (stored["key"] and not entry.get("key")):
        raise invalid_value("keyCredentials", "ServicePrincipal")  # as for a new one without its key
    sent = {name: value for name, value in entry.items() if name not in ("@odata.type", "keyId", "key")}
    changed = any(_differs(name, value, stored[name]) for name, value in sent.items())
    if changed or entry.get("key") != stored["key"]:
        raise GraphError(
            400,
            "Request_BadRequest",
            f"Update to existing credential with KeyId '{stored['keyId']}' is not allowed.",
        )
    return dict(stored)


def _differs(name: str, sent: Any, stored: Any) -> bool:
    if name in ("startDateTime", "endDateTime") and isinstance(sent, str):
        return _moment(sent, name) != _moment(stored, name)
    return sent != stored


def _unique(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    key_ids = [entry["keyId"] for entry in stored]
    if len(set(key_ids)) != len(key_ids):
        raise GraphError(400, "Request_BadRequest", "Key credentials must have unique keyId values.")
    return stored


def _key_credential(entry: Any, resource: str) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) - set(_FIELDS) - {"@odata.type"}:
        raise invalid_value("keyCredentials", resource)
    if entry.get("type") != CREDENTIAL_TYPE or entry.get("usage") != CREDENTIAL_USAGE:
        raise invalid_value("keyCredentials", resource)
    der = _decoded(entry.get("key"), resource)
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        raise GraphError(400, "Request_BadRequest", "Key credential key is invalid.") from None
    valid_from = certificate.not_valid_before_utc
    valid_to = certificate.not_valid_after_utc
    start = _moment(entry.get("startDateTime"), "startDateTime") or valid_from
    end = _moment(entry.get("endDateTime"), "endDateTime") or valid_to
    if end > valid_to or start < valid_from or start >= end:
        raise GraphError(400, "KeyCredentialsInvalidEndDate", "Key credential end date is invalid.")
    key_id = entry.get("keyId") or str(uuid.uuid4())
    try:
        key_id = str(uuid.UUID(str(key_id)))
    except ValueError:
        raise invalid_value("keyCredentials", resource) from None
    identifier = entry.get("customKeyIdentifier")
    return {
        "customKeyIdentifier": identifier
        if identifier is not None
        else base64.b64encode(hashlib.sha1(der).digest()).decode(),
        "displayName": entry.get("displayName") or certificate.subject.rfc4514_string(),
        "endDateTime": graph_datetime(end),
        "key": base64.b64encode(der).decode(),
        "keyId": key_id,
        "startDateTime": graph_datetime(start),
        "type": CREDENTIAL_TYPE,
        "usage": CREDENTIAL_USAGE,
    }


def _decoded(value: Any, resource: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise invalid_value("keyCredentials", resource)
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise invalid_value("keyCredentials", resource) from None


def _moment(value: Any, prop: str) -> datetime | None:
    return None if value is None else parse_datetime(value, prop, "keyCredential").astimezone(UTC)


def without_keys(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The collection as a read without `$select=keyCredentials` shows it."""
    return [{**credential, "key": None} for credential in credentials]


def verifying_certificates(credentials: list[dict[str, Any]]) -> list[bytes]:
    """The DER of every certificate the app accepts client assertions from now."""
    now = utcnow()
    return [
        base64.b64decode(credential["key"])
        for credential in credentials
        if credential["usage"] == CREDENTIAL_USAGE
        and parse_datetime(credential["startDateTime"], "startDateTime", "keyCredential") <= now
        and parse_datetime(credential["endDateTime"], "endDateTime", "keyCredential") > now
    ]
