"""The provisioner's error hierarchy: callers catch by meaning, messages say what was being done to what."""

from __future__ import annotations


class ProvisionerError(Exception):
    """Base of every error this package raises on purpose."""


class UsageError(ProvisionerError):
    """A flag or environment variable the command needs is missing or wrong; found before any call
    (the CLI's exit code 2)."""


class SpecError(ProvisionerError):
    """An organization spec is invalid; raised before any cloud call."""


class ApiError(ProvisionerError):
    """A cloud API refused a request.

    `action` says what was being done to which object ("adding password for application 1a2b"),
    so the message reads: `<service>: <action>: HTTP <status> <code>: <message>`.
    """

    def __init__(self, service: str, action: str, status: int, code: str = "", message: str = "") -> None:
        self.service = service
        self.action = action
        self.status = status
        self.code = code
        self.message = message
        detail = " ".join(part for part in (code, message) if part)
        super().__init__(f"{service}: {action}: HTTP {status}" + (f" {detail}" if detail else ""))


class NetworkError(ApiError):
    """No HTTP answer (connection refused, timeout, dropped connection): status 0, code NetworkError.

    The message says what to check (`check`, a clause after "Check") instead of an HTTP status
    there was none of."""

    def __init__(self, service: str, action: str, cause: str, check: str) -> None:
        super().__init__(service, action, 0, "NetworkError", cause)
        self.network = True
        self.args = (f"{service}: {action}: no answer ({cause}). Check {check}",)


class NotFoundError(ApiError):
    """The object does not exist (HTTP 404); providers treat it as deleted out of band."""


class RetryBudgetExceeded(ProvisionerError):
    """Transient failures (throttling, 5xx, eventual consistency) outlasted the retry budget."""
