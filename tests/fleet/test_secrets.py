"""Rotation planning from recorded state and the spec's policy: due, not due, as of a later date;
the dates as a user sees them; the one rule for SSOPROV_AS_OF and --as-of."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ssoprov.cli import main
from ssoprov.clock import AS_OF_VARIABLE, AsOfError, calendar_date, later_of_now, parse_as_of, utc_now
from ssoprov.fleet.commands import check_as_of, secret_state
from ssoprov.fleet.operations import holds_resources
from ssoprov.fleet.project import ProjectError
from ssoprov.fleet.secrets import secret_status
from ssoprov.spec import parse_organization
from tests.support.client_keys import ClientKey

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
PARENT = "ssoprov:index:Organization"
SECRET_VALUE = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "ciphertext": "v1:xyz",
}


def spec(kind: str, *, authentication: str = "clientSecret", protocol: str = "oidc", **policy: int) -> Any:
    idp: dict[str, Any] = {
        "entra": {"kind": "entra", "tenantId": "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13"},
        "okta": {"kind": "okta", "orgUrl": "https://acme.okta.com"},
        "oidc": {
            "kind": "oidc",
            "clientId": "c",
            "discoveryUrl": "https://idp.example/.well-known/openid-configuration",
        },
    }[kind] | {"protocol": protocol}
    data: dict[str, Any] = {
        "name": f"acme-{kind}",
        "displayName": "Acme",
        "identityProvider": idp,
        "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "customers"},
        "clientAuthentication": {"method": authentication},
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
    assert status.expires_at == created + timedelta(days=365)
    assert status.rotate_by == created + timedelta(days=180)  # rotateAfterDays comes first
    assert status.days_left(NOW) == 355
    document = status.to_json(NOW)
    assert document["secretExpiresAt"] == "2027-12-31" and document["dueNow"] is False
    assert "ciphertext" not in str(document)
    assert secret_state(status) == "not-due"


def test_every_date_shown_is_a_utc_calendar_date() -> None:
    # Created late on 2027-01-09 in UTC-8 (2027-01-10 in UTC); Graph's end date with 7 digits.
    created = datetime.fromisoformat("2027-01-09T20:00:00-08:00")
    state = deployment("entra", created, expires=datetime(2027, 3, 1, 23, 59, 59, tzinfo=UTC))
    state["resources"][1]["outputs"]["expires_at"] = "2027-03-01T23:59:59.1234567Z"
    document = secret_status("acme", spec("entra"), state, NOW).to_json(NOW)
    assert (document["createdAt"], document["secretExpiresAt"], document["secretRotateBy"]) == (
        "2027-01-10",
        "2027-03-01",
        "2027-01-30",  # 30 days before the expiry comes before 180 days of age
    )
    # Days left are whole calendar days between the dates shown: 2027-01-10 to 2027-03-01.
    assert document["daysLeft"] == 50
    assert set(document) >= {"secretExpiresAt", "secretRotateBy"}
    assert not {"rotationDueAt", "expiryIsNotional"} & set(document)


def test_entra_secret_due_by_age_and_by_nearness_to_expiry() -> None:
    old = secret_status("acme", spec("entra"), deployment("entra", NOW - timedelta(days=181)), NOW)
    assert old.due and "older than 180 days" in (old.due_reason or "")
    created = NOW - timedelta(days=10)
    expiring = deployment("entra", created, expires=NOW + timedelta(days=20))
    near = secret_status("acme", spec("entra"), expiring, NOW)
    assert near.due and near.due_reason == "expires 2027-01-30, within 30 days"
    assert near.rotate_by == NOW - timedelta(days=10)
    assert secret_state(near) == "due"


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


def test_an_okta_secret_does_not_expire_but_has_a_rotate_by_date() -> None:
    created = NOW - timedelta(days=100)
    policy = spec("okta", lifetimeDays=120, rotateAfterDays=110, rotateBeforeExpiryDays=30)
    status = secret_status("acme", policy, deployment("okta", created), NOW)
    assert status.expires_at is None and status.days_left(NOW) is None
    assert status.rotate_by == created + timedelta(days=90)  # 30 days before lifetimeDays runs out
    assert status.secret_id == "ocs-1"
    # Due as the policy says, without inventing an expiry in the reason.
    assert status.due_reason == "clientSecret.lifetimeDays (120) runs out 2027-01-30, within 30 days"
    document = status.to_json(NOW)
    assert document["secretExpiresAt"] is None and document["daysLeft"] is None
    assert document["secretRotateBy"] == "2026-12-31"
    inactive = deployment("okta", NOW - timedelta(days=1), status="INACTIVE")
    assert secret_status("acme", spec("okta"), inactive, NOW).due_reason == "deactivated out of band"


def test_secrets_a_refresh_found_untracked_are_named_with_what_removes_them() -> None:
    recorded = deployment("okta", NOW - timedelta(days=1), untracked_secret_ids=["ocs-left-1"])
    status = secret_status("acme", spec("okta"), recorded, NOW)
    assert not status.due and "ocs-left-1" in status.note
    assert "the next `ssoprov up --stack acme` removes them" in status.note


def test_a_state_with_no_resource_but_the_root_stack_holds_nothing_deployed() -> None:
    recorded = deployment("okta", NOW)
    root, secret = recorded["resources"]
    provider = {
        "urn": "urn:pulumi:acme::ssoprov::pulumi:providers:pulumi-python::default",
        "type": "pulumi:providers:pulumi-python",
    }
    assert not holds_resources({})  # destroyed, or made by `stack init` alone
    assert not holds_resources({"resources": [root, provider]})
    assert holds_resources({"resources": [root, {**secret, "type": PARENT}]})  # a failed first `up`
    assert holds_resources(recorded)
    assert holds_resources(
        {"resources": [root], "pending_operations": [{"type": "creating", "resource": secret}]}
    )


def test_generic_oidc_secrets_are_the_customers() -> None:
    status = secret_status("acme", spec("oidc"), {"resources": []}, NOW)
    assert not status.managed and not status.due and status.expires_at is None
    assert status.to_json(NOW)["note"] == "the customer's IT team owns this secret"
    assert secret_state(status) == "not-managed"


def realm_key(key: ClientKey, *, trusted: int = 1) -> dict[str, Any]:
    """A secretless stack's recorded `RealmAssertionKey` resource: `key` signs, and the stack
    trusts `trusted` keys (two during a rotation)."""
    certificate = base64.b64encode(key.der).decode()
    outputs = {
        "realm": "customers",
        "kid": key.kid,
        "certificate": certificate,
        "trusted_kids": [key.kid, "k-staged"][:trusted],
        "trusted_certificates": [certificate, "MIIC-staged"][:trusted],
    }
    kind = "pulumi-python:dynamic/keycloak:RealmAssertionKey"
    resource = {
        "urn": f"urn:pulumi:acme::ssoprov::{PARENT}${kind}::acme-key",
        "type": kind,
        "outputs": outputs,
    }
    return {"resources": [resource]}


@pytest.mark.parametrize("kind", ["okta", "oidc"])
def test_a_secretless_organization_reports_the_realm_key_from_its_certificate(kind: str) -> None:
    key = ClientKey(days=3650)
    made = key.certificate.not_valid_before_utc
    status = secret_status("acme", spec(kind, authentication="privateKeyJwt"), realm_key(key), made)
    shown = status.to_json(made)

    assert shown["credential"] == "realmKey" and shown["secretId"] == key.kid and status.managed
    assert shown["secretExpiresAt"] == calendar_date(key.certificate.not_valid_after_utc)
    assert shown["secretRotateBy"] == calendar_date(made + timedelta(days=365))  # keyRotateAfterDays
    assert secret_state(status) == "not-due" and "key of realm customers, kid" in shown["note"]


def test_a_realm_key_is_due_by_age_or_before_expiry_whichever_comes_first() -> None:
    old, short = ClientKey(days=3650), ClientKey(days=60)
    made = old.certificate.not_valid_before_utc
    aged = secret_status(
        "acme", spec("entra", authentication="privateKeyJwt"), realm_key(old), made + timedelta(days=366)
    )
    policy = {"method": "privateKeyJwt", "keyRotateAfterDays": 400, "keyRotateBeforeExpiryDays": 45}
    strict = parse_organization(
        {**spec("entra").model_dump(by_alias=True, exclude_none=True), "clientAuthentication": policy},
        "stacks/Pulumi.acme.yaml",
    )
    expiring = secret_status("acme", strict, realm_key(short), made + timedelta(days=16))

    assert aged.due and aged.due_reason is not None and "older than 365 days" in aged.due_reason
    assert expiring.due and expiring.due_reason is not None and "within 45 days" in expiring.due_reason
    assert expiring.rotate_by == short.certificate.not_valid_after_utc - timedelta(days=45)


def test_a_realm_key_rotation_left_half_done_is_due_and_a_missing_key_is_incomplete() -> None:
    key = ClientKey(days=3650)
    secretless = spec("okta", authentication="privateKeyJwt")
    half = secret_status("acme", secretless, realm_key(key, trusted=2), key.certificate.not_valid_before_utc)
    missing = secret_status("acme", secretless, {"resources": []}, NOW)

    assert half.due and half.unfinished and "rotation unfinished" in (half.due_reason or "")
    assert secret_state(missing) == "incomplete" and "ssoprov up --stack acme" in missing.note


def signing_keys(expires: datetime, *, staged: bool = False, trusted: int = 1) -> dict[str, Any]:
    """A SAML stack's recorded `SamlSigningKeys` resource (kid k-new while staged, else k-1),
    whose broker trusts `trusted` certificates."""
    outputs = {
        "signing_kid": "k-1",
        "staged_kid": "k-new" if staged else None,
        "next_kid": "k-new" if staged else "k-1",
        "next_certificate": "MIIC-next",
        "next_expires_at": expires.isoformat(),
        "trusted_certificates": ["MIIC-old", "MIIC-next"][-trusted:],
    }
    resource = {
        "urn": f"urn:pulumi:acme::ssoprov::{PARENT}$pulumi-python:dynamic/okta:SamlSigningKeys::acme-keys",
        "type": "pulumi-python:dynamic/okta:SamlSigningKeys",
        "outputs": outputs,
    }
    return {"resources": [resource]}


def test_a_saml_organization_lists_its_signing_certificate_with_kid_real_expiry_and_rotate_by() -> None:
    expires = NOW + timedelta(days=3650)
    status = secret_status("acme", spec("okta", protocol="saml"), signing_keys(expires), NOW)

    assert secret_state(status) == "not-due" and status.secret_id == "k-1"
    document = status.to_json(NOW)
    assert document["credential"] == "signingCertificate" and document["secretId"] == "k-1"
    assert document["secretExpiresAt"] == calendar_date(expires)
    assert document["secretRotateBy"] == calendar_date(expires - timedelta(days=30))
    assert document["daysLeft"] == 3650 and document["dueNow"] is False
    assert document["note"].startswith("SAML signing certificate, kid k-1; ")
    assert "old key on the app" in document["note"] and "deletes no app key" in document["note"]


def test_an_entra_saml_organization_lists_its_token_signing_certificate_the_same_way() -> None:
    state = signing_keys(NOW + timedelta(days=20))
    for resource in state["resources"]:
        resource["type"] = resource["type"].replace("okta:", "entra:")

    status = secret_status("acme", spec("entra", protocol="saml"), state, NOW)

    assert secret_state(status) == "due" and status.secret_id == "k-1"
    expires = f"{NOW + timedelta(days=20):%Y-%m-%d}"
    assert status.due_reason == f"signing certificate expires {expires}, within 30 days"
    assert "old certificate on the app, inactive" in status.note


def test_a_saml_certificate_is_due_from_its_rotate_by_date_by_the_specs_lead() -> None:
    saml = parse_organization(
        {
            "name": "acme-okta",
            "displayName": "Acme",
            "identityProvider": {
                "kind": "okta",
                "orgUrl": "https://acme.okta.com",
                "protocol": "saml",
                "saml": {"rotateBeforeExpiryDays": 60},
            },
            "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "customers"},
        },
        "stacks/Pulumi.acme.yaml",
    )
    state = signing_keys(NOW + timedelta(days=90))

    assert secret_state(secret_status("acme", saml, state, NOW)) == "not-due"
    later = NOW + timedelta(days=31)
    status = secret_status("acme", saml, state, later)
    assert secret_state(status) == "due"
    expires = f"{NOW + timedelta(days=90):%Y-%m-%d}"
    assert status.due_reason == f"signing certificate expires {expires}, within 60 days"
    assert status.to_json(later)["secretRotateBy"] == calendar_date(NOW + timedelta(days=30))


@pytest.mark.parametrize("how", [{"staged": True, "trusted": 2}, {"trusted": 2}])
def test_an_unfinished_certificate_rollover_is_due_whatever_the_date(how: dict[str, Any]) -> None:
    state = signing_keys(NOW + timedelta(days=3650), **how)
    status = secret_status("acme", spec("okta", protocol="saml"), state, NOW)
    assert secret_state(status) == "due" and status.unfinished
    assert "rollover unfinished" in (status.due_reason or "")


@pytest.mark.parametrize(
    ("broker", "output"),
    [
        ("keycloak:SamlIdentityProvider", "signing_certificates"),
        ("workos:SamlConnection", "trusted_certificates"),
    ],
)
def test_a_rollover_whose_broker_still_trusts_the_old_certificate_is_unfinished(
    broker: str, output: str
) -> None:
    state = signing_keys(NOW + timedelta(days=3650))
    trust = {"type": f"pulumi-python:dynamic/{broker}", "outputs": {output: ["MIIC-old", "MIIC-next"]}}
    state["resources"].append(trust)
    assert secret_status("acme", spec("okta", protocol="saml"), state, NOW).unfinished

    trust["outputs"] = {output: ["MIIC-next"]}
    assert not secret_status("acme", spec("okta", protocol="saml"), state, NOW).unfinished


def test_a_saml_organization_without_signing_keys_in_state_is_incomplete_with_the_fix() -> None:
    status = secret_status("acme", spec("okta", protocol="saml"), {"resources": []}, NOW)
    assert secret_state(status) == "incomplete" and not status.due
    assert "Fix: run `ssoprov up --stack acme`" in status.to_json(NOW)["note"]


@pytest.mark.parametrize("how", ["first up failed", "only the old half of a replacement"])
def test_a_deployed_stack_without_a_secret_in_state_is_incomplete_not_due(how: str) -> None:
    state = deployment("okta", NOW)
    if how == "first up failed":
        del state["resources"][1]
    else:
        state["resources"][1]["delete"] = True
    status = secret_status("acme", spec("okta"), state, NOW)
    # `rotate` takes only what is due: a broken stack is not retried by every rotation run.
    assert not status.due and secret_state(status) == "incomplete"
    assert "no client secret in the state" in status.note
    assert "Fix: run `ssoprov up --stack acme`" in status.note
    document = status.to_json(NOW)
    assert document["secretExpiresAt"] is None and document["secretRotateBy"] is None


def test_planning_time_never_goes_back() -> None:
    real = datetime.now(UTC)
    assert later_of_now(None) >= real
    assert later_of_now(datetime(2000, 1, 1, tzinfo=UTC)) >= real
    assert later_of_now(datetime(2999, 1, 1, tzinfo=UTC)) == datetime(2999, 1, 1, tzinfo=UTC)


TODAY = date(2027, 1, 10)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2027-01-10", datetime(2027, 1, 10, tzinfo=UTC)),
        ("2027-03-01", datetime(2027, 3, 1, tzinfo=UTC)),
        ("2027-03-01T08:30", datetime(2027, 3, 1, 8, 30, tzinfo=UTC)),
        ("2027-03-01T08:30:00Z", datetime(2027, 3, 1, 8, 30, tzinfo=UTC)),
        ("2027-03-01T08:30:00.123456+02:00", datetime(2027, 3, 1, 6, 30, 0, 123456, tzinfo=UTC)),
        # Earlier today is still today: the real time is later, so it moves nothing.
        ("2027-01-10T00:00:01+00:00", datetime(2027, 1, 10, 0, 0, 1, tzinfo=UTC)),
    ],
)
def test_as_of_accepts_a_date_or_an_iso_timestamp_from_today_on(text: str, moment: datetime) -> None:
    assert parse_as_of(text, AS_OF_VARIABLE, today=TODAY) == moment


@pytest.mark.parametrize(
    "text", ["2027-13-01", "2027-02-30", "next tuesday", "2027-W09", "20270301", "1/3/2027"]
)
def test_a_malformed_as_of_names_the_variable_the_value_the_format_and_the_fix(text: str) -> None:
    with pytest.raises(AsOfError) as raised:
        parse_as_of(text, AS_OF_VARIABLE, today=TODAY)
    assert str(raised.value) == (
        f"SSOPROV_AS_OF {text!r} is not a date: write it as YYYY-MM-DD (a UTC calendar date) or an ISO "
        "8601 timestamp such as 2027-01-10T00:00:00Z. Fix: set SSOPROV_AS_OF=2027-01-10 or a later "
        "date, or unset it to use the current time"
    )


@pytest.mark.parametrize("text", ["2027-01-09", "2027-01-10T01:00:00+02:00", "2020-01-01T00:00:00Z"])
def test_a_past_as_of_is_refused_not_ignored(text: str) -> None:
    with pytest.raises(
        AsOfError, match=r"is in the past \(today is 2027-01-10 UTC\): rotation can be brought"
    ):
        parse_as_of(text, AS_OF_VARIABLE, today=TODAY)


def test_the_providers_clock_applies_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2999-13-01")
    with pytest.raises(AsOfError, match="SSOPROV_AS_OF '2999-13-01' is not a date"):
        utc_now()
    monkeypatch.setenv(AS_OF_VARIABLE, "2000-01-01")
    with pytest.raises(AsOfError, match="SSOPROV_AS_OF '2000-01-01' is in the past"):
        utc_now()
    monkeypatch.setenv(AS_OF_VARIABLE, "2999-01-01")
    assert utc_now() == datetime(2999, 1, 1, tzinfo=UTC)


def test_the_as_of_flag_uses_the_same_rule_and_names_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AS_OF_VARIABLE, raising=False)
    today = datetime.now(UTC).date()
    assert check_as_of(None) is None
    assert check_as_of(today.isoformat()) == datetime(today.year, today.month, today.day, tzinfo=UTC)
    yesterday = (today - timedelta(days=1)).isoformat()
    with pytest.raises(ProjectError) as raised:
        check_as_of(yesterday)
    assert str(raised.value).startswith(f"--as-of '{yesterday}' is in the past")
    assert str(raised.value).endswith(
        f"Fix: give --as-of {today.isoformat()} or a later date, or leave --as-of out"
    )
    with pytest.raises(ProjectError, match=r"^--as-of 'next tuesday' is not a date: write it as YYYY-MM-DD"):
        check_as_of("next tuesday")


def test_without_the_flag_the_fleet_plans_as_of_the_variable_its_pulumi_runs_inherit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ssoprov rotate --dry-run` must not say "nothing due" while the `up`s it starts rotate as of
    SSOPROV_AS_OF; a bad value is refused by the same rule, naming the variable."""
    later = (datetime.now(UTC).date() + timedelta(days=200)).isoformat()
    monkeypatch.setenv(AS_OF_VARIABLE, later)
    assert calendar_date(check_as_of(None)) == later
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert calendar_date(check_as_of(tomorrow)) == tomorrow
    monkeypatch.setenv(AS_OF_VARIABLE, "yesterday")
    with pytest.raises(ProjectError, match=r"^SSOPROV_AS_OF 'yesterday' is not a date"):
        check_as_of(None)


def test_preview_and_up_refuse_a_bad_variable_once_before_any_stack_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv(AS_OF_VARIABLE, "2020-01-01")
    monkeypatch.chdir(tmp_path)  # no project here: the variable is checked first

    for command in ("preview", "up"):
        assert main([command]) == 2
        assert capsys.readouterr().err.startswith(
            f"ssoprov {command}: SSOPROV_AS_OF '2020-01-01' is in the past"
        )
