"""A SAML IdP app's signing certificates and the plan of a rollover, whatever the IdP.

A rollover with no failed sign-in goes (a) the IdP gets a new certificate that does not sign yet,
(b) the broker trusts the old and the new one, (c) the app signs with the new one, only once the
broker trusts it, (d) the broker stops trusting the old one. Each IdP's signing-keys resource does
(a) and says what the broker must trust; its signing switch does (c) (ssoprov.saml_signing_switch).
Why (d) takes a second `pulumi up` is in okta/saml_signing_keys.py. The IdP's own state decides
where a rollover is: a certificate newer than the signing one is one in progress, finished by the
next run, never doubled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssoprov.clock import parse_timestamp
from ssoprov.errors import ProvisionerError
from ssoprov.rotation import CertificatePolicy

PLAN_OUTPUT_KEYS = (
    "signing_kid",
    "signing_expires_at",
    "staged_kid",
    "next_kid",
    "next_certificate",
    "next_expires_at",
    "trusted_certificates",
)
"""What a signing-keys resource outputs (`KeyPlan.outputs`); `ssoprov secrets` reads them."""


@dataclass(frozen=True)
class SamlSigningKey:
    """One signing certificate of a SAML app (Okta: a key credential; Entra: a token-signing
    certificate, `kid` its thumbprint)."""

    kid: str
    certificate: str
    """The X.509 certificate, base64 DER."""
    expires_at: str
    """ISO 8601, UTC."""
    created: str = ""
    """ISO 8601, UTC: when the IdP made it (a rollover's staged certificate is newer than the signing one)."""


@dataclass(frozen=True)
class KeyPlan:
    """The app's signing key and the key a rollover in progress will switch it to."""

    signing: SamlSigningKey
    staged: SamlSigningKey | None

    @property
    def next(self) -> SamlSigningKey:
        """The key that signs once this run is done."""
        return self.staged or self.signing

    @property
    def trusted_certificates(self) -> list[str]:
        return [self.signing.certificate] + ([self.staged.certificate] if self.staged else [])

    def outputs(self) -> dict[str, Any]:
        return {
            "signing_kid": self.signing.kid,
            "signing_expires_at": self.signing.expires_at,
            "staged_kid": self.staged.kid if self.staged else None,
            "next_kid": self.next.kid,
            "next_certificate": self.next.certificate,
            "next_expires_at": self.next.expires_at,
            "trusted_certificates": self.trusted_certificates,
        }


def plan_keys(keys: Iterable[SamlSigningKey], signing_kid: str, now: datetime, *, missing: str) -> KeyPlan:
    """The signing key among `keys`, and the staged one: the newest key made after it that has not
    expired (None when there is no such key). `missing` is the error when `signing_kid` is not among
    them (what the IdP's admin should do)."""
    by_kid = {key.kid: key for key in keys}
    signing = by_kid.get(signing_kid)
    if signing is None:
        raise ProvisionerError(missing)
    made = parse_timestamp(signing.created) if signing.created else None
    newer = [
        key
        for key in by_kid.values()
        if key.kid != signing_kid
        and key.created
        and made is not None
        and parse_timestamp(key.created) > made
        and parse_timestamp(key.expires_at) > now
    ]
    staged = max(newer, key=lambda key: parse_timestamp(key.created), default=None)
    return KeyPlan(signing, staged)


def due_reason(props: Mapping[str, Any], now: datetime) -> str | None:
    """Why the recorded next key (`props`: a signing-keys resource's outputs and inputs) must be
    rolled over."""
    expires = props.get("next_expires_at")
    if not isinstance(expires, str) or not expires:
        return None
    policy = CertificatePolicy(int(props["rotate_before_expiry_days"]))
    return policy.reason_due(parse_timestamp(expires), now)
