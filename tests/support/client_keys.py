"""A client's key pair and self-signed certificate, and client assertions signed with them, for
tests of private_key_jwt against the stand-ins (RFC 7523)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class ClientKey:
    """An RSA key with a self-signed certificate valid from an hour ago for `days`."""

    days: int = 365
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ssoprov-test-broker")])
        now = datetime.now(UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=self.days))
            .sign(self.private_key, hashes.SHA256())
        )

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def x5t(self) -> str:
        return _b64url(hashlib.sha1(self.der).digest())

    @property
    def x5t_s256(self) -> str:
        return _b64url(hashlib.sha256(self.der).digest())

    def jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()

        def b64(value: int) -> str:
            return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64(numbers.n),
            "e": b64(numbers.e),
        }

    def assertion(
        self,
        client_id: str,
        audience: object,
        *,
        headers: dict[str, Any] | None = None,
        lifetime: int = 60,
        issued_ago: int = 0,
        jti: str | None = None,
        issuer: str | None = None,
    ) -> str:
        """A client assertion as Keycloak sends one: iss = sub = client id, aud, exp, jti."""
        now = int(time.time()) - issued_ago
        claims = {
            "iss": issuer or client_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": jti or secrets.token_urlsafe(16),
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers or {"kid": self.kid})
