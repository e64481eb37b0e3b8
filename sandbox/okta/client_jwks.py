"""The public keys an OIDC app authenticates with (`private_key_jwt`): Okta's client JWKS.

`/api/v1/apps/{appId}/credentials/jwks` (Okta's OpenAPI, tag ApplicationSSOPublicKeys): add a
key (201), list (an array), read, activate / deactivate, delete (only an INACTIVE key). Okta's
rules, enforced here with its words: every `kid` unique in the app, an RSA key of 2048 bits at
least, at most 50 keys, and the only ACTIVE key of a `private_key_jwt` app cannot be deactivated.
The stand-in models signing keys (`use: sig`, RSA); encryption keys are refused.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.okta import errors
from sandbox.okta.errors import OktaError

MAX_KEYS = 50
MIN_RSA_BITS = 2048
SUBJECT = "JsonWebKey"


@dataclass
class ClientJwk:
    id: str
    app_id: str
    kid: str | None
    alg: str
    n: str
    e: str
    status: str
    created: str
    last_updated: str

    def public_key(self) -> rsa.RSAPublicKey:
        return rsa.RSAPublicNumbers(_int(self.e), _int(self.n)).public_key()


def parsed_jwk(body: Any) -> dict[str, Any]:
    """The fields of an add-key request body, or Okta's 400."""
    if not isinstance(body, dict):
        raise errors.malformed_body()
    if body.get("use") != "sig" or body.get("kty") != "RSA":
        raise errors.validation_failed(
            SUBJECT, "The stand-in models RSA signing keys only ('kty': 'RSA', 'use': 'sig')."
        )
    if not isinstance(body.get("alg"), str) or not body["alg"]:
        raise errors.validation_failed(SUBJECT, "alg: The field cannot be left blank.")
    status = body.get("status", "ACTIVE")
    if status not in ("ACTIVE", "INACTIVE"):
        raise errors.validation_failed(SUBJECT, "status: must be one of ACTIVE or INACTIVE.")
    try:
        modulus = _int(body["n"])
        _int(body["e"])
    except (KeyError, TypeError, ValueError):
        raise errors.validation_failed(SUBJECT, "The 'jwks' key is not a valid RSA public key.") from None
    if modulus.bit_length() < MIN_RSA_BITS:
        raise errors.validation_failed(
            SUBJECT, "RSA key length in the 'jwks' is less than '2,048' bits for the given key."
        )
    kid = body.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise errors.validation_failed(SUBJECT, "kid: must be a string.")
    return {"kid": kid, "alg": body["alg"], "n": body["n"], "e": body["e"], "status": status}


def check_addable(existing: list[ClientJwk], kid: str | None) -> None:
    if len(existing) >= MAX_KEYS:
        raise errors.validation_failed(
            SUBJECT,
            "You can't create a new key. You have reached the maximum number of keys allowed (50). "
            "To add another key, you must first delete an existing one.",
        )
    if existing and (kid is None or any(key.kid is None or key.kid == kid for key in existing)):
        raise errors.validation_failed(SUBJECT, "All keys in the 'jwks' must have a unique `kid`.")


def check_deactivatable(existing: list[ClientJwk], key: ClientJwk, auth_method: str) -> None:
    active = [k for k in existing if k.status == "ACTIVE"]
    if auth_method == "private_key_jwt" and active == [key]:
        raise errors.validation_failed(
            SUBJECT,
            "Can't deactivate the only active JSON Web Key when the value for "
            "`token_endpoint_auth_method` is `private_key_jwt`.",
        )


def check_deletable(key: ClientJwk) -> None:
    if key.status == "ACTIVE":
        raise errors.validation_failed(
            SUBJECT, "You can't delete an active JSON Web key. Deactivate the key before deleting it."
        )


def _int(value: Any) -> int:
    if not isinstance(value, str) or not value:
        raise ValueError("not base64url")
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


__all__ = ["ClientJwk", "OktaError", "check_addable", "check_deactivatable", "check_deletable", "parsed_jwk"]
