"""Okta's error contract: the codes, statuses and body shape the management API answers with.

Every error body carries `errorCode`, `errorSummary`, `errorLink` (Okta repeats the code there),
`errorId` and `errorCauses`; the summaries below are Okta's own wording for each code.
"""

from __future__ import annotations

import secrets
import string

from starlette.responses import JSONResponse

_ID_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


class OktaError(Exception):
    """An answer the stand-in refuses a request with, rendered as Okta's error body."""

    def __init__(self, status: int, code: str, summary: str, causes: list[str] | None = None) -> None:
        super().__init__(f"{status} {code} {summary}")
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = list(causes or [])

    def body(self) -> dict:
        return error_body(self.code, self.summary, self.causes)

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


class OAuthChallenge(OktaError):
    """How Okta's resource server refuses a DPoP-bound call: 400, the OAuth error and its
    description in the body and in a `WWW-Authenticate: DPoP ...` challenge."""

    def __init__(self, error: str, description: str, realm: str, resource: str) -> None:
        super().__init__(400, error, description)
        self.challenge = (
            f'DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", realm="{realm}", '
            f'error="{error}", error_description="{description}", resource="{resource}"'
        )

    def body(self) -> dict:
        return {"error": self.code, "error_description": self.summary}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(
            self.body(),
            status_code=self.status,
            headers={**(headers or {}), "WWW-Authenticate": self.challenge},
        )


def dpop_refused(error: str, description: str, realm: str, resource: str) -> OktaError:
    return OAuthChallenge(error, description, realm, resource)


def error_body(code: str, summary: str, causes: list[str] | None = None) -> dict:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + random_token(22),
        "errorCauses": [{"errorSummary": cause} for cause in causes or []],
    }


def validation_failed(subject: str, *causes: str) -> OktaError:
    """E0000001: a precondition of the endpoint is violated; `subject` names the field or object."""
    return OktaError(400, "E0000001", f"Api validation failed: {subject}", list(causes))


def app_quota_reached() -> OktaError:
    """An org at its app limit, word for word as a real org answered an app create (2025)."""
    return validation_failed(
        "generalSettings", "Cannot create application instance. Maximum number of instances has been reached."
    )


def malformed_body() -> OktaError:
    return OktaError(400, "E0000003", "The request body was not well-formed.")


def invalid_token() -> OktaError:
    return OktaError(401, "E0000011", "Invalid token provided")


def access_denied() -> OktaError:
    return OktaError(403, "E0000006", "You do not have permission to perform the requested action")


def not_found(resource_id: str, kind: str) -> OktaError:
    """E0000007 naming the missing object the way Okta does: `<id> (<Java type>)`."""
    return OktaError(404, "E0000007", f"Not found: Resource not found: {resource_id} ({kind})")


def path_not_found() -> OktaError:
    return OktaError(404, "E0000008", "The requested path was not found")


def method_not_allowed() -> OktaError:
    return OktaError(405, "E0000022", "The endpoint does not support the provided HTTP method")


def invalid_search() -> OktaError:
    return OktaError(400, "E0000031", "Invalid search criteria.")


def too_many_requests() -> OktaError:
    return OktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.")


def delete_app_forbidden() -> OktaError:
    return OktaError(
        403,
        "E0000056",
        "Delete application forbidden.",
        ["The application must be deactivated before deletion."],
    )


def server_error(status: int) -> OktaError:
    """Okta's 5xx bodies: E0000010 is its 503 (read-only mode), E0000009 every other server error."""
    if status == 503:
        return OktaError(503, "E0000010", "Service is in read only mode")
    return OktaError(status, "E0000009", "Internal Server Error")
