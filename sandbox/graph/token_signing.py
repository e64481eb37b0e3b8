"""SAML token-signing certificates of a service principal, as `addTokenSigningCertificate` makes them.

https://learn.microsoft.com/en-us/graph/api/serviceprincipal-addtokensigningcertificate: Entra
generates a self-signed certificate and adds to the service principal two `keyCredentials` (the
private key, usage `Sign`, and the public key, usage `Verify`) and one `passwordCredentials` entry
(the PFX's password, with the `Sign` key's keyId), all with the same `customKeyIdentifier`. The
request's `displayName` is the certificate's subject and must start with `CN=`; `endDateTime` is
at most three years away, three years when left out. The public key's entry keeps the certificate
(`key`), which reads return only when they `$select` keyCredentials on the one service principal
(as for applications). The answer (200) is a `selfSignedCertificate`:
the public part, with `key` (base64 DER) and `thumbprint` (SHA-1, upper-case hex), which is what
`preferredTokenSigningKeyThumbprint` names to make Entra sign with it.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from sandbox.common.saml_idp import SigningCredential
from sandbox.graph.odata import GraphError, graph_datetime, parse_datetime, utcnow

MAX_LIFETIME = timedelta(days=3 * 365)
"""Three years: the longest, and the default, lifetime of a token-signing certificate."""
CREDENTIAL_TYPE = "AsymmetricX509Cert"
RESOURCE = "selfSignedCertificate"


@dataclass(frozen=True)
class TokenSigningCertificate:
    """One certificate made by addTokenSigningCertificate: what the service principal lists, what
    the call answers, and the key the SAML sign-in signs with while the certificate is preferred."""

    thumbprint: str
    credential: SigningCredential
    key_credentials: list[dict[str, Any]]
    password_credential: dict[str, Any]
    answer: dict[str, Any]


def new_token_signing_certificate(
    body: dict[str, Any], now: datetime | None = None
) -> TokenSigningCertificate:
    now = now or utcnow()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.startswith("CN=") or len(name) <= 3:
        raise GraphError(
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'displayName' of resource 'SelfSignedCertificate'. "
            "It must start with 'CN='.",
        )
    end = now + MAX_LIFETIME
    if body.get("endDateTime") is not None:
        end = parse_datetime(body["endDateTime"], "endDateTime", RESOURCE)
        if end <= now or end - now > MAX_LIFETIME + timedelta(days=1):
            raise GraphError(
                400,
                "Request_BadRequest",
                "Invalid value specified for property 'endDateTime' of resource 'SelfSignedCertificate'. "
                "It must be in the future and at most three years from now.",
            )
    days = max(1, (end - now).days)
    credential = SigningCredential.generate(name.removeprefix("CN="), valid_days=days)
    der = credential.certificate.public_bytes(serialization.Encoding.DER)
    thumbprint = hashlib.sha1(der).hexdigest().upper()  # the thumbprint Entra names certificates by
    custom_key_identifier = base64.b64encode(bytes.fromhex(thumbprint)).decode()
    sign_key_id, verify_key_id = str(uuid.uuid4()), str(uuid.uuid4())
    answer_key = base64.b64encode(der).decode()
    common = {
        "customKeyIdentifier": custom_key_identifier,
        "displayName": name,
        "endDateTime": graph_datetime(end),
        "startDateTime": graph_datetime(now),
    }
    key_credentials = [
        {**common, "key": None, "keyId": sign_key_id, "type": CREDENTIAL_TYPE, "usage": "Sign"},
        {**common, "key": answer_key, "keyId": verify_key_id, "type": CREDENTIAL_TYPE, "usage": "Verify"},
    ]
    password = {**common, "hint": None, "keyId": sign_key_id, "secretText": None}
    answer = {
        **common,
        "key": answer_key,
        "keyId": verify_key_id,
        "thumbprint": thumbprint,
        "type": CREDENTIAL_TYPE,
        "usage": "Verify",
    }
    return TokenSigningCertificate(thumbprint, credential, key_credentials, password, answer)
