"""Client-secret dates across the fleet, and which secrets a rotation run must replace.

The facts come from each stack's state (`pulumi stack export`, secrets left encrypted): the
client-secret resource's `created_at` and, for Entra, `expires_at`. The policy comes from the
stack's spec (`clientSecret`), because that is what the next `pulumi up` hands the provider. The
decision is the provider's own (`ssoprov.rotation.recorded_reason_due`, as of `--as-of`), so
`ssoprov rotate` picks exactly the stacks whose `up` replaces a secret.

Two dates, never to be mistaken for each other: a secret's expiry (Entra's end date; Okta secrets
do not expire, so they have none) and its rotate-by date (from which an `up` replaces it; every
managed kind has one). Generic OIDC secrets belong to the customer: not managed, no dates. A
managed stack with no client secret in its state (its first `up` failed before making one) is
not due: `ssoprov up` finishes it.

A SAML organization has no client secret; its credential is the IdP's signing certificate, from
the state of its `SamlSigningKeys` resource: the key the app signs with (once the last `up` is
done), its real expiry (the key credential's `expiresAt`) and its rotate-by date
(`saml.rotateBeforeExpiryDays` before it). It is due from that date, and while a rollover is
unfinished (a staged key, or the broker still trusting the old certificate): the next `up` carries
it on (ssoprov.saml_signing; Okta's key credentials, Entra ID's token-signing certificates by
thumbprint). The broker's own record counts too: a Keycloak SAML identity provider or a WorkOS SAML
connection still trusting two certificates (an `up` stopped before step d) is unfinished. Unlike a
client secret's, the old certificate is not deleted at the IdP; the row's note says what stays on
the IdP's app.

A secretless organization (`clientAuthentication.method: privateKeyJwt`) has no client secret; its
credential is the realm's client-assertion key, from the state of its `RealmAssertionKey`
resource: the signer's kid and its certificate's notBefore and notAfter (Keycloak reports no other
dates). Its rotate-by date is the earlier of `clientAuthentication.keyRotateAfterDays` after
notBefore and `keyRotateBeforeExpiryDays` before notAfter; a stack whose state trusts more than one
key is in the middle of a rotation, due until `ssoprov rotate` finishes it
(components/fleet/realm_keys.py).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.rotation import CertificatePolicy, RotationPolicy, policy_from, recorded_reason_due
from ssoprov.spec.models import OrganizationSpec, SamlSettings
from ssoprov.untracked_secrets import ADOPTED_SECRET_KEY, untracked_in

MANAGED_KINDS = ("entra", "microsoft", "okta")
SECRET_TYPE_SUFFIX = ":ClientSecret"
SIGNING_KEYS_TYPE_SUFFIX = ":SamlSigningKeys"
ASSERTION_KEY_TYPE_SUFFIX = ":RealmAssertionKey"
BROKER_TRUST = {
    "keycloak:SamlIdentityProvider": "signing_certificates",
    "workos:SamlConnection": "trusted_certificates",
}
"""Each broker's SAML resource (type suffix) and its output listing the IdP certificates it trusts."""
CLIENT_SECRET = "clientSecret"
SIGNING_CERTIFICATE = "signingCertificate"
REALM_KEY = "realmKey"
UNFINISHED_KEY_ROTATION = (
    "realm-key rotation unfinished (the stack trusts more than one key): `ssoprov rotate` finishes it"
)
UNFINISHED_ROLLOVER = (
    "signing-certificate rollover unfinished (a new key staged, or the broker still trusting the old "
    "certificate): the next `up` carries it on"
)
RETIRED_SIGNING_CERTIFICATE = {
    "okta": "a rollover leaves the old key on the app, signing nothing (Okta's API deletes no app key)",
    "entra": "a rollover leaves the old certificate on the app, inactive (an admin may delete it)",
}
"""What a SAML rollover leaves on each IdP's app (README, "Secret rotation"): unlike a client
secret, the old signing certificate is not deleted."""


@dataclass(frozen=True)
class SecretStatus:
    stack: str
    organization: str | None
    idp: str | None
    managed: bool
    resource: str | None = None
    """The client-secret resource's name; None when the state holds none."""
    secret_id: str | None = None
    """The key id (Entra) or secret id (Okta); an identifier, never the value."""
    created_at: datetime | None = None
    expires_at: datetime | None = None
    """When the secret stops working (Entra's end date); None when it does not expire (Okta)."""
    rotate_by: datetime | None = None
    """From when a `pulumi up` replaces the secret, by the spec's policy."""
    due_reason: str | None = None
    """Why a `pulumi up` now (as of the planning date) replaces the secret; None if it does not."""
    note: str = ""
    credential: str = CLIENT_SECRET
    """CLIENT_SECRET, SIGNING_CERTIFICATE for a SAML organization, or REALM_KEY for a secretless one
    (`secret_id` is then the key's kid)."""
    unfinished: bool = False
    """A signing-certificate rollover or realm-key rotation the last `up` left half done."""

    @property
    def due(self) -> bool:
        return self.due_reason is not None

    @property
    def missing(self) -> bool:
        """Managed, yet no client secret in the state: not due, `ssoprov up` must make one."""
        return self.managed and self.resource is None

    def days_left(self, now: datetime) -> int | None:
        """Whole calendar days (UTC) from `now` to the expiry; None when the secret does not expire."""
        if self.expires_at is None:
            return None
        return (self.expires_at.date() - now.date()).days

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "organization": self.organization,
            "identityProvider": self.idp,
            "credential": self.credential,
            "managed": self.managed,
            "resource": self.resource,
            "secretId": self.secret_id,
            "createdAt": calendar_date(self.created_at),
            "secretExpiresAt": calendar_date(self.expires_at),
            "secretRotateBy": calendar_date(self.rotate_by),
            "daysLeft": self.days_left(now),
            "dueNow": self.due,
            "reason": self.due_reason,
            "note": self.note,
        }


def secret_resources(deployment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The live client-secret resources in a deployment (not ones pending deletion)."""
    return _live_resources(deployment, SECRET_TYPE_SUFFIX)


def _policy_inputs(spec: OrganizationSpec) -> dict[str, int]:
    policy = spec.client_secret
    return {
        "lifetime_days": policy.lifetime_days,
        "rotate_after_days": policy.rotate_after_days,
        "rotate_before_expiry_days": policy.rotate_before_expiry_days,
    }


def secret_status(
    stack: str, spec: OrganizationSpec, deployment: Mapping[str, Any], now: datetime
) -> SecretStatus:
    """The stack's secret as recorded in `deployment`, judged by the spec's policy as of `now`."""
    kind = spec.identity_provider.kind
    base = {"stack": stack, "organization": spec.name, "idp": kind}
    if spec.client_authentication.secretless:
        return realm_key_status(stack, spec, deployment, now)
    if kind not in MANAGED_KINDS:
        return SecretStatus(**base, managed=False, note="the customer's IT team owns this secret")
    if spec.identity_provider.uses_saml:
        return certificate_status(stack, spec, deployment, now)
    found = secret_resources(deployment)
    if not found:
        return SecretStatus(
            **base,
            managed=True,
            note=(
                "no client secret in the state: the stack's last `up` failed before creating one "
                f"(or it was deleted out of band). Fix: run `ssoprov up --stack {stack}`"
            ),
        )
    notes = []
    if len(found) > 1:
        names = ", ".join(str(r.get("urn", "")).rsplit("::", 1)[-1] for r in found)
        notes.append(f"{len(found)} client-secret resources ({names}); the first is shown")
    resource = found[0]
    olds = resource.get("outputs") or {}
    untracked = untracked_in(olds)
    if untracked:
        notes.append(
            f"{len(untracked)} more secret(s) on the app that no state tracks ({', '.join(untracked)}), "
            f"left by an interrupted run; the next `ssoprov up --stack {stack}` removes them"
        )
    note = "; ".join(notes)
    news = _policy_inputs(spec)
    name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
    created = _timestamp(olds.get("created_at"))
    if created is None:
        return SecretStatus(**base, managed=True, resource=name, note="no creation date in the state")
    expires = _timestamp(olds.get("expires_at"))
    reason = recorded_reason_due(olds, news, now)
    if olds.get("status") == "INACTIVE":  # the Okta provider replaces a deactivated secret too
        reason = "deactivated out of band"
    secret_id = olds.get("key_id") or olds.get("secret_id")
    adopted = (resource.get("inputs") or {}).get(ADOPTED_SECRET_KEY)
    if isinstance(adopted, str) and isinstance(secret_id, str) and adopted.lower() == secret_id.lower():
        notes.append("adopted: made by hand, value unknown to ssoprov; its rotation mints ours")
        note = "; ".join(notes)
    return SecretStatus(
        **base,
        managed=True,
        resource=name,
        secret_id=secret_id if isinstance(secret_id, str) else None,
        created_at=created,
        expires_at=expires,
        rotate_by=policy_from(news).due_at(created, expires),
        due_reason=reason,
        note=note,
    )


def _managed_row(stack: str, spec: OrganizationSpec, credential: str) -> dict[str, Any]:
    """What every row of a credential ssoprov manages starts with."""
    return {
        "stack": stack,
        "organization": spec.name,
        "idp": spec.identity_provider.kind,
        "managed": True,
        "credential": credential,
    }


def certificate_status(
    stack: str, spec: OrganizationSpec, deployment: Mapping[str, Any], now: datetime
) -> SecretStatus:
    """A SAML organization's signing certificate as recorded in `deployment`, as of `now`."""
    base = _managed_row(stack, spec, SIGNING_CERTIFICATE)
    found = _live_resources(deployment, SIGNING_KEYS_TYPE_SUFFIX)
    outs = (found[0].get("outputs") or {}) if found else {}
    expires = _timestamp(outs.get("next_expires_at"))
    if expires is None:
        return SecretStatus(
            **base,
            note=(
                "no signing certificate in the state: the stack's last `up` failed before reading one, "
                f"or ran an older ssoprov. Fix: run `ssoprov up --stack {stack}`"
            ),
        )
    policy = CertificatePolicy((spec.identity_provider.saml or SamlSettings()).rotate_before_expiry_days)
    trusted = [outs.get("trusted_certificates")] + [
        (resource.get("outputs") or {}).get(key)
        for suffix, key in BROKER_TRUST.items()
        for resource in _live_resources(deployment, suffix)
    ]
    unfinished = bool(outs.get("staged_kid")) or any(isinstance(t, list) and len(t) > 1 for t in trusted)
    kid = outs.get("next_kid") if isinstance(outs.get("next_kid"), str) else None
    retired = RETIRED_SIGNING_CERTIFICATE[spec.identity_provider.kind]
    return SecretStatus(
        **base,
        resource=str(found[0].get("urn", "")).rsplit("::", 1)[-1],
        secret_id=kid,
        expires_at=expires,
        rotate_by=policy.rotate_by(expires),
        due_reason=UNFINISHED_ROLLOVER if unfinished else policy.reason_due(expires, now),
        note=f"SAML signing certificate, kid {kid}; {retired}",
        unfinished=unfinished,
    )


def realm_key_status(
    stack: str, spec: OrganizationSpec, deployment: Mapping[str, Any], now: datetime
) -> SecretStatus:
    """A secretless organization's realm client-assertion key as recorded in `deployment`, as of `now`."""
    base = _managed_row(stack, spec, REALM_KEY)
    found = _live_resources(deployment, ASSERTION_KEY_TYPE_SUFFIX)
    outs = (found[0].get("outputs") or {}) if found else {}
    certificate = outs.get("certificate")
    if not isinstance(certificate, str) or not certificate:
        return SecretStatus(
            **base,
            note=(
                "no realm key in the state: the stack's last `up` failed before reading it. "
                f"Fix: run `ssoprov up --stack {stack}`"
            ),
        )
    validity = x509.load_der_x509_certificate(base64.b64decode(certificate))
    created, expires = validity.not_valid_before_utc, validity.not_valid_after_utc
    auth = spec.client_authentication
    policy = RotationPolicy(
        lifetime_days=(expires - created).days,
        rotate_after_days=auth.key_rotate_after_days,
        rotate_before_expiry_days=auth.key_rotate_before_expiry_days,
    )
    trusted = outs.get("trusted_kids")
    unfinished = isinstance(trusted, list) and len(trusted) > 1
    kid = outs.get("kid") if isinstance(outs.get("kid"), str) else None
    realm = outs.get("realm") or "?"
    return SecretStatus(
        **base,
        resource=str(found[0].get("urn", "")).rsplit("::", 1)[-1],
        secret_id=kid,
        created_at=created,
        expires_at=expires,
        rotate_by=policy.due_at(created, expires),
        due_reason=UNFINISHED_KEY_ROTATION if unfinished else policy.reason_due(created, expires, now),
        note=f"client-assertion key of realm {realm}, kid {kid}",
        unfinished=unfinished,
    )


def _live_resources(deployment: Mapping[str, Any], type_suffix: str) -> list[Mapping[str, Any]]:
    """The deployment's resources of a type (not ones pending deletion)."""
    return [
        resource
        for resource in deployment.get("resources") or []
        if str(resource.get("type", "")).endswith(type_suffix) and not resource.get("delete")
    ]


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
