"""A real Keycloak 26 (dev mode, 127.0.0.1) for tests and demos: fetched, cached, launched, stopped."""

from sandbox.keycloak.distribution import KEYCLOAK_VERSION
from sandbox.keycloak.launcher import KeycloakServer, KeycloakStartError, Prepared, prepare

__all__ = ["KEYCLOAK_VERSION", "KeycloakServer", "KeycloakStartError", "Prepared", "prepare"]
