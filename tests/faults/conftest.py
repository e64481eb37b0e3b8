"""Fault tests run whole organizations against the sandbox; they reuse the integration fixtures."""

from tests.integration.conftest import realm, sandbox

__all__ = ["realm", "sandbox"]
