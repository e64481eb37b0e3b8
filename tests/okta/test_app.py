"""The OIDC web app provider: exact diff, and create/read/update/delete against the stand-in."""

from __future__ import annotations

from ssoprov.okta.app import _OktaOidcAppProvider
from tests.okta.conftest import OktaSandbox
from tests.okta.standin_apps import admin_edits

provider = _OktaOidcAppProvider()
BROKER = "https://sso.example.com/realms/acme/broker/acme/endpoint"
INPUTS = {
    "org_url": "https://acme.okta.com",
    "label": "Acme SSO",
    "redirect_uris": [BROKER],
    "issuer_mode": "ORG_URL",
    "auth_method": None,  # client_secret_basic
}
STATE = {**INPUTS, "app_id": "0oa1", "client_id": "0oa1", "status": "ACTIVE", "initial_secret_id": "ocs0"}


def test_diff_is_exact_label_and_uris_update_org_url_replaces() -> None:
    assert provider.diff("0oa1", STATE, dict(INPUTS)).changes is False
    changes = (
        ("label", "Acme"),
        ("redirect_uris", [BROKER, "https://b.example/cb"]),
        ("issuer_mode", "DYNAMIC"),
        ("auth_method", "private_key_jwt"),  # switched in place: the client id stays
    )
    for key, value in changes:
        result = provider.diff("0oa1", STATE, {**INPUTS, key: value})
        assert result.changes is True and result.replaces == []
    moved = provider.diff("0oa1", STATE, {**INPUTS, "org_url": "https://acme2.okta.com"})
    assert moved.replaces == ["org_url"] and moved.delete_before_replace is False


def test_create_read_update_delete(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    seeded = store.snapshot()
    props = {**INPUTS, "org_url": okta_env.url}

    created = provider.create(dict(props))
    outs = created.outs or {}
    app = store.get_app(created.id)
    (initial,) = store.secrets(app.id)
    assert outs == {
        **props,
        "app_id": app.id,
        "client_id": app.client_id,
        "status": "ACTIVE",
        "initial_secret_id": initial.id,  # its id only: the value is not kept anywhere
    }
    assert initial.value not in str(outs)
    assert app.oauth_settings["grant_types"] == ["authorization_code"]
    assert app.token_endpoint_auth_method == "client_secret_basic"
    assert app.oauth_settings["issuer_mode"] == "ORG_URL"  # not Okta's default for new apps, DYNAMIC

    assert provider.read(created.id, outs).outs == outs
    store.replace_app(
        app.id,
        label="Renamed in the console",
        auth_method=app.token_endpoint_auth_method,
        pkce_required=app.pkce_required,
        auto_key_rotation=app.auto_key_rotation,
        oauth_settings=app.oauth_settings,
        profile=app.profile,
    )
    drifted = provider.read(created.id, outs).outs or {}
    assert drifted["label"] == "Renamed in the console"
    assert provider.diff(created.id, drifted, props).replaces == []

    extra = [BROKER, "https://app.example/callback"]
    updated = provider.update(created.id, drifted, {**props, "redirect_uris": extra}).outs or {}
    assert (updated["label"], updated["redirect_uris"]) == ("Acme SSO", extra)
    assert updated["initial_secret_id"] == initial.id
    assert store.get_app(app.id).oauth_settings["redirect_uris"] == extra

    provider.delete(created.id, updated)
    assert store.snapshot() == seeded
    provider.delete(created.id, updated)  # already gone: fine
    assert provider.read(created.id, updated).id is None


def test_an_update_keeps_everything_an_admin_set_that_we_do_not_manage(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    props = {**INPUTS, "org_url": okta_env.url}
    created = provider.create(dict(props))
    admin_edits(store, created.id)
    before = store.get_app(created.id)

    extra = [BROKER, "https://app.example/callback"]
    provider.update(
        created.id, created.outs or {}, {**props, "label": "Acme Inc SSO", "redirect_uris": extra}
    )

    after = store.get_app(created.id)
    assert (after.label, after.oauth_settings["redirect_uris"]) == ("Acme Inc SSO", extra)
    assert after.settings_extra == before.settings_extra
    assert after.settings_extra["notes"]["admin"] == "Owned by IT; ticket 4711"
    assert after.settings_extra["manualProvisioning"] is True
    assert after.settings_extra["emOptInStatus"] == "ENABLED"
    assert (after.accessibility, after.visibility) == (before.accessibility, before.visibility)
    assert {k: v for k, v in after.oauth_settings.items() if k != "redirect_uris"} == {
        k: v for k, v in before.oauth_settings.items() if k != "redirect_uris"
    }


def test_an_issuer_mode_changed_in_the_console_is_seen_and_put_back(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    props = {**INPUTS, "org_url": okta_env.url}
    created = provider.create(dict(props))
    admin_edits(store, created.id, issuer_mode="DYNAMIC")

    drifted = provider.read(created.id, created.outs or {}).outs or {}
    assert drifted["issuer_mode"] == "DYNAMIC"
    assert provider.diff(created.id, drifted, props).changes is True
    restored = provider.update(created.id, drifted, props).outs or {}
    assert restored["issuer_mode"] == "ORG_URL"
    assert store.get_app(created.id).oauth_settings["issuer_mode"] == "ORG_URL"
    assert store.get_app(created.id).settings_extra["notes"]["admin"] == "Owned by IT; ticket 4711"
