"""The rollover's Okta side: which key is staged, when a certificate is due, and the two providers
(stage a key, switch to it) against the stand-in: one key per rollover however often a run is
repeated, and no switch to a key the broker does not trust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ssoprov.clock import AS_OF_VARIABLE, parse_timestamp
from ssoprov.errors import ProvisionerError
from ssoprov.okta.saml_app import EMAIL_FORMAT, _OktaSamlAppProvider
from ssoprov.okta.saml_signing_keys import _OktaSamlSigningKeysProvider
from ssoprov.okta.saml_signing_switch import _OktaSamlSigningSwitchProvider
from ssoprov.rotation import CertificatePolicy
from ssoprov.saml_signing import SamlSigningKey, plan_keys
from tests.okta.conftest import OktaSandbox

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
keys_provider = _OktaSamlSigningKeysProvider()
switch_provider = _OktaSamlSigningSwitchProvider()


def key(kid: str, created_days_ago: int, expires_in_days: int) -> SamlSigningKey:
    return SamlSigningKey(
        kid=kid,
        certificate=f"cert-{kid}",
        expires_at=(NOW + timedelta(days=expires_in_days)).isoformat(),
        created=(NOW - timedelta(days=created_days_ago)).isoformat(),
    )


def test_the_staged_key_is_the_newest_one_made_after_the_signing_key_and_not_expired() -> None:
    old, signing = key("old", 900, -5), key("signing", 400, 20)
    expired_new, staged, newest = key("x", 10, -1), key("staged", 5, 3600), key("newest", 1, 3600)

    assert plan_keys([old, signing], "signing", NOW, missing="").staged is None
    plan = plan_keys([old, signing, staged, newest, expired_new], "signing", NOW, missing="")
    assert plan.staged == newest and plan.next == newest
    assert plan.trusted_certificates == ["cert-signing", "cert-newest"]
    # After the switch, the older key is no rollover: only the signing one is trusted.
    after = plan_keys([old, signing, newest], "newest", NOW, missing="")
    assert after.staged is None and after.trusted_certificates == ["cert-newest"]
    with pytest.raises(ProvisionerError, match="pick an existing key"):
        plan_keys([old], "gone", NOW, missing="pick an existing key")


@pytest.mark.parametrize(
    ("days_left", "due"), [(31, False), (30, True), (1, True), (-2, True), (3650, False)]
)
def test_a_certificate_is_due_its_lead_days_before_its_real_expiry(days_left: int, due: bool) -> None:
    policy = CertificatePolicy(30)
    expires = NOW + timedelta(days=days_left)
    assert policy.rotate_by(expires) == expires - timedelta(days=30)
    reason = policy.reason_due(expires, NOW)
    assert (reason is not None) is due
    if reason:
        assert f"expires {expires:%Y-%m-%d}, within 30 days" in reason


def _saml_app(okta_env: OktaSandbox) -> str:
    acs = "https://sso.example.com/realms/acme/broker/acme/endpoint"
    created = _OktaSamlAppProvider().create(
        {
            "org_url": okta_env.url,
            "label": "Acme SSO",
            "acs_url": acs,
            "audience": f"{acs}/descriptor",
            "name_id_format": EMAIL_FORMAT,
            "groups_attribute": {"name": "groups", "filter_type": "regex", "value": ".*"},
        }
    )
    return str(created.id)


def test_a_due_certificate_stages_one_key_however_often_the_run_repeats_and_finishes_after_the_switch(
    okta_env: OktaSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = okta_env.stand_in.store
    app_id = _saml_app(okta_env)
    [first] = store.saml_keys(app_id)
    inputs: dict[str, Any] = {"org_url": okta_env.url, "app_id": app_id, "rotate_before_expiry_days": 30}

    created = keys_provider.create(dict(inputs)).outs or {}
    assert created["signing_kid"] == created["next_kid"] == first.kid and created["staged_kid"] is None
    assert created["trusted_certificates"] == [first.credential.certificate_base64]
    assert created["next_expires_at"].startswith(first.expires_at[:10])
    assert keys_provider.diff("id", created, dict(inputs)).changes is False
    assert len(store.saml_keys(app_id)) == 1

    due_day = parse_timestamp(first.expires_at) - timedelta(days=29)
    monkeypatch.setenv(AS_OF_VARIABLE, due_day.date().isoformat())
    assert keys_provider.diff("id", created, dict(inputs)).changes is True
    staged = keys_provider.update("id", created, dict(inputs)).outs or {}
    again = keys_provider.update("id", staged, dict(inputs)).outs or {}  # an interrupted run, repeated

    [_, new] = store.saml_keys(app_id)
    assert staged == again and staged["staged_kid"] == staged["next_kid"] == new.kid
    assert staged["signing_kid"] == first.kid and store.get_saml_app(app_id).signing_kid == first.kid
    assert staged["trusted_certificates"] == [
        first.credential.certificate_base64,
        new.credential.certificate_base64,
    ]
    monkeypatch.delenv(AS_OF_VARIABLE)
    assert keys_provider.diff("id", staged, dict(inputs)).changes is True  # unfinished: carried on

    switch = {
        "org_url": okta_env.url,
        "app_id": app_id,
        "kid": staged["next_kid"],
        "certificate": staged["next_certificate"],
        "broker_trusted": [first.credential.certificate_base64],
    }
    with pytest.raises(ProvisionerError, match="does not trust its certificate"):
        switch_provider.create(dict(switch))
    assert store.get_saml_app(app_id).signing_kid == first.kid
    switch_provider.create({**switch, "broker_trusted": staged["trusted_certificates"]})
    assert store.get_saml_app(app_id).signing_kid == new.kid

    finished = keys_provider.update("id", staged, dict(inputs)).outs or {}
    assert finished["signing_kid"] == finished["next_kid"] == new.kid and finished["staged_kid"] is None
    assert finished["trusted_certificates"] == [new.credential.certificate_base64]
    assert keys_provider.diff("id", finished, dict(inputs)).changes is False
    assert len(store.saml_keys(app_id)) == 2  # Okta deletes no key; the old one just signs nothing
    assert keys_provider.read("id", finished).outs == finished
