"""Rotation planning from recorded state and the spec's policy: due, not due, as of a later date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from components.fleet.commands import check_as_of
from components.fleet.project import ProjectError
from components.fleet.secrets import planning_now, secret_status
from components.spec import parse_organization

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
PARENT = "ssoprov:index:Organization"
SECRET_VALUE = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "ciphertext": "v1:xyz",
}


def spec(kind: str, **policy: int) -> Any:
    idp = {
        "entra": {"kind": "entra", "tenantId": "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13"},
        "okta": {"kind": "okta", "orgUrl": "https://acme.okta.com"},
        "oidc": {
            "kind": "oidc",
            "clientId": "c",
            "discoveryUrl": "https://idp.example/.well-known/openid-configuration",
        },
    }[kind]
    data: dict[str, Any] = {
        "name": f"acme-{kind}",
        "displayName": "Acme",
        "identityProvider": idp,
        "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "customers"},
    }
    if policy:
        data["clientSecret"] = policy
    return parse_organization(data, "stacks/Pulumi.acme.yaml")


def deployment(kind: str, created: datetime, expires: datetime | None = None, **extra: Any) -> dict[str, Any]:
    outputs: dict[str, Any] = {"created_at": created.isoformat(), "client_secret": SECRET_VALUE}
    if kind == "entra":
        outputs.update(key_id="key-1", expires_at=(expires or created + timedelta(days=365)).isoformat())
    else:
        outputs.update(secret_id="ocs-1", status="ACTIVE")
    outputs.update(extra)
    resource = {
        "urn": f"urn:pulumi:acme::ssoprov::{PARENT}$pulumi-python:dynamic/{kind}:ClientSecret::acme-secret",
        "type": f"pulumi-python:dynamic/{kind}:ClientSecret",
        "outputs": outputs,
    }
    other = {
        "urn": "urn:pulumi:acme::ssoprov::pulumi:pulumi:Stack::ssoprov-acme",
        "type": "pulumi:pulumi:Stack",
    }
    return {"resources": [other, resource]}


def test_entra_secret_not_due_reports_its_real_expiry_and_due_date() -> None:
    created = NOW - timedelta(days=10)
    status = secret_status("acme", spec("entra"), deployment("entra", created), NOW)
    assert status.managed and not status.due and status.due_reason is None
    assert status.secret_id == "key-1" and status.resource == "acme-secret"
    assert status.expires_at == created + timedelta(days=365) and not status.notional_expiry
    assert status.due_at == created + timedelta(days=180)  # rotateAfterDays comes first
    assert status.days_left(NOW) == 355
    document = status.to_json(NOW)
    assert document["secretExpiresAt"] == "2027-12-31T12:00:00Z" and document["dueNow"] is False
    assert "ciphertext" not in str(document)


def test_entra_secret_due_by_age_and_by_nearness_to_expiry() -> None:
    old = secret_status("acme", spec("entra"), deployment("entra", NOW - timedelta(days=181)), NOW)
    assert old.due and "older than 180 days" in (old.due_reason or "")
    created = NOW - timedelta(days=10)
    expiring = deployment("entra", created, expires=NOW + timedelta(days=20))
    near = secret_status("acme", spec("entra"), expiring, NOW)
    assert near.due and "within 30 days" in (near.due_reason or "")
    assert near.due_at == NOW - timedelta(days=10)


def test_the_spec_policy_decides_not_the_recorded_one() -> None:
    recorded = deployment("entra", NOW - timedelta(days=40), lifetime_days=365, rotate_after_days=180)
    assert not secret_status("acme", spec("entra"), recorded, NOW).due
    stricter = spec("entra", lifetimeDays=365, rotateAfterDays=30, rotateBeforeExpiryDays=30)
    assert secret_status("acme", stricter, recorded, NOW).due


def test_as_of_brings_the_due_date_forward() -> None:
    created = NOW - timedelta(days=10)
    state = deployment("entra", created)
    assert not secret_status("acme", spec("entra"), state, NOW).due
    later = NOW + timedelta(days=171)
    assert secret_status("acme", spec("entra"), state, later).due
    assert not secret_status("acme", spec("entra"), state, later - timedelta(days=2)).due


def test_okta_secret_expires_notionally_after_its_lifetime() -> None:
    created = NOW - timedelta(days=100)
    policy = spec("okta", lifetimeDays=120, rotateAfterDays=110, rotateBeforeExpiryDays=30)
    status = secret_status("acme", policy, deployment("okta", created), NOW)
    assert status.notional_expiry and status.expires_at == created + timedelta(days=120)
    assert status.secret_id == "ocs-1"
    assert status.due and "within 30 days" in (status.due_reason or "")
    inactive = deployment("okta", NOW - timedelta(days=1), status="INACTIVE")
    assert secret_status("acme", spec("okta"), inactive, NOW).due_reason == "deactivated out of band"


def test_generic_oidc_secrets_are_the_customers() -> None:
    status = secret_status("acme", spec("oidc"), {"resources": []}, NOW)
    assert not status.managed and not status.due and status.expires_at is None
    assert status.to_json(NOW)["note"] == "the customer's IT team owns this secret"


def test_a_managed_stack_without_a_secret_in_state_is_due() -> None:
    replaced = deployment("entra", NOW)
    replaced["resources"][1]["delete"] = True  # only the old half of an unfinished replacement
    status = secret_status("acme", spec("entra"), replaced, NOW)
    assert status.due and status.due_reason == "no client secret in the state"


def test_planning_time_never_goes_back() -> None:
    real = datetime.now(UTC)
    assert planning_now(None) >= real
    assert planning_now(date(2000, 1, 1)) >= real
    assert planning_now(date(2999, 1, 1)) == datetime(2999, 1, 1, tzinfo=UTC)


def test_as_of_must_be_a_date_from_today_on() -> None:
    today = datetime.now(UTC).date()
    assert check_as_of(None) is None
    assert check_as_of(today.isoformat()) == today
    with pytest.raises(ProjectError, match="is in the past; rotation can only be brought forward"):
        check_as_of((today - timedelta(days=1)).isoformat())
    with pytest.raises(ProjectError, match="Fix: write it as YYYY-MM-DD"):
        check_as_of("next tuesday")
