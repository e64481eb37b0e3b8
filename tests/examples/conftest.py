"""The examples run against the same sandbox as the whole-organization tests."""

from tests.integration.conftest import realm, sandbox

__all__ = ["realm", "sandbox"]
