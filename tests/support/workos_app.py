"""The app that signs users in through the WorkOS stand-in in tests (ssoprov.brokers.workos.verify_login)."""

from __future__ import annotations

from ssoprov.brokers.workos.verify_login import WorkosApp

APP_REDIRECT_URI = "http://127.0.0.1:9/sso/callback"
"""The app's callback: registered with the WorkOS environment, never requested."""


def workos_app(workos_url: str, api_key: str, client_id: str) -> WorkosApp:
    return WorkosApp(api_key, client_id, APP_REDIRECT_URI, workos_url)
