"""Client-secret expiry across the fleet, and which secrets a rotation run must replace.

The facts come from each stack's state (`pulumi stack export`, secrets left encrypted): the
client-secret resource's `created_at` and, for Entra, `expires_at`. The policy comes from the
stack's spec (`clientSecret`), because that is what the next `pulumi up` hands the provider. The
decision is the provider's own (`rotation_reason` of components/entra|okta/client_secret.py,
as of `--as-of`), so `ssoprov rotate` picks exactly the stacks whose `up` replaces a secret.

Okta secrets never expire: their expiry here is the notional one the policy works with
(`created_at + lifetimeDays`). Generic OIDC secrets belong to the customer: they are listed as
not managed, with no dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from components.clock import parse_timestamp
from components.rotation import policy_from, recorded_reason_due
from components.spec.models import OrganizationSpec

MANAGED_KINDS = ("entra", "microsoft", "okta")
SECRET_TYPE_SUFFIX = ":ClientSecret"


@dataclass(frozen=True)
class SecretStatus:
    stack: str
    organization: str | None
    idp: str | None
    managed: bool
    resource: str | None = None
    secret_id: str | None = None
    """The key id (Entra) or secret id (Okta); an identifier, never the value."""
    created_at: datetime | None = None
    expires_at: datetime | None = None
    notional_expiry: bool = False
    """True for Okta, whose secrets do not expire: the policy's created_at + lifetimeDays."""
    due_at: datetime | None = None
    due_reason: str | None = None
    """Why a `pulumi up` now (as of the planning date) replaces the secret; None if it does not."""
    note: str = ""

    @property
    def due(self) -> bool:
        return self.due_reason is not None

    def days_left(self, now: datetime) -> int | None:
        return None if self.expires_at is None else (self.expires_at - now).days

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "organization": self.organization,
            "identityProvider": self.idp,
            "managed": self.managed,
            "resource": self.resource,
            "secretId": self.secret_id,
            "createdAt": _iso(self.created_at),
            "secretExpiresAt": _iso(self.expires_at),
            "expiryIsNotional": self.notional_expiry,
            "daysLeft": self.days_left(now),
            "rotationDueAt": _iso(self.due_at),
            "dueNow": self.due,
            "reason": self.due_reason,
            "note": self.note,
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def planning_now(as_of: date | datetime | None) -> datetime:
    """'Now' for the plan: the later of the real time and --as-of, as components.clock decides."""
    real = datetime.now(UTC)
    if as_of is None:
        return real
    moment = as_of if isinstance(as_of, datetime) else datetime(as_of.year, as_of.month, as_of.day)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(moment, real)


def secret_resources(deployment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The live client-secret resources in a deployment (not ones pending deletion)."""
    return [
        resource
        for resource in deployment.get("resources") or []
        if str(resource.get("type", "")).endswith(SECRET_TYPE_SUFFIX) and not resource.get("delete")
    ]


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
    if kind not in MANAGED_KINDS:
        return SecretStatus(**base, managed=False, note="the customer's IT team owns this secret")
    found = secret_resources(deployment)
    if not found:
        return SecretStatus(
            **base,
            managed=True,
            due_reason="no client secret in the state",
            note="the next `up` creates one",
        )
    if len(found) > 1:
        names = ", ".join(str(r.get("urn", "")).rsplit("::", 1)[-1] for r in found)
        note = f"{len(found)} client-secret resources ({names}); the first is shown"
    else:
        note = ""
    resource = found[0]
    olds = resource.get("outputs") or {}
    news = _policy_inputs(spec)
    name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
    created = _timestamp(olds.get("created_at"))
    if created is None:
        return SecretStatus(**base, managed=True, resource=name, note="no creation date in the state")
    policy = policy_from(news)
    recorded_expiry = _timestamp(olds.get("expires_at"))
    # As components/rotation.py decides: a secret without a real expiry (Okta) expires notionally
    # lifetimeDays after its creation.
    expires = recorded_expiry or created + timedelta(days=policy.lifetime_days)
    reason = recorded_reason_due(olds, news, now)
    if olds.get("status") == "INACTIVE":  # the Okta provider replaces a deactivated secret too
        reason = "deactivated out of band"
    secret_id = olds.get("key_id") or olds.get("secret_id")
    return SecretStatus(
        **base,
        managed=True,
        resource=name,
        secret_id=secret_id if isinstance(secret_id, str) else None,
        created_at=created,
        expires_at=expires,
        notional_expiry=recorded_expiry is None,
        due_at=policy.due_at(created, expires),
        due_reason=reason,
        note=note,
    )


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
