"""DPoP proofs (RFC 9449) as Okta checks them for a service app that requires them.

A proof is a JWT in the `DPoP` request header, signed with the key whose public half is in its own
`jwk` header. Checked here: `typ` dpop+jwt, an asymmetric `alg`, a public `jwk`, the signature with
that key, `htm` and `htu` equal to the request's method and URL (no query, no fragment), `iat`
recent, `jti` never seen before, a `nonce` this server issued (token endpoint), and on resource
calls `ath`, the hash of the access token, plus the token's binding to the key's thumbprint.

The descriptions are Okta's where recordings or public reports show them ("The DPoP proof JWT
header is missing.", "'htu' claim in the DPoP proof JWT is invalid.", "The DPoP proof JWT has
already been used.", "Authorization server requires nonce in DPoP proof."), ours otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
PROOF_MAX_AGE_SECONDS = 300
PROOF_CLOCK_LEEWAY_SECONDS = 60
NONCE_LIFETIME_SECONDS = 600
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


class InvalidProof(Exception):
    """`invalid_dpop_proof`, with Okta's description of what is wrong."""


class NonceRequired(Exception):
    """`use_dpop_nonce`: the proof must carry the nonce the server sends in `dpop-nonce`."""


def sha256_b64(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def thumbprint(jwk: dict[str, Any]) -> str:
    """The JWK SHA-256 thumbprint (RFC 7638) that a DPoP-bound token's `cnf.jkt` names."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty", ""))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise InvalidProof("The DPoP proof JWT 'jwk' header is invalid.")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return sha256_b64(canonical)


@dataclass
class DpopVerifier:
    """Nonces issued and proof ids seen, for one org; thread-safe."""

    _nonces: dict[str, float] = field(default_factory=dict)
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_nonce(self) -> str:
        nonce = secrets.token_urlsafe(24)
        with self._lock:
            self._nonces[nonce] = time.time() + NONCE_LIFETIME_SECONDS
        return nonce

    def check(
        self,
        proof: str | None,
        method: str,
        url: str,
        *,
        nonce_required: bool,
        access_token: str | None = None,
    ) -> str:
        """The thumbprint of the proof's key, or InvalidProof / NonceRequired."""
        if not proof:
            raise InvalidProof("The DPoP proof JWT header is missing.")
        claims, jwk = _verified(proof)
        if claims.get("htm") != method.upper():
            raise InvalidProof("'htm' claim in the DPoP proof JWT is invalid.")
        if not isinstance(claims.get("htu"), str) or _normalized(claims["htu"]) != _normalized(url):
            raise InvalidProof("'htu' claim in the DPoP proof JWT is invalid.")
        now = time.time()
        issued = claims.get("iat")
        if not isinstance(issued, int | float) or not (
            now - PROOF_MAX_AGE_SECONDS <= issued <= now + PROOF_CLOCK_LEEWAY_SECONDS
        ):
            raise InvalidProof("'iat' claim in the DPoP proof JWT is invalid.")
        if access_token is not None and claims.get("ath") != sha256_b64(access_token):
            raise InvalidProof("'ath' claim in the DPoP proof JWT is invalid.")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise InvalidProof("'jti' claim in the DPoP proof JWT is missing.")
        with self._lock:
            self._forget_expired(now)
            if nonce_required and self._nonces.get(str(claims.get("nonce")), 0) < now:
                raise NonceRequired("Authorization server requires nonce in DPoP proof.")
            if jti in self._seen:
                raise InvalidProof("The DPoP proof JWT has already been used.")
            self._seen[jti] = now + PROOF_MAX_AGE_SECONDS + PROOF_CLOCK_LEEWAY_SECONDS
        return thumbprint(jwk)

    def _forget_expired(self, now: float) -> None:
        self._nonces = {n: until for n, until in self._nonces.items() if until >= now}
        self._seen = {j: until for j, until in self._seen.items() if until >= now}


def _verified(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError:
        raise InvalidProof("DPoP proof JWT cannot be parsed.") from None
    if header.get("typ") != "dpop+jwt":
        raise InvalidProof("The DPoP proof JWT 'typ' header is invalid.")
    algorithm, jwk = header.get("alg"), header.get("jwk")
    if algorithm not in ALGORITHMS:
        raise InvalidProof("The DPoP proof JWT 'alg' header is invalid.")
    if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & set(jwk):
        raise InvalidProof("The DPoP proof JWT 'jwk' header is invalid.")
    try:
        key = jwt.PyJWK(jwk, algorithm).key
        claims = jwt.decode(proof, key, algorithms=[algorithm], options={"verify_aud": False})
    except jwt.PyJWTError:
        raise InvalidProof("The DPoP proof JWT signature is invalid.") from None
    return claims, jwk


def _normalized(url: str) -> str:
    """A URL without query and fragment, scheme and host in lower case (RFC 9449 section 4.3)."""
    base = url.split("#", 1)[0].split("?", 1)[0]
    scheme, _, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"
