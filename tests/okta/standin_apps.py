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
