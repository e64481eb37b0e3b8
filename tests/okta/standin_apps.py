"""Apps made directly in the stand-in's store, for provider tests that need one to exist."""

from __future__ import annotations

from sandbox.okta.store import OktaStore


def new_app(store: OktaStore) -> tuple[str, str]:
    """An OIDC web app as the app provider leaves it: ACTIVE, with the secret Okta made at
    creation. Returns (app id, that secret's id)."""
    app, secret = store.create_app(
        label="Acme SSO",
        client_id=None,
        auth_method="client_secret_basic",
        pkce_required=False,
        auto_key_rotation=True,
        oauth_settings={"application_type": "web", "redirect_uris": ["https://broker.example/cb"]},
        client_secret=None,
        profile=None,
        activate=True,
    )
    assert secret is not None
    return app.id, secret.id


def admin_edits(store: OktaStore, app_id: str, **oauth_changes: object) -> None:
    """What an admin does in the Okta console: notes, provisioning, visibility, an issuer mode."""
    app = store.get_app(app_id)
    store.replace_app(
        app_id,
        label=app.label,
        auth_method=app.token_endpoint_auth_method,
        pkce_required=app.pkce_required,
        auto_key_rotation=app.auto_key_rotation,
        oauth_settings={**app.oauth_settings, **oauth_changes},
        profile=app.profile,
        settings_extra={
            **app.settings_extra,
            "notes": {"admin": "Owned by IT; ticket 4711", "enduser": "Ask IT for access"},
            "manualProvisioning": True,
            "emOptInStatus": "ENABLED",
        },
        accessibility={**app.accessibility, "selfService": True},
        visibility={**app.visibility, "hide": {"iOS": True, "web": False}},
    )
