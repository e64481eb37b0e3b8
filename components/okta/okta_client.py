"""An async Okta management client for the Okta dynamic providers: dataclasses out, no Pulumi.

Authentication (`okta_client_from_env`):

- `OKTA_ORG_URL` (https; http only for 127.0.0.1/localhost/::1, the sandbox) and
  `OKTA_API_TOKEN`: an SSWS API token. This is the mode that can do everything, including the
  legacy groups claim, which Okta serves on an internal endpoint to API tokens only.
- Or an OAuth 2.0 service app with private_key_jwt: `OKTA_CLIENT_ID`, `OKTA_PRIVATE_KEY` (PEM or
  JWK JSON) or `OKTA_PRIVATE_KEY_FILE`, optional `OKTA_KEY_ID` (the key's kid) and `OKTA_SCOPES`
  (space or comma separated, default `okta.apps.manage okta.groups.read okta.users.read`).
  The groups-claim methods refuse to run in this mode. `OKTA_API_TOKEN` wins if both are set.

Retries: every method is one logical operation ("assigning group Engineering (00g1) to app 0oa1")
run through `ssoprov.retry.retry_async` with an Okta classifier:

- 429: retried once `X-Rate-Limit-Reset` (epoch seconds) has passed, plus `RESET_MARGIN_SECONDS`;
  measured by the local clock, or by the answer's `Date` when the two disagree by more than
  `CLOCK_SKEW_TOLERANCE_SECONDS` (a skewed host must neither hammer Okta nor wait for nothing).
- 503: retried with backoff. 500, 502, 504 and lost connections: retried with backoff for
  idempotent operations only; a create (app, client secret) is not repeated after them, since
  Okta may have acted on it and a second create would leave an orphaned app or a third secret.
- everything else is final: `NotFoundError` for 404, else `ApiError`, whose message names what
  was being done to which object.

The SDK's own rate-limit retry (`rateLimit.maxRetries`, 2 by default) is set to 0, so the policy
above, and its `RetryPolicy` budget, is the only one. The SDK's response cache is off.

The okta SDK is imported inside the methods that need it (`ssoprov.okta.sdk` builds a client of
only the API groups used), never when this module is imported. An SDK client is built per event
loop (providers call each method from a fresh `asyncio.run`, possibly on several threads);
aiohttp sessions are per request. The SDK's logger stays disabled (its debug output would include
the Authorization header); client secrets are returned only in `repr=False` fields and never put
into an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from xml.etree import ElementTree

from ssoprov.errors import ApiError, NetworkError, NotFoundError, ProvisionerError, SpecError
from ssoprov.okta.sdk import DPOP_APPS, TransportFailure, dpop_lock, sdk_client
from ssoprov.retry import DEFAULT_POLICY, RetryPolicy, retry_async
from ssoprov.saml_signing import SamlSigningKey
from ssoprov.token_endpoint_auth import CLIENT_SECRET_BASIC, TokenEndpointAuthMethod

SERVICE = "Okta"
DEFAULT_SCOPES = ("okta.apps.manage", "okta.groups.read", "okta.users.read")
RESET_MARGIN_SECONDS = 0.1
"""Waited past `X-Rate-Limit-Reset` before retrying a 429."""
CLOCK_SKEW_TOLERANCE_SECONDS = 2.0
"""Beyond this gap between the local clock and an answer's `Date`, the reset is read by `Date`."""
REQUEST_TIMEOUT_SECONDS = 30
PAGE_SIZE = 200
MAX_LISTED = 10
"""At most this many groups are named in a lookup error."""
GROUPS_PATH = "/api/v1/groups"
ISSUER_MODE = "ORG_URL"
"""Tokens name the org URL as `iss`, which is what the broker's discovery URL says. New apps would
otherwise get DYNAMIC, whose `iss` follows the domain a user signs in on (a custom domain)."""
READ_ONLY_APP_KEYS = ("_links", "_embedded")
APP_QUOTA_CAUSE = "Maximum number of instances has been reached."
"""The errorCauses summary of Okta's 400 E0000001 for an app create in an org at its app limit."""
FILTER_TYPES = ("STARTS_WITH", "EQUALS", "CONTAINS", "REGEX")
HTTPS_CHECK_ENV = "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"
WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD: TokenEndpointAuthMethod = CLIENT_SECRET_BASIC
"""What `create_oidc_web_app` registers; Okta refuses the app's client at /token any other way."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# ---------------------------------------------------------------------------------------------
# What comes out: frozen dataclasses (`as_dict()` for Pulumi outputs); secrets stay out of repr


@dataclass(frozen=True)
class OktaApp:
    id: str
    client_id: str
    label: str
    status: str
    """ACTIVE | INACTIVE."""
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    pkce_required: bool
    issuer_mode: str = ""
    """ORG_URL | DYNAMIC | CUSTOM_URL: which domain the tokens name as their issuer."""
    client_secret: str | None = field(default=None, repr=False)
    """Only from `create_oidc_web_app`: Okta shows a secret on create, never on a read."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OktaGroup:
    id: str
    name: str
    type: str
    """OKTA_GROUP | APP_GROUP (imported from a directory) | BUILT_IN (Everyone)."""
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GroupAssignment:
    group_id: str
    priority: int | None
    last_updated: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClientSecret:
    id: str
    status: str
    """ACTIVE | INACTIVE."""
    created: str | None
    secret_hash: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    """Only from `create_secret`."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GroupsClaim:
    name: str
    filter_type: str
    """STARTS_WITH | EQUALS | CONTAINS | REGEX."""
    value: str
    value_type: str = "GROUPS"
    issuer_mode: str = "ORG_URL"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SamlApp:
    """A custom SAML 2.0 app (`signOnMode: SAML_2_0`)."""

    id: str
    label: str
    status: str
    sign_on: dict[str, Any]
    """`settings.signOn` as Okta reports it, keys camelCase as on the wire."""
    signing_kid: str
    """The key (`credentials.signing.kid`) the app signs its responses and assertions with."""


@dataclass(frozen=True)
class SamlIdpEndpoints:
    """What an app's IdP metadata says about Okta's side, and where a SP fetches it without a token."""

    entity_id: str
    sso_url: str
    """The app's Single Sign-On URL, `{org}/app/{name}/{key}/sso/saml`."""
    metadata_url: str
    """The app's public metadata, `{org}/app/{key}/sso/saml/metadata` (the Sign On tab's link)."""


class OktaConfigError(ProvisionerError):
    """The Okta connection settings (environment) are missing, ambiguous or unusable."""


class AppQuotaError(ApiError):
    """The org holds as many apps as its Okta edition allows; no app was created."""

    def __init__(self, action: str, org_url: str) -> None:
        super().__init__(
            SERVICE,
            action,
            400,
            "E0000001",
            f"the Okta org {org_url} is at its app quota (Okta: {APP_QUOTA_CAUSE}). Nothing was created. "
            "Delete apps the org no longer uses (Okta admin console > Applications; deactivate, then "
            "delete) or ask Okta support to raise the org's app limit, then run `pulumi up` again.",
        )


class GroupLookupError(ProvisionerError):
    """A group named in the spec matches no Okta group, or several, by exact name."""

    def __init__(self, kind: str, name: str, matches: Sequence[str], message: str) -> None:
        self.kind = kind
        self.name = name
        self.matches = list(matches)
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# Credentials


@dataclass(frozen=True)
class OktaCredentials:
    """How to reach one Okta org: an SSWS API token, or a private_key_jwt service app."""

    org_url: str
    api_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    key_id: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @property
    def mode(self) -> str:
        return "SSWS" if self.api_token else "PrivateKey"


def okta_client_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    org_url: str | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> OktaClient:
    """An `OktaClient` from the environment (see the module docstring); `org_url` overrides
    `OKTA_ORG_URL`, for a stack whose spec names the org."""
    env = os.environ if environ is None else environ
    url = org_url or env.get("OKTA_ORG_URL", "")
    if not url:
        raise OktaConfigError(
            "Okta: OKTA_ORG_URL is not set: set it to the org URL, e.g. https://acme.okta.com"
        )
    token = env.get("OKTA_API_TOKEN")
    if token:
        return OktaClient(OktaCredentials(url, api_token=token), policy=policy)
    client_id = env.get("OKTA_CLIENT_ID")
    key = env.get("OKTA_PRIVATE_KEY")
    key_file = env.get("OKTA_PRIVATE_KEY_FILE")
    if client_id and (key or key_file):
        if not key:
            try:
                key = Path(key_file or "").read_text()
            except OSError as exc:
                raise OktaConfigError(
                    f"Okta: reading OKTA_PRIVATE_KEY_FILE {key_file}: {exc.strerror}; "
                    "point it at the service app's private key (PEM or JWK JSON)"
                ) from None
        scopes = tuple(env.get("OKTA_SCOPES", "").replace(",", " ").split()) or DEFAULT_SCOPES
        credentials = OktaCredentials(
            url, client_id=client_id, private_key=key, key_id=env.get("OKTA_KEY_ID") or None, scopes=scopes
        )
        return OktaClient(credentials, policy=policy)
    raise OktaConfigError(
        "Okta: no credentials in the environment: set OKTA_API_TOKEN (an SSWS API token), or "
        "OKTA_CLIENT_ID with OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE (an OAuth 2.0 service app)"
    )


def _checked_org_url(url: str) -> str:
    """The org URL without a trailing slash; http is allowed for loopback (the sandbox) only."""
    parts = urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname:
        return url.strip().rstrip("/")
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        # The SDK refuses http org URLs unless this is set before the client is built; a
        # `testing` key in the config dict is ignored (API-NOTES).
        os.environ[HTTPS_CHECK_ENV] = "true"
        return url.strip().rstrip("/")
    raise OktaConfigError(f"Okta: the org URL {url!r} must be https://<your org>.okta.com")


def _build_sdk_client(credentials: OktaCredentials, *, dpop: bool = False) -> Any:
    config: dict[str, Any] = {
        "orgUrl": _checked_org_url(credentials.org_url),
        "rateLimit": {"maxRetries": 0},
        "requestTimeout": REQUEST_TIMEOUT_SECONDS,
        "cache": {"enabled": False},
        "logging": {"enabled": False},
    }
    if credentials.api_token:
        config.update(authorizationMode="SSWS", token=credentials.api_token)
    else:
        config.update(
            authorizationMode="PrivateKey",
            clientId=credentials.client_id,
            scopes=list(credentials.scopes),
            privateKey=credentials.private_key,
        )
        if credentials.key_id:
            config["kid"] = credentials.key_id
    try:
        return sdk_client(config, dpop=dpop)
    except ValueError as exc:
        raise OktaConfigError(f"Okta: the SDK refused the connection settings: {exc}".strip()) from None


# ---------------------------------------------------------------------------------------------
# Errors and the retry classifier


def _header_values(headers: Any, name: str) -> list[str]:
    """All values of a header, from aiohttp's multi-dict or a plain dict, any case."""
    if headers is None:
        return []
    getall = getattr(headers, "getall", None)
    if getall is not None:
        return list(getall(name, []))
    return [value for key, value in dict(headers).items() if key.lower() == name.lower()]


def _header(headers: Any, name: str) -> str | None:
    values = _header_values(headers, name)
    return values[0] if values else None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def rate_limit_wait(headers: Any, now: float | None = None) -> float | None:
    """Seconds until `X-Rate-Limit-Reset`, plus the margin; None without the header.

    The reset is measured against the local clock unless it disagrees with the answer's `Date`
    by more than `CLOCK_SKEW_TOLERANCE_SECONDS`; then against `Date`, Okta's own clock (whole
    seconds only, so it is the fallback rather than the rule).
    """
    # Okta may send the rate-limit headers twice (org-wide and per endpoint): the earliest wins.
    resets = [float(v) for v in _header_values(headers, "X-Rate-Limit-Reset") if _is_number(v)]
    if not resets:
        return None
    clock = now if now is not None else time.time()
    date = _header(headers, "Date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            server_clock = parsedate_to_datetime(date).timestamp()
            if abs(server_clock - clock) > CLOCK_SKEW_TOLERANCE_SECONDS:
                clock = server_clock
    return max(0.0, min(resets) - clock) + RESET_MARGIN_SECONDS


def _api_error(action: str, error: Any, response: Any = None) -> ApiError:
    """An SDK failure as our ApiError; `retry_after` and `network` feed the classifier."""
    if isinstance(error, TransportFailure):
        return NetworkError(
            SERVICE,
            action,
            str(error),
            "that the org URL (identityProvider.orgUrl) is right and reachable from here",
        )
    status = getattr(error, "status", None) or getattr(response, "status", None) or 0
    code = str(getattr(error, "error_code", "") or "")
    headers = getattr(error, "headers", None) or getattr(error, "response_headers", None)
    challenge = _challenge(headers)
    if code:
        causes = [
            c.get("errorSummary", "") for c in getattr(error, "error_causes", []) if isinstance(c, dict)
        ]
        message = "; ".join(part for part in [getattr(error, "error_summary", ""), *causes] if part)
    elif challenge:
        # A DPoP-bound call refused: the OAuth error is in WWW-Authenticate, not an Okta E-code.
        code, message = challenge.get("error", ""), challenge.get("error_description", "")
    else:
        message = str(getattr(error, "message", "") or error)
    return _error(action, int(status), code, message[:500], headers)


_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def _challenge(headers: Any) -> dict[str, str]:
    """The parameters of a `WWW-Authenticate: DPoP ...` challenge (error, error_description, ...)."""
    value = _header(headers, "WWW-Authenticate") or ""
    return dict(_CHALLENGE_PARAM.findall(value)) if value.startswith("DPoP ") else {}


def _error(action: str, status: int, code: str, message: str, headers: Any = None) -> ApiError:
    kind = NotFoundError if status == 404 else ApiError
    failure = kind(SERVICE, action, status, code, message)
    failure.retry_after = rate_limit_wait(headers) if status == 429 else None  # type: ignore[attr-defined]
    failure.network = False  # type: ignore[attr-defined]
    return failure


def _unexpected(action: str, exc: Exception) -> ApiError:
    """An answer the SDK could not parse. pydantic's messages quote the offending input, which
    may be a client secret, so only the field locations and reasons are kept."""
    errors_of = getattr(exc, "errors", None)
    if callable(errors_of):
        try:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                for e in errors_of(include_input=False)
            )
        except TypeError:
            details = type(exc).__name__
    else:
        details = f"{type(exc).__name__}: {exc}"
    return ApiError(SERVICE, action, 0, "UnexpectedResponse", details[:500])


def _classifier(*, idempotent: bool) -> Callable[[Exception], float | None]:
    """Seconds to wait before retrying (0 = use backoff), or None when the failure is final."""

    def is_transient(exc: Exception) -> float | None:
        if not isinstance(exc, ApiError):
            return None
        if exc.status == 429:
            return getattr(exc, "retry_after", None) or 0.0
        if exc.status == 503:
            return 0.0
        if idempotent and (exc.status in (500, 502, 504) or getattr(exc, "network", False)):
            return 0.0
        return None

    return is_transient


def _unwrap(action: str, result: Any) -> tuple[Any, Any]:
    """(data, response) of an SDK call, raising its error as ApiError.

    Generated methods answer (data, response, error) on success and (response, error) or
    (None, response, error) on failure; they report an error answer with an empty body as a
    success, so the status is checked here too.
    """
    if not isinstance(result, tuple):
        return result, None
    if len(result) == 2:
        response, error = result
        raise _api_error(action, error, response)
    data, response, error = result
    if error is not None:
        raise _api_error(action, error, response)
    status = getattr(response, "status_code", None) or 0
    if status >= 400:
        raise _error(action, status, "", "the answer had no body", getattr(response, "headers", None))
    return data, response


def _text(value: Any) -> str:
    """An SDK enum or string as its string value."""
    return str(getattr(value, "value", value) if value is not None else "")


_LINK = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r'rel\s*=\s*"?([^";,\s]+)')


def link_targets(headers: Any) -> dict[str, str]:
    """The targets of a response's Link headers by relation (`self`, `next`), as paths with query.

    Okta sends one `Link` header per relation; a proxy may join them with commas. Both are read,
    every value of the header (the SDK's generated methods keep only the last one). Targets are
    made relative, so the next page is asked of the org URL this client was given.
    """
    targets: dict[str, str] = {}
    for value in _header_values(headers, "Link"):
        for url, params in _LINK.findall(value):
            rel = _REL.search(params)
            if rel:
                parts = urlsplit(url)
                targets[rel.group(1)] = parts.path + (f"?{parts.query}" if parts.query else "")
    return targets


def _with_query(path: str, query: Mapping[str, Any]) -> str:
    """`path?query`, every value percent-encoded (a space as %20, as Okta's examples show)."""
    return f"{path}?{urlencode(query, quote_via=quote)}"


def search_literal(value: str) -> str:
    """`value` as a string literal in an Okta filter expression: double-quoted, with quotes and
    backslashes (and control characters) escaped the JSON way, which is SCIM's."""
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# The client


class OktaClient:
    """Okta management operations for the providers; see the module docstring."""

    def __init__(self, credentials: OktaCredentials, *, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        _checked_org_url(credentials.org_url)
        self._credentials = credentials
        self._policy = policy
        self._sdk_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._sdk_lock = threading.Lock()
        self._dpop_clients: weakref.WeakSet[Any] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"OktaClient({self._credentials.org_url!r}, mode={self._credentials.mode})"

    @property
    def org_url(self) -> str:
        return self._credentials.org_url.rstrip("/")

    def _sdk(self, *, rebuild: bool = False) -> Any:
        """The SDK client of the running event loop: its OAuth token lock belongs to one loop, and
        providers may call one OktaClient from several threads, each in its own `asyncio.run`."""
        loop = asyncio.get_running_loop()
        with self._sdk_lock:
            client = None if rebuild else self._sdk_clients.get(loop)
            if client is None:
                dpop = self._service_app in DPOP_APPS
                client = self._sdk_clients[loop] = _build_sdk_client(self._credentials, dpop=dpop)
                if dpop:
                    self._dpop_clients.add(client)
            return client

    @property
    def _service_app(self) -> tuple[str, str]:
        return (self.org_url, self._credentials.client_id or "")

    def _asks_for_dpop(self, exc: ApiError, sdk: Any) -> bool:
        """True when the token endpoint refused `sdk`, a client without DPoP, with Okta's
        invalid_dpop_proof ("The DPoP proof JWT header is missing."): the service app requires
        DPoP. Every client of this process then uses DPoP for that app."""
        if self._credentials.mode != "PrivateKey" or sdk in self._dpop_clients:
            return False
        if exc.status != 400 or exc.code != "invalid_dpop_proof":
            return False
        with dpop_lock:
            DPOP_APPS.add(self._service_app)
        return True

    async def _call(
        self, action: str, operation: Callable[[Any], Awaitable[Any]], *, idempotent: bool = True
    ) -> tuple[Any, Any]:
        """Run one SDK call under the retry policy; (data, response) or a raised ApiError."""
        # Built (and the SDK imported, about 1 s) before the loop: the retry budget is for the service.
        sdk = self._sdk()

        async def once(client: Any) -> tuple[Any, Any]:
            try:
                result = await operation(client)
            except TransportFailure as exc:
                raise _api_error(action, exc) from None
            except (ApiError, OktaConfigError):
                raise
            except Exception as exc:
                raise _unexpected(action, exc) from None
            return _unwrap(action, result)

        async def attempt() -> tuple[Any, Any]:
            nonlocal sdk
            try:
                return await once(sdk)
            except ApiError as exc:
                if not self._asks_for_dpop(exc, sdk):
                    raise
            # The token request failed, so the operation itself was never sent: safe to repeat.
            sdk = self._sdk(rebuild=True)
            return await once(sdk)

        return await retry_async(
            attempt,
            describe=f"{SERVICE}: {action}",
            is_transient=_classifier(idempotent=idempotent),
            policy=self._policy,
        )

    async def _raw(
        self, action: str, method: str, path: str, body: dict | None = None, *, idempotent: bool = True
    ) -> Any:
        """A request through the SDK's request executor, for endpoints the SDK has no method for."""
        data, _ = await self._send(action, method, path, body, idempotent=idempotent)
        return data

    async def _send(
        self, action: str, method: str, path: str, body: dict | None = None, *, idempotent: bool = True
    ) -> tuple[Any, Any]:
        """(parsed JSON body, response headers) of one request through the request executor. The body
        goes out exactly as given: empty values are kept, not stripped as the executor would."""

        async def operation(sdk: Any) -> tuple[Any, Any, Any]:
            executor = sdk.get_request_executor()
            request, error = await executor.create_request(method, path, body, {}, keep_empty_params=True)
            if error is not None:
                raise _api_error(action, error)
            response, response_body, error = await executor.execute(request)
            if error is not None:
                raise _api_error(action, error, response)
            if response.status >= 400:
                raise _error(action, response.status, "", "the answer had no body", response.headers)
            return (json.loads(response_body) if response_body else None), response.headers, None

        return await self._call(action, operation, idempotent=idempotent)

    async def _pages(self, action: str, path: str, query: Mapping[str, Any]) -> list[dict]:
        """Every item of a paginated list: the first page, then each `next` Link until there is none."""
        items: list[dict] = []
        url: str | None = _with_query(path, query)
        while url:
            page, headers = await self._send(action, "GET", url)
            items.extend(page or [])
            url = link_targets(headers).get("next") if page else None
        return items

    # -- apps -----------------------------------------------------------------------------------

    async def create_oidc_web_app(
        self,
        label: str,
        redirect_uris: Sequence[str],
        post_logout_redirect_uris: Sequence[str] = (),
        *,
        pkce_required: bool = False,
        issuer_mode: str = ISSUER_MODE,
        token_endpoint_auth_method: str = WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD,
    ) -> OktaApp:
        """Create and activate an OIDC Web app: authorization_code with response type code, a
        confidential client (client_secret_basic, or private_key_jwt: no secret, its keys added
        with `add_jwk`), consent TRUSTED. The answer holds the client secret, which Okta shows only
        now. PKCE is off by default because the broker is the client and authenticates with its
        secret or key; pass True if the broker sends PKCE."""
        from okta.models.application_credentials_o_auth_client import ApplicationCredentialsOAuthClient
        from okta.models.o_auth_application_credentials import OAuthApplicationCredentials
        from okta.models.open_id_connect_application import OpenIdConnectApplication
        from okta.models.open_id_connect_application_settings import OpenIdConnectApplicationSettings
        from okta.models.open_id_connect_application_settings_client import (
            OpenIdConnectApplicationSettingsClient,
        )

        # The models serialize their defaults (pkce_required True, ...): set all a web app needs.
        app = OpenIdConnectApplication(
            name="oidc_client",
            label=label,
            sign_on_mode="OPENID_CONNECT",
            credentials=OAuthApplicationCredentials(
                oauth_client=ApplicationCredentialsOAuthClient(
                    token_endpoint_auth_method=token_endpoint_auth_method,
                    pkce_required=pkce_required,
                    auto_key_rotation=True,
                )
            ),
            settings=OpenIdConnectApplicationSettings(
                oauth_client=OpenIdConnectApplicationSettingsClient(
                    application_type="web",
                    grant_types=["authorization_code"],
                    response_types=["code"],
                    redirect_uris=list(redirect_uris),
                    post_logout_redirect_uris=list(post_logout_redirect_uris) or None,
                    consent_method="TRUSTED",
                    issuer_mode=issuer_mode,
                )
            ),
        )
        action = f"creating OIDC web app '{label}' in {self.org_url}"
        try:
            created, _ = await self._call(
                action, lambda sdk: sdk.create_application(app, activate=True), idempotent=False
            )
        except ApiError as exc:
            raise _at_quota(exc, action, self.org_url) from None
        return _app_from_json(action, created.to_dict(), with_secret=True)

    async def get_app(self, app_id: str) -> OktaApp:
        """The app as Okta has it now (no client secret); NotFoundError if it is gone."""
        action = f"reading app {app_id}"
        return _app_from_json(action, await self._raw(action, "GET", f"/api/v1/apps/{app_id}"))

    async def update_app(
        self,
        app_id: str,
        *,
        label: str | None = None,
        redirect_uris: Sequence[str] | None = None,
        post_logout_redirect_uris: Sequence[str] | None = None,
        issuer_mode: str | None = None,
        token_endpoint_auth_method: str | None = None,
    ) -> OktaApp:
        """Change the label, redirect URIs and/or issuer mode; None leaves a field as it is.

        Okta replaces the whole app on PUT, so the app is read as JSON and written back with only
        these fields changed: everything else an admin set (notes, provisioning, visibility, fields
        newer than the SDK's models) goes back as Okta sent it. The SDK's models would drop what
        they do not know, and Okta would reset it.
        """
        changes = {
            "label": label,
            "redirect URIs": redirect_uris,
            "post-logout redirect URIs": post_logout_redirect_uris,
            "issuer mode": issuer_mode,
            "token endpoint auth method": token_endpoint_auth_method,
        }
        changed = [name for name, value in changes.items() if value is not None]
        action = f"updating {', '.join(changed) or 'nothing'} of app {app_id}"
        path = f"/api/v1/apps/{app_id}"
        current = await self._raw(action, "GET", path)
        _app_from_json(action, current)  # refuses anything but an OIDC app
        body = {key: value for key, value in current.items() if key not in READ_ONLY_APP_KEYS}
        oauth_settings = body["settings"]["oauthClient"]
        if label is not None:
            body["label"] = label
        if redirect_uris is not None:
            oauth_settings["redirect_uris"] = list(redirect_uris)
        if post_logout_redirect_uris is not None:
            oauth_settings["post_logout_redirect_uris"] = list(post_logout_redirect_uris)
        if issuer_mode is not None:
            oauth_settings["issuer_mode"] = issuer_mode
        if token_endpoint_auth_method is not None:
            body["credentials"]["oauthClient"]["token_endpoint_auth_method"] = token_endpoint_auth_method
        return _app_from_json(action, await self._raw(action, "PUT", path, body))

    # -- SAML 2.0 apps ---------------------------------------------------------------------------

    async def create_saml_app(self, label: str, sign_on: Mapping[str, Any]) -> SamlApp:
        """Create and activate a custom SAML 2.0 app with these `settings.signOn`; Okta gives it its
        first signing key. Not retried after an ambiguous failure: a second app would be left over."""
        action = f"creating SAML 2.0 app '{label}' in {self.org_url}"
        body = {"label": label, "signOnMode": "SAML_2_0", "settings": {"signOn": dict(sign_on)}}
        try:
            created = await self._raw(action, "POST", "/api/v1/apps?activate=true", body, idempotent=False)
        except ApiError as exc:
            raise _at_quota(exc, action, self.org_url) from None
        return _saml_app_from_json(action, created)

    async def get_saml_app(self, app_id: str) -> SamlApp:
        """The SAML app as Okta has it now; NotFoundError if it is gone."""
        action = f"reading SAML app {app_id}"
        return _saml_app_from_json(action, await self._raw(action, "GET", f"/api/v1/apps/{app_id}"))

    async def update_saml_app(self, app_id: str, label: str, sign_on: Mapping[str, Any]) -> SamlApp:
        """Set the label and these `settings.signOn` keys. As for OIDC apps (`update_app`), the app
        is read as JSON and written back whole, so what else an admin set stays as it was."""
        action = f"updating the label and SAML settings of app {app_id}"
        path = f"/api/v1/apps/{app_id}"
        current = await self._raw(action, "GET", path)
        _saml_app_from_json(action, current)  # refuses anything but a SAML app
        body = {key: value for key, value in current.items() if key not in READ_ONLY_APP_KEYS}
        body["label"] = label
        body["settings"]["signOn"] = {**body["settings"]["signOn"], **sign_on}
        return _saml_app_from_json(action, await self._raw(action, "PUT", path, body))

    async def list_saml_keys(self, app_id: str) -> list[SamlSigningKey]:
        """The app's signing key credentials, the one it signs with and any generated beside it."""
        action = f"listing the signing keys of app {app_id}"
        found, _ = await self._call(action, lambda sdk: sdk.list_application_keys(app_id))
        return [_saml_key_from_sdk(key) for key in found or []]

    async def generate_saml_key(self, app_id: str, validity_years: int) -> SamlSigningKey:
        """A new key credential on the app, valid `validity_years` (Okta takes 2 to 10); it signs
        nothing until the app's `credentials.signing.kid` names it. Not retried after an ambiguous
        failure: the caller finds a key made by a lost answer among the app's keys instead."""
        action = f"generating a signing key for app {app_id}"
        found, _ = await self._call(
            action, lambda sdk: sdk.generate_application_key(app_id, validity_years), idempotent=False
        )
        return _saml_key_from_sdk(found)

    async def switch_saml_signing_key(self, app_id: str, kid: str) -> SamlApp:
        """Make the app sign with its key `kid` (`credentials.signing.kid`, Replace an Application).
        The app is read and written back whole, as in `update_saml_app`."""
        action = f"switching the signing key of app {app_id} to {kid}"
        path = f"/api/v1/apps/{app_id}"
        current = await self._raw(action, "GET", path)
        _saml_app_from_json(action, current)
        body = {key: value for key, value in current.items() if key not in READ_ONLY_APP_KEYS}
        credentials = dict(body.get("credentials") or {})
        credentials["signing"] = {**(credentials.get("signing") or {}), "kid": kid}
        body["credentials"] = credentials
        return _saml_app_from_json(action, await self._raw(action, "PUT", path, body))

    async def saml_idp_endpoints(self, app_id: str, kid: str) -> SamlIdpEndpoints:
        """Okta's entity ID and SSO URL for the app, from its metadata preview for key `kid`, and the
        app's public metadata URL, which is derived from the SSO URL (the same `exk...` key)."""
        action = f"reading the SAML metadata of app {app_id}"
        document, _ = await self._call(
            action, lambda sdk: sdk.preview_sam_lmetadata_for_application(app_id, kid)
        )
        return saml_endpoints_from_metadata(action, document or "", self.org_url)

    # -- an app's public keys (private_key_jwt) ---------------------------------------------------

    async def add_jwk(self, app_id: str, jwk: Mapping[str, str]) -> dict[str, Any]:
        """Add an ACTIVE signing key (kid, kty, alg, n, e) to the app's JWKS; Okta's record of it
        (`id`, `kid`, `status`). Not retried: a second add of the same kid is refused."""
        body = {**jwk, "status": "ACTIVE", "use": "sig"}
        action = f"adding key {jwk.get('kid')} to app {app_id}"
        return await self._raw(
            action, "POST", f"/api/v1/apps/{app_id}/credentials/jwks", body, idempotent=False
        )

    async def get_jwk(self, app_id: str, key_id: str) -> dict[str, Any]:
        """One key of the app's JWKS by Okta's id; NotFoundError if it is gone."""
        action = f"reading key {key_id} of app {app_id}"
        return await self._raw(action, "GET", f"/api/v1/apps/{app_id}/credentials/jwks/{key_id}")

    async def remove_jwk(self, app_id: str, key_id: str) -> None:
        """Deactivate the key, then delete it (Okta deletes INACTIVE keys only); gone is fine."""
        path = f"/api/v1/apps/{app_id}/credentials/jwks/{key_id}"
        try:
            key = await self._raw(f"reading key {key_id} of app {app_id}", "GET", path)
            if key.get("status") == "ACTIVE":
                await self._raw(
                    f"deactivating key {key_id} of app {app_id}", "POST", f"{path}/lifecycle/deactivate"
                )
            await self._raw(f"deleting key {key_id} of app {app_id}", "DELETE", path)
        except NotFoundError:
            return

    async def deactivate_and_delete_app(self, app_id: str) -> None:
        """Deactivate, then delete (Okta deletes INACTIVE apps only). An app already gone is fine."""
        try:
            await self._call(f"deactivating app {app_id}", lambda sdk: sdk.deactivate_application(app_id))
            await self._call(f"deleting app {app_id}", lambda sdk: sdk.delete_application(app_id))
        except NotFoundError:
            return

    # -- groups ---------------------------------------------------------------------------------

    async def find_group_by_name(self, name: str) -> OktaGroup:
        """The one group named exactly `name`.

        Asked with a `search` expression (`profile.name eq "..."`), which pages: Okta's `q` is a
        prefix match that answers at most 300 groups and cannot be paged, so in a large org the
        group may not be among them. Search ignores case, so the names are compared here.
        """
        action = f"finding the Okta group named '{name}'"
        expression = f"profile.name eq {search_literal(name)}"
        found = await self._pages(action, GROUPS_PATH, {"search": expression, "limit": PAGE_SIZE})
        groups = [_group_from_json(g) for g in found]
        exact = [g for g in groups if g.name == name]
        if len(exact) == 1:
            return exact[0]
        if exact:
            listed = ", ".join(f"{g.id} ({g.type})" for g in exact[:MAX_LISTED])
            more = f" and {len(exact) - MAX_LISTED} more" if len(exact) > MAX_LISTED else ""
            raise GroupLookupError(
                "group",
                name,
                [g.id for g in exact],
                f"{SERVICE}: {action}: {len(exact)} groups have exactly this name ({listed}{more}); "
                "rename one of them in Okta so the name picks a single group.",
            )
        near = [g.name for g in groups if g.name.lower() == name.lower()]
        hint = f" Did you mean '{near[0]}'? Names are compared exactly." if near else ""
        if not near:
            query = {"search": f"profile.name sw {search_literal(name)}", "limit": MAX_LISTED}
            starting, _ = await self._send(action, "GET", _with_query(GROUPS_PATH, query))
            others = [_group_from_json(g).name for g in starting or []][:5]
            hint = f" Groups starting with it: {', '.join(others)}." if others else ""
        raise GroupLookupError(
            "group",
            name,
            [],
            f"{SERVICE}: {action}: no group has exactly this name in {self.org_url}.{hint} "
            "Check the group name in the stack file; a group created or renamed in the last minute "
            "may not be in Okta's search index yet, then run again.",
        )

    async def get_group(self, group_id: str) -> OktaGroup:
        """The group with this id (adoption names assigned groups as the spec does)."""
        found, _ = await self._send(f"reading group {group_id}", "GET", f"{GROUPS_PATH}/{group_id}")
        return _group_from_json(found)

    async def list_app_groups(self, app_id: str) -> list[GroupAssignment]:
        action = f"listing the groups assigned to app {app_id}"
        found = await self._pages(action, f"/api/v1/apps/{app_id}/groups", {"limit": PAGE_SIZE})
        return [_assignment_from_json(a) for a in found]

    async def get_app_group(self, app_id: str, group_id: str) -> GroupAssignment:
        """One group's assignment to the app; NotFoundError if the group is not assigned (or the app
        is gone)."""
        action = f"reading the assignment of group {group_id} to app {app_id}"
        found, _ = await self._call(
            action, lambda sdk: sdk.get_application_group_assignment(app_id, group_id)
        )
        return _assignment_from_model(found)

    async def assign_group(
        self, app_id: str, group_id: str, *, group_name: str | None = None, priority: int | None = None
    ) -> GroupAssignment:
        """Assign a group to the app (PUT, so assigning again is harmless)."""
        action = f"assigning group {_group_label(group_id, group_name)} to app {app_id}"

        async def assign(sdk: Any) -> Any:
            body = None
            if priority is not None:
                from okta.models.application_group_assignment import ApplicationGroupAssignment

                body = ApplicationGroupAssignment(priority=priority)
            return await sdk.assign_group_to_application(app_id, group_id, body)

        assigned, _ = await self._call(action, assign)
        return _assignment_from_model(assigned)

    async def unassign_group(self, app_id: str, group_id: str, *, group_name: str | None = None) -> None:
        """Remove a group's assignment; one already gone is fine."""
        action = f"removing group {_group_label(group_id, group_name)} from app {app_id}"
        try:
            await self._call(action, lambda sdk: sdk.unassign_application_from_group(app_id, group_id))
        except NotFoundError:
            return

    # -- legacy groups claim (internal endpoint, SSWS only) ---------------------------------------

    def _claim_path(self, app_id: str, action: str) -> str:
        if self._credentials.mode != "SSWS":
            raise OktaConfigError(
                f"{SERVICE}: {action}: Okta serves the legacy groups claim to SSWS API tokens only; "
                "set OKTA_API_TOKEN for this stack"
            )
        return f"/api/v1/internal/apps/{app_id}/settings/oauth/idToken"

    async def get_groups_claim(self, app_id: str) -> GroupsClaim | None:
        """The app's legacy ID-token groups claim, or None if none is set."""
        action = f"reading the groups claim of app {app_id}"
        body = await self._raw(action, "GET", self._claim_path(app_id, action)) or {}
        if not body.get("name"):
            return None
        return GroupsClaim(
            name=body["name"],
            filter_type=body.get("groupFilterType", ""),
            value=body.get("value", ""),
            value_type=body.get("valueType", "GROUPS"),
            issuer_mode=body.get("issuerMode", "ORG_URL"),
        )

    async def set_groups_claim(
        self, app_id: str, name: str, filter_type: str, value: str, *, issuer_mode: str = "ORG_URL"
    ) -> GroupsClaim:
        """Set the legacy "Groups claim type: Filter": a claim `name` listing the user's groups whose
        name matches `value` by `filter_type` (STARTS_WITH | EQUALS | CONTAINS | REGEX, any case)."""
        kind = filter_type.upper()
        if kind not in FILTER_TYPES:
            raise SpecError(
                f"{SERVICE}: groups claim filter type {filter_type!r} is not one of "
                f"{', '.join(t.lower() for t in FILTER_TYPES)}"
            )
        action = f"setting the groups claim '{name}' ({kind} {value!r}) of app {app_id}"
        body = {
            "valueType": "GROUPS",
            "groupFilterType": kind,
            "issuerMode": issuer_mode,
            "name": name,
            "value": value,
        }
        await self._raw(action, "POST", self._claim_path(app_id, action), body)
        return GroupsClaim(name=name, filter_type=kind, value=value, issuer_mode=issuer_mode)

    # -- client secrets -------------------------------------------------------------------------

    async def list_secrets(self, app_id: str) -> list[ClientSecret]:
        """The app's client secrets, without their values."""
        action = f"listing the client secrets of app {app_id}"
        found, _ = await self._call(action, lambda sdk: sdk.list_o_auth2_client_secrets(app_id))
        return [_secret_from_model(s) for s in found or []]

    async def get_secret(self, app_id: str, secret_id: str) -> ClientSecret:
        """One client secret, without its value; NotFoundError if it (or the app) is gone."""
        action = f"reading client secret {secret_id} of app {app_id}"
        found, _ = await self._call(action, lambda sdk: sdk.get_o_auth2_client_secret(app_id, secret_id))
        return _secret_from_model(found)

    async def create_secret(self, app_id: str) -> ClientSecret:
        """A new, ACTIVE, Okta-generated secret; its value is in `client_secret`. Okta allows two
        secrets per app: deactivate and delete an old one first when there are two."""
        action = f"creating a client secret for app {app_id}"
        created, _ = await self._call(
            action, lambda sdk: sdk.create_o_auth2_client_secret(app_id), idempotent=False
        )
        return _secret_from_model(created, with_value=True)

    async def deactivate_secret(self, app_id: str, secret_id: str) -> ClientSecret:
        """Deactivate a secret (Okta refuses for the app's only ACTIVE one). Already INACTIVE is fine."""
        action = f"deactivating client secret {secret_id} of app {app_id}"
        try:
            done, _ = await self._call(
                action, lambda sdk: sdk.deactivate_o_auth2_client_secret(app_id, secret_id)
            )
        except ApiError as exc:
            if exc.status != 400:
                raise
            current, _ = await self._call(
                action, lambda sdk: sdk.get_o_auth2_client_secret(app_id, secret_id)
            )
            if _text(current.status) != "INACTIVE":
                raise exc from None
            done = current
        return _secret_from_model(done)

    async def delete_secret(self, app_id: str, secret_id: str) -> None:
        """Delete an INACTIVE secret (Okta refuses an ACTIVE one). One already gone is fine."""
        action = f"deleting client secret {secret_id} of app {app_id}"
        try:
            await self._call(action, lambda sdk: sdk.delete_o_auth2_client_secret(app_id, secret_id))
        except NotFoundError:
            return


# ---------------------------------------------------------------------------------------------
# SDK models to dataclasses


def _group_label(group_id: str, group_name: str | None) -> str:
    return f"{group_name} ({group_id})" if group_name else group_id


def _app_from_json(action: str, app: Mapping[str, Any], *, with_secret: bool = False) -> OktaApp:
    """An app as Okta's JSON shows it (or an SDK model's `to_dict()`, whose enums `_text` reads)."""
    sign_on = _text(app.get("signOnMode"))
    oauth_credentials = (app.get("credentials") or {}).get("oauthClient")
    oauth_settings = (app.get("settings") or {}).get("oauthClient")
    if sign_on != "OPENID_CONNECT" or oauth_credentials is None or oauth_settings is None:
        raise ApiError(
            SERVICE,
            action,
            0,
            "NotAnOidcApp",
            f"the app signs on with {sign_on or 'nothing'}, not OPENID_CONNECT",
        )
    return OktaApp(
        id=app["id"],
        client_id=oauth_credentials.get("client_id") or app["id"],
        label=app.get("label") or "",
        status=_text(app.get("status")),
        redirect_uris=list(oauth_settings.get("redirect_uris") or []),
        post_logout_redirect_uris=list(oauth_settings.get("post_logout_redirect_uris") or []),
        grant_types=[_text(g) for g in oauth_settings.get("grant_types") or []],
        response_types=[_text(r) for r in oauth_settings.get("response_types") or []],
        token_endpoint_auth_method=_text(oauth_credentials.get("token_endpoint_auth_method")),
        pkce_required=bool(oauth_credentials.get("pkce_required")),
        issuer_mode=_text(oauth_settings.get("issuer_mode")),
        client_secret=oauth_credentials.get("client_secret") if with_secret else None,
    )


def _at_quota(exc: ApiError, action: str, org_url: str) -> ApiError:
    """Okta's refusal of an app create in an org at its app limit, said so; any other error as is."""
    if exc.status == 400 and APP_QUOTA_CAUSE in exc.message:
        return AppQuotaError(action, org_url)
    return exc


def _saml_key_from_sdk(key: Any) -> SamlSigningKey:
    """A `JsonWebKey` of the SDK as a SamlSigningKey."""

    def moment(value: Any) -> str:
        return value.isoformat() if hasattr(value, "isoformat") else str(value or "")

    return SamlSigningKey(
        kid=key.kid or "",
        certificate=(key.x5c or [""])[0],
        expires_at=moment(key.expires_at),
        created=moment(key.created),
    )


def _saml_app_from_json(action: str, app: Mapping[str, Any]) -> SamlApp:
    sign_on = (app.get("settings") or {}).get("signOn")
    if app.get("signOnMode") != "SAML_2_0" or not isinstance(sign_on, dict):
        raise ApiError(
            SERVICE,
            action,
            0,
            "NotASamlApp",
            f"the app signs on with {app.get('signOnMode') or 'nothing'}, not SAML_2_0",
        )
    return SamlApp(
        id=app["id"],
        label=app.get("label") or "",
        status=app.get("status") or "",
        sign_on=dict(sign_on),
        signing_kid=((app.get("credentials") or {}).get("signing") or {}).get("kid") or "",
    )


_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
_SSO_PATH = re.compile(r"^/app/[^/]+/(?P<key>[^/]+)/sso/saml$")


def saml_endpoints_from_metadata(action: str, document: str, org_url: str) -> SamlIdpEndpoints:
    """The entity ID and Redirect-binding SSO URL of Okta's IdP metadata for one app, and its public
    metadata URL (`/app/{key}/sso/saml/metadata`, the key being the SSO URL's `exk...` part)."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise ApiError(SERVICE, action, 0, "UnexpectedResponse", f"the metadata is not XML: {exc}") from None
    services = root.findall(f"{_MD}IDPSSODescriptor/{_MD}SingleSignOnService")
    redirect = [s for s in services if s.get("Binding", "").endswith(":HTTP-Redirect")]
    sso_url = (redirect or services or [None])[0]
    location = sso_url.get("Location", "") if sso_url is not None else ""
    found = _SSO_PATH.match(urlsplit(location).path)
    if not root.get("entityID") or found is None:
        raise ApiError(
            SERVICE,
            action,
            0,
            "UnexpectedResponse",
            f"the metadata names no entity ID or no SSO URL of the form /app/<name>/<key>/sso/saml "
            f"(found {location!r})",
        )
    return SamlIdpEndpoints(
        entity_id=root.get("entityID", ""),
        sso_url=location,
        metadata_url=f"{org_url.rstrip('/')}/app/{found['key']}/sso/saml/metadata",
    )


def _group_from_json(group: Mapping[str, Any]) -> OktaGroup:
    profile = group.get("profile") or {}
    return OktaGroup(
        id=group["id"],
        name=profile.get("name") or "",
        type=group.get("type") or "",
        description=profile.get("description") or "",
    )


def _assignment_from_json(assignment: Mapping[str, Any]) -> GroupAssignment:
    return GroupAssignment(
        group_id=assignment["id"],
        priority=assignment.get("priority"),
        last_updated=assignment.get("lastUpdated"),
    )


def _assignment_from_model(assignment: Any) -> GroupAssignment:
    updated = assignment.last_updated
    return GroupAssignment(
        group_id=assignment.id,
        priority=assignment.priority,
        last_updated=updated.isoformat() if hasattr(updated, "isoformat") else updated,
    )


def _secret_from_model(secret: Any, *, with_value: bool = False) -> ClientSecret:
    return ClientSecret(
        id=secret.id,
        status=_text(secret.status),
        created=secret.created,
        secret_hash=secret.secret_hash,
        client_secret=secret.client_secret if with_value else None,
    )
