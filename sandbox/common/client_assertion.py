"""Client authentication with a signed JWT (RFC 7523 §2.2 and §3; OpenID Connect Core §9).

A token request carries `client_assertion_type` = `ASSERTION_TYPE` and one `client_assertion`, a
JWT the client signed with its private key. The server accepts it when:
- the header names a key the client registered (each stand-in looks keys up its own way: Entra by
  the certificate thumbprint `x5t` / `x5t#S256`, Okta by `kid`) and the signature verifies with it;
- `iss` = `sub` = the client id;
- `aud` is this token endpoint's URL (one string, compared exactly);
- `exp` has not passed (`nbf`, when present, has come), with a little clock skew;
- `jti` is present and was never presented before (OpenID Connect requires it for private_key_jwt).

Any failure raises `AssertionRefused` with a `reason` from `Refusal`; each stand-in turns the reason
into its own vendor's answer. Both stand-ins share this check so they cannot drift apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW_SECONDS = 300
"""How far a client's clock may be off (Entra and Okta both allow a few minutes)."""
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
"""Asymmetric algorithms only: an `HS256` or `none` assertion is never private_key_jwt."""


class Refusal(Enum):
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_CLIENT = "wrong_client"
    WRONG_AUDIENCE = "wrong_audience"
    OUT_OF_TIME = "out_of_time"
    REPLAYED = "replayed"


class AssertionRefused(Exception):
    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


KeyLookup = Callable[[dict[str, Any]], Sequence[PublicKeyTypes]]
"""The assertion's JOSE header -> the client's registered public keys it may be signed with."""


class ReplayGuard:
    """The `jti`s already presented, remembered until their assertion expires (plus the skew)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, jti: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            self._seen = {seen: until for seen, until in self._seen.items() if until > now}
            if jti in self._seen:
                return False
            self._seen[jti] = max(expires_at, now) + CLOCK_SKEW_SECONDS
            return True


def assertion_issuer(assertion: str) -> str | None:
    """The `iss` of an assertion before any check: which client it claims to come from."""
    try:
        issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer if isinstance(issuer, str) else None


def verify_client_assertion(
    assertion: str,
    *,
    client_id: str,
    token_url: str,
    keys: KeyLookup,
    replays: ReplayGuard,
    required: Sequence[str] = ("iss", "sub", "aud", "exp", "jti"),
) -> dict[str, Any]:
    """The assertion's claims once every check above passed, else AssertionRefused."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as bad:
        raise AssertionRefused(Refusal.MALFORMED, f"The client assertion is not a JWT: {bad}") from bad
    if header.get("alg") not in SIGNING_ALGORITHMS:
        raise AssertionRefused(
            Refusal.MALFORMED, f"The signing algorithm {header.get('alg')!r} is not allowed."
        )
    candidates = keys(header)
    if not candidates:
        raise AssertionRefused(Refusal.UNKNOWN_KEY, "No key registered for the client matches the assertion.")
    claims = _signed_claims(assertion, header["alg"], candidates)
    missing = [name for name in required if name not in claims]
    if missing:
        raise AssertionRefused(Refusal.MALFORMED, f"The client assertion lacks the claims {missing}.")
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AssertionRefused(
            Refusal.WRONG_CLIENT, "The client assertion's iss and sub must both be the client id."
        )
    if claims.get("aud") != token_url:
        raise AssertionRefused(
            Refusal.WRONG_AUDIENCE, f"The client assertion's audience must be the token endpoint {token_url}."
        )
    now = time.time()
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] + CLOCK_SKEW_SECONDS < now:
        raise AssertionRefused(Refusal.OUT_OF_TIME, "The client assertion has expired.")
    if isinstance(claims.get("nbf"), int | float) and claims["nbf"] - CLOCK_SKEW_SECONDS > now:
        raise AssertionRefused(Refusal.OUT_OF_TIME, "The client assertion is not valid yet.")
    jti = claims.get("jti")
    if jti is not None and not replays.first_use(str(jti), float(claims["exp"])):
        raise AssertionRefused(Refusal.REPLAYED, "The client assertion has already been used.")
    return claims


def _signed_claims(assertion: str, algorithm: str, candidates: Sequence[PublicKeyTypes]) -> dict[str, Any]:
    """The claims of the assertion if one of the keys verifies its signature; time and audience
    are checked by the caller, so each failure gets its own reason."""
    for key in candidates:
        try:
            return jwt.decode(
                assertion,
                key,  # type: ignore[arg-type]  # PyJWT takes any cryptography public key
                algorithms=[algorithm],
                options={"verify_exp": False, "verify_nbf": False, "verify_aud": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as bad:
            raise AssertionRefused(Refusal.MALFORMED, f"The client assertion cannot be read: {bad}") from bad
    raise AssertionRefused(Refusal.BAD_SIGNATURE, "The client assertion's signature does not verify.")
