"""An async Microsoft Graph client for the Entra ID providers: plain dicts in and out, no Pulumi.

Every method is one logical operation ("adding password to application <id>") run through
`ssoprov.retry.retry_async` with a Graph classifier:

- transient: 429 and 503 (honouring `Retry-After`), and for idempotent operations (GET, PATCH,
  DELETE) also 502, 504 and network errors. A create (POST) is not repeated after a 502/504
  or a lost connection, because Graph may have acted on it and a second create would leave an
  orphaned application or secret behind.
- transient, eventual consistency: a 404 on an object this process created in the last few
  minutes; 400 "...does not reference a valid application object" when creating a service
  principal; 400 "Not a valid reference update" when assigning; a new password that reads of
  its application do not list yet (addPassword waits for it, as terraform-provider-azuread does).
- final: everything else, raised as `ApiError` / `NotFoundError` whose message says what was
  being done to which object.

msgraph-sdk's own RetryHandler middleware (429/503/504, up to 3 retries by default) is
switched off (`RetryHandlerOption(max_retries=0, should_retry=False)`), so the policy above,
and its budget, is the only one: retries are bounded by `RetryPolicy` alone.

Answers are parsed into `read_models`: the SDK's models with only the properties read, because
parsing any Graph object with the SDK's own model imports all ~1,200 entity types (1.5 s of CPU).

A `GraphServiceClient` and its httpx client are built per method call and closed at its end,
because providers call each method from a fresh `asyncio.run`, and an httpx client must not
outlive its event loop. Secret values (`secret_text`) are returned to the caller and never
logged or put into an error message.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from email.utils import parsedate_to_datetime
from typing import Any, NotRequired, TypedDict, TypeVar
from urllib.parse import urlsplit

import httpx
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphServiceClient
from msgraph.generated.application_templates.item.instantiate.instantiate_post_request_body import (
    InstantiatePostRequestBody,
)
from msgraph.generated.applications.item.add_password.add_password_post_request_body import (
    AddPasswordPostRequestBody,
)
from msgraph.generated.applications.item.application_item_request_builder import (
    ApplicationItemRequestBuilder,
)
from msgraph.generated.applications.item.remove_password.remove_password_post_request_body import (
    RemovePasswordPostRequestBody,
)
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.api_application import ApiApplication
from msgraph.generated.models.app_role import AppRole
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.application import Application
from msgraph.generated.models.key_credential import KeyCredential
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.optional_claim import OptionalClaim
from msgraph.generated.models.optional_claims import OptionalClaims
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.required_resource_access import RequiredResourceAccess
from msgraph.generated.models.resource_access import ResourceAccess
from msgraph.generated.models.self_signed_certificate import SelfSignedCertificate
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.web_application import WebApplication
from msgraph.generated.oauth2_permission_grants.oauth2_permission_grants_request_builder import (
    Oauth2PermissionGrantsRequestBuilder,
)
from msgraph.generated.service_principals.item.add_token_signing_certificate.add_token_signing_certificate_post_request_body import (  # noqa: E501
    AddTokenSigningCertificatePostRequestBody,
)
from msgraph.generated.service_principals.item.service_principal_item_request_builder import (
    ServicePrincipalItemRequestBuilder,
)
from msgraph.generated.users.item.transitive_member_of.transitive_member_of_request_builder import (
    TransitiveMemberOfRequestBuilder,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_request_adapter import options as graph_default_options
from msgraph_core import GraphClientFactory

from ssoprov.entra.graph_auth import endpoint_from_env
from ssoprov.entra.read_models import (
    APP_ROLE_ASSIGNMENT,
    APP_ROLE_ASSIGNMENTS,
    APPLICATION,
    APPLICATION_SERVICE_PRINCIPAL,
    DIRECTORY_OBJECTS,
    GRANT,
    GRANTS,
    GROUP,
    GROUPS,
    SERVICE_PRINCIPAL,
    USER,
    fetch,
)
from ssoprov.errors import ApiError, NetworkError, NotFoundError, ProvisionerError
from ssoprov.retry import DEFAULT_POLICY, RetryPolicy, retry_async
from ssoprov.saml_signing import SamlSigningKey

SERVICE = "Microsoft Graph"
DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000"
"""The "default access" app role: assign a user or group to an app that defines no roles."""
NON_GALLERY_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
"""The application template behind the admin center's "Create your own application" (global cloud)."""

RECENT_CREATE_WINDOW_SECONDS = 300.0
"""How long after this process created an object a 404 for it counts as replication lag."""

_NOT_A_VALID_APPLICATION = "does not reference a valid application object"
_NOT_A_VALID_REFERENCE = "not a valid reference update"
_ALREADY_ASSIGNED = "already exists"

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# What goes in and comes out: plain dicts, snake_case, fit for Pulumi outputs


class IdTokenClaim(TypedDict):
    name: str
    essential: NotRequired[bool]
    source: NotRequired[str | None]
    additional_properties: NotRequired[list[str]]


class ResourceAccessEntry(TypedDict):
    id: str
    type: str
    """"Scope" (delegated permission) or "Role" (application permission)."""


class RequiredResource(TypedDict):
    resource_app_id: str
    resource_access: list[ResourceAccessEntry]


class ApplicationSpec(TypedDict, total=False):
    """Properties of an app registration; `display_name` is required to create one."""

    display_name: str
    sign_in_audience: str
    """AzureADMyOrg | AzureADMultipleOrgs | AzureADandPersonalMicrosoftAccount | PersonalMicrosoftAccount."""
    redirect_uris: list[str]
    """Web platform redirect URIs: https, or http for localhost only."""
    id_token_claims: list[IdTokenClaim]
    group_membership_claims: str | None
    """None | SecurityGroup | All | ApplicationGroup | DirectoryRole (comma-joined); None clears it."""
    required_resource_access: list[RequiredResource]
    requested_access_token_version: int | None
    """api.requestedAccessTokenVersion: 1, 2 or None; Graph requires 2 for personal-account audiences."""
    unique_name: str
    """Create only: Graph refuses to change it later."""
    identifier_uris: list[str]
    """The app's identifiers; for SAML, the first is the SP entity ID the assertions are for."""


class PasswordInfo(TypedDict):
    key_id: str
    display_name: str | None
    hint: str | None
    start_date_time: str | None
    end_date_time: str | None


class PasswordSecret(PasswordInfo):
    secret_text: str
    """The secret value: Graph returns it once, from addPassword. Treat as a Pulumi secret."""


class ApplicationInfo(TypedDict):
    object_id: str
    app_id: str
    display_name: str | None
    sign_in_audience: str | None
    redirect_uris: list[str]
    id_token_claims: list[IdTokenClaim]
    group_membership_claims: str | None
    required_resource_access: list[RequiredResource]
    requested_access_token_version: int | None
    unique_name: str | None
    identifier_uris: list[str]
    passwords: list[PasswordInfo]
    created_date_time: str | None


class ServicePrincipalInfo(TypedDict):
    object_id: str
    app_id: str
    display_name: str | None
    app_role_assignment_required: bool
    account_enabled: bool
    preferred_single_sign_on_mode: str | None


class AssignmentInfo(TypedDict):
    assignment_id: str
    principal_id: str
    principal_type: str | None
    principal_display_name: str | None
    app_role_id: str
    resource_id: str


class AppRoleInfo(TypedDict):
    """An app role of an application: what the `roles` claim carries for those assigned to it."""

    id: str
    value: str | None
    display_name: str
    description: str
    allowed_member_types: list[str]
    is_enabled: bool


class KeyCredentialInfo(TypedDict):
    """A certificate on an application (keyCredentials): `key` is its DER, which Graph returns only
    to a read that selects keyCredentials, so a PATCH (which replaces the whole list) can send it back."""

    key_id: str
    key: bytes | None
    custom_key_identifier: bytes | None
    display_name: str | None
    start_date_time: datetime.datetime | None
    end_date_time: datetime.datetime | None
    type: str
    usage: str


class GrantInfo(TypedDict):
    """A delegated permission grant (oAuth2PermissionGrant)."""

    grant_id: str
    client_id: str
    """The client's service principal object id."""
    resource_id: str
    """The API's service principal object id (Microsoft Graph's, for the sign-in scopes)."""
    consent_type: str
    """AllPrincipals (admin consent for the whole tenant) or Principal (one user)."""
    scopes: list[str]
    """The consented delegated permissions, sorted."""


class DirectoryLookupError(ProvisionerError):
    """A user or group named in the spec matches no directory object, or several."""

    def __init__(self, kind: str, name: str, matches: Sequence[str], message: str) -> None:
        self.kind = kind
        self.name = name
        self.matches = list(matches)
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# Objects this process created recently: a 404 for them is replication lag, not absence


class _RecentlyCreated:
    """Ids of objects this process created, for telling replication lag from absence.

    One `add` records one object under all the ids it is looked up by (an application's object
    id and appId). Objects made for an application (its service principal, assignments) join
    the application's family via `related_to`, so deleting the application forgets them all.
    """

    def __init__(self) -> None:
        self._created: dict[str, tuple[float, int, int]] = {}  # id -> (when, family, object)
        self._counter = 0
        self._lock = threading.Lock()

    def add(self, *object_ids: str | None, related_to: str | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [
                k for k, entry in self._created.items() if now - entry[0] > RECENT_CREATE_WINDOW_SECONDS
            ]:
                del self._created[key]
            self._counter += 1
            family = self._counter
            if related_to and related_to.lower() in self._created:
                family = self._created[related_to.lower()][1]
            for object_id in object_ids:
                if object_id:
                    self._created[object_id.lower()] = (now, family, self._counter)

    def note(self, object_id: str, age_seconds: float) -> bool:
        """Record an object another process created `age_seconds` ago; False if already known."""
        if age_seconds >= RECENT_CREATE_WINDOW_SECONDS:
            return False
        with self._lock:
            if object_id.lower() in self._created:
                return False
            self._counter += 1
            entry = (time.monotonic() - max(0.0, age_seconds), self._counter, self._counter)
            self._created[object_id.lower()] = entry
            return True

    def forget(self, object_id: str, *, with_related: bool) -> None:
        """Forget the object `object_id` names (all its ids), and with_related its whole family."""
        with self._lock:
            entry = self._created.get(object_id.lower())
            if entry is None:
                return
            index = 1 if with_related else 2
            for key in [k for k, other in self._created.items() if other[index] == entry[index]]:
                del self._created[key]

    def any_of(self, object_ids: Sequence[str]) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(
                now - self._created[object_id.lower()][0] <= RECENT_CREATE_WINDOW_SECONDS
                for object_id in object_ids
                if object_id.lower() in self._created
            )


def _service_principal_key(app_id: str) -> str:
    """The id a service principal is recorded under for lookups by its application's appId."""
    return f"servicePrincipal(appId={app_id})"


_recently_created = _RecentlyCreated()


@contextmanager
def replication_lag_expected(object_id: str, created_at: str | datetime.datetime | None) -> Iterator[None]:
    """Within the block, treat `object_id` as created at `created_at`, e.g. by an earlier `pulumi up`.

    A refresh right after an up runs in a new process that did not create the object, yet Graph
    may still answer 404 from a replica that has not seen it. Inside the block, and within the
    recent-create window, a 404 for it is retried like one for an object this process created; a
    read that still gets 404 once the retries are spent (RetryBudgetExceeded caused by
    NotFoundError) may treat the object as gone. Unknown or unparsable times change nothing.
    """
    if isinstance(created_at, str):
        try:
            created_at = datetime.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        except ValueError:
            created_at = None
    noted = False
    if created_at is not None:
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=datetime.UTC)
        age = (datetime.datetime.now(datetime.UTC) - created_at).total_seconds()
        noted = _recently_created.note(object_id, age)
    try:
        yield
    finally:
        if noted:
            _recently_created.forget(object_id, with_related=False)


# ---------------------------------------------------------------------------------------------
# Errors: SDK exceptions -> ApiError, and which of them are worth another try


def _retry_after_seconds(headers: Any) -> float | None:
    value = None
    if headers is not None:
        try:
            value = headers.get("retry-after") or headers.get("Retry-After")
        except AttributeError:
            value = None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.datetime.now(moment.tzinfo)).total_seconds())


def _api_error(action: str, exc: Exception) -> ApiError:
    """An SDK failure as our ApiError; `retry_after` carries the service's Retry-After, if any."""
    if isinstance(exc, httpx.TransportError):
        check = "that Microsoft Graph is reachable from here (and SSOPROV_GRAPH_URL, when set, is right)"
        error = NetworkError(SERVICE, action, f"{type(exc).__name__}: {exc}", check)
        error.retry_after = None  # type: ignore[attr-defined]
        return error
    status = 0
    code = ""
    message = ""
    headers = None
    if isinstance(exc, APIError):
        status = exc.response_status_code or 0
        headers = exc.response_headers
        main = getattr(exc, "error", None)
        if main is not None:
            code = main.code or ""
            message = main.message or ""
        else:
            message = exc.message or ""
    error_type = NotFoundError if status == 404 else ApiError
    error = error_type(SERVICE, action, status, code, message)
    error.retry_after = _retry_after_seconds(headers)  # type: ignore[attr-defined]
    error.network = False  # type: ignore[attr-defined]
    return error


def _classifier(
    *, idempotent: bool, settling: Sequence[str], transient_400: Sequence[str]
) -> Callable[[Exception], float | None]:
    """Seconds to wait before retrying (0 = use backoff), or None when the failure is final."""

    def is_transient(exc: Exception) -> float | None:
        if not isinstance(exc, ApiError):
            return None
        asked = getattr(exc, "retry_after", None)
        if exc.status in (429, 503):
            return asked or 0.0
        if idempotent and (exc.status in (502, 504) or getattr(exc, "network", False)):
            return asked or 0.0
        if exc.status == 404 and settling and _recently_created.any_of(settling):
            return 0.0
        if exc.status == 400 and any(marker in exc.message.lower() for marker in transient_400):
            return 0.0
        return None

    return is_transient


# ---------------------------------------------------------------------------------------------
# The client


class GraphClient:
    """Entra ID operations the providers need, over msgraph-sdk, with our retry policy.

    `base_url` is Graph's root including the version (`https://graph.microsoft.com/v1.0`, or
    `http://127.0.0.1:<port>/v1.0` for the sandbox); `credential` is any azure-core token
    credential, sync or async. The token is only ever sent to `base_url`'s host.
    """

    def __init__(
        self,
        base_url: str,
        credential: Any,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self._policy = policy
        self._timeout = timeout_seconds
        self._host = urlsplit(self.base_url).hostname or ""

    def __repr__(self) -> str:
        return f"GraphClient({self.base_url!r})"

    # -- plumbing ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _graph(self) -> AsyncIterator[GraphServiceClient]:
        # msgraph-core wraps the transport in an AsyncGraphTransport whose aclose() does not
        # close the wrapped one, so the connection pool is closed here explicitly.
        transport = httpx.AsyncHTTPTransport(
            verify=_ssl_context(), http2=self.base_url.startswith("https://")
        )
        http = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 30.0))
        )
        options = dict(graph_default_options)
        options[RetryHandlerOption.get_key()] = RetryHandlerOption(max_retries=0, should_retry=False)
        http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
        auth = AzureIdentityAuthenticationProvider(self._credential, allowed_hosts=[self._host])
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = self.base_url
        try:
            yield GraphServiceClient(request_adapter=adapter)
        finally:
            await http.aclose()
            await transport.aclose()

    async def _call(
        self,
        action: str,
        operation: Callable[[GraphServiceClient], Awaitable[T]],
        *,
        idempotent: bool,
        settling: Sequence[str] = (),
        transient_400: Sequence[str] = (),
    ) -> T:
        async with self._graph() as graph:

            async def attempt() -> T:
                try:
                    return await operation(graph)
                except (APIError, httpx.TransportError) as exc:
                    raise _api_error(action, exc) from exc

            return await retry_async(
                attempt,
                describe=f"{SERVICE}: {action}",
                is_transient=_classifier(
                    idempotent=idempotent, settling=settling, transient_400=transient_400
                ),
                policy=self._policy,
            )

    # -- applications -----------------------------------------------------------------------

    async def create_application(self, spec: ApplicationSpec) -> ApplicationInfo:
        """Register an application (POST /applications) and return it as Graph stored it."""
        name = spec.get("display_name")
        if not name:
            raise ValueError("create_application needs spec['display_name']")
        body = _application_model(spec)

        async def create(graph: GraphServiceClient) -> Application:
            created = await fetch(graph, graph.applications.to_post_request_information(body), APPLICATION)
            if created is None:
                raise ApiError(SERVICE, f"creating application '{name}'", 0, "", "empty response")
            return created

        application = await self._call(f"creating application '{name}'", create, idempotent=False)
        _recently_created.add(application.id, application.app_id)
        return _application_info(application)

    async def get_application(self, object_id: str) -> ApplicationInfo:
        """The application with this object id; NotFoundError if it does not exist."""

        async def get(graph: GraphServiceClient) -> Application | None:
            builder = graph.applications.by_application_id(object_id)
            return await fetch(graph, builder.to_get_request_information(), APPLICATION)

        application = await self._call(
            f"reading application {object_id}", get, idempotent=True, settling=(object_id,)
        )
        return _application_info(_present(application, f"reading application {object_id}"))

    async def find_application_by_app_id(self, app_id: str) -> ApplicationInfo | None:
        """The application with this appId (client id), or None if there is none."""

        async def get(graph: GraphServiceClient) -> Application | None:
            builder = graph.applications_with_app_id(app_id)
            return await fetch(graph, builder.to_get_request_information(), APPLICATION)

        try:
            application = await self._call(
                f"reading application with appId {app_id}", get, idempotent=True, settling=(app_id,)
            )
        except NotFoundError:
            return None
        return _application_info(_present(application, f"reading application with appId {app_id}"))

    async def update_application(self, object_id: str, changes: ApplicationSpec) -> None:
        """PATCH only the given properties; `group_membership_claims: None` clears the claim.

        `web`, `api` and `optionalClaims` are complex properties, and Graph does not promise to
        merge a PATCH of one into what it has. So a change to one of them first reads the
        application and sends the property back whole, only our part replaced: a logout URL,
        home page, implicit grant or redirect URI settings, exposed scopes or access-token claims
        set in the portal stay as they are.
        """
        if "unique_name" in changes:
            raise ValueError("unique_name can only be set when the application is created")
        action = f"updating application {object_id}"

        async def patch(graph: GraphServiceClient) -> None:
            body = _application_model(changes)
            builder = graph.applications.by_application_id(object_id)
            complex_properties = [
                name for name, attribute in _COMPLEX_PROPERTIES if getattr(body, attribute) is not None
            ]
            if complex_properties:
                query = ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
                    select=["id", *complex_properties]
                )
                request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
                current = await fetch(graph, request, APPLICATION)
                _keep_what_we_do_not_manage(body, _present(current, action))
            await builder.patch(body)

        await self._call(action, patch, idempotent=True, settling=(object_id,))

    async def delete_application(self, object_id: str) -> None:
        """Delete the application (its service principal goes with it); NotFoundError if absent."""

        async def delete(graph: GraphServiceClient) -> None:
            await graph.applications.by_application_id(object_id).delete()

        try:
            await self._call(
                f"deleting application {object_id}", delete, idempotent=True, settling=(object_id,)
            )
        finally:
            _recently_created.forget(object_id, with_related=True)

    # -- client secrets ---------------------------------------------------------------------

    async def add_password(
        self, object_id: str, display_name: str, end_date_time: datetime.datetime
    ) -> PasswordSecret:
        """Add a client secret; the result's `secret_text` is the only copy there will ever be.

        Returns once Graph lists the new secret: reads right after addPassword may not show its
        keyId yet (replication), and a refresh that ran into that would drop the secret from state.
        """
        secret, _listed = await self.add_password_and_list(object_id, display_name, end_date_time)
        return secret

    async def add_password_and_list(
        self, object_id: str, display_name: str, end_date_time: datetime.datetime
    ) -> tuple[PasswordSecret, list[PasswordInfo]]:
        """`add_password`, and the application's passwords as listed by the read that showed the
        new one (so a caller needs no read of its own)."""
        if end_date_time.tzinfo is None:
            raise ValueError("end_date_time must be timezone-aware")
        body = AddPasswordPostRequestBody(
            password_credential=PasswordCredential(display_name=display_name, end_date_time=end_date_time)
        )
        action = f"adding password '{display_name}' to application {object_id}"

        async def add(graph: GraphServiceClient) -> PasswordCredential | None:
            return await graph.applications.by_application_id(object_id).add_password.post(body)

        credential = _present(await self._call(action, add, idempotent=False, settling=(object_id,)), action)
        if not credential.secret_text:
            raise ApiError(SERVICE, action, 200, "", "the response carried no secretText")
        secret = PasswordSecret(**_password_info(credential), secret_text=credential.secret_text)
        _recently_created.add(secret["key_id"], related_to=object_id)
        return secret, await self._wait_for_password(object_id, secret["key_id"])

    async def _wait_for_password(self, object_id: str, key_id: str) -> list[PasswordInfo]:
        """Read the application's passwords until `key_id` is among them (retried as replication
        lag); the passwords of that read."""
        action = f"waiting for password {key_id} of application {object_id} to show in reads"

        async def listed(graph: GraphServiceClient) -> list[PasswordInfo]:
            passwords = await self._passwords(graph, object_id, action)
            if not any(p["key_id"].lower() == key_id.lower() for p in passwords):
                raise NotFoundError(SERVICE, action, 404, "", "Graph does not list the new password yet")
            return passwords

        return await self._call(action, listed, idempotent=True, settling=(key_id,))

    async def remove_password(self, object_id: str, key_id: str) -> None:
        """Remove a client secret; a secret that is already gone counts as removed."""
        body = RemovePasswordPostRequestBody(key_id=uuid.UUID(key_id))
        action = f"removing password {key_id} from application {object_id}"

        async def remove(graph: GraphServiceClient) -> None:
            await graph.applications.by_application_id(object_id).remove_password.post(body)

        try:
            await self._call(action, remove, idempotent=True, settling=(object_id,))
        except ApiError as error:
            if error.status not in (400, 404):
                raise
            # Graph refuses to remove a keyId it does not have; if the secret is indeed gone,
            # the goal is reached. (If the application is gone, list_passwords says so.)
            remaining = await self.list_passwords(object_id)
            if any(p["key_id"].lower() == key_id.lower() for p in remaining):
                raise
        finally:
            _recently_created.forget(key_id, with_related=False)

    async def list_passwords(self, object_id: str) -> list[PasswordInfo]:
        """The application's client secrets, without their values (Graph never returns them)."""
        action = f"listing passwords of application {object_id}"

        async def get(graph: GraphServiceClient) -> list[PasswordInfo]:
            return await self._passwords(graph, object_id, action)

        return await self._call(action, get, idempotent=True, settling=(object_id,))

    @staticmethod
    async def _passwords(graph: GraphServiceClient, object_id: str, action: str) -> list[PasswordInfo]:
        """One GET of the application's passwordCredentials."""
        query = ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
            select=["id", "passwordCredentials"]
        )
        builder = graph.applications.by_application_id(object_id)
        request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
        application = _present(await fetch(graph, request, APPLICATION), action)
        return [_password_info(c) for c in application.password_credentials or []]

    # -- service principals -----------------------------------------------------------------

    async def create_service_principal(
        self, app_id: str, assignment_required: bool = True
    ) -> ServicePrincipalInfo:
        """Create the enterprise application (service principal) for an app registration."""
        body = ServicePrincipal(app_id=app_id, app_role_assignment_required=assignment_required)
        action = f"creating service principal for application with appId {app_id}"

        async def create(graph: GraphServiceClient) -> ServicePrincipal | None:
            request = graph.service_principals.to_post_request_information(body)
            return await fetch(graph, request, SERVICE_PRINCIPAL)

        service_principal = _present(
            await self._call(action, create, idempotent=False, transient_400=(_NOT_A_VALID_APPLICATION,)),
            action,
        )
        _recently_created.add(service_principal.id, _service_principal_key(app_id), related_to=app_id)
        return _service_principal_info(service_principal)

    async def get_service_principal(self, object_id: str) -> ServicePrincipalInfo:
        """The service principal with this object id; NotFoundError if it does not exist."""
        action = f"reading service principal {object_id}"

        async def get(graph: GraphServiceClient) -> ServicePrincipal | None:
            builder = graph.service_principals.by_service_principal_id(object_id)
            return await fetch(graph, builder.to_get_request_information(), SERVICE_PRINCIPAL)

        service_principal = await self._call(action, get, idempotent=True, settling=(object_id,))
        return _service_principal_info(_present(service_principal, action))

    async def get_service_principal_by_app_id(self, app_id: str) -> ServicePrincipalInfo:
        """The service principal of the application with this appId; NotFoundError if none."""
        action = f"reading service principal of application with appId {app_id}"

        async def get(graph: GraphServiceClient) -> ServicePrincipal | None:
            builder = graph.service_principals_with_app_id(app_id)
            return await fetch(graph, builder.to_get_request_information(), SERVICE_PRINCIPAL)

        service_principal = await self._call(
            action, get, idempotent=True, settling=(_service_principal_key(app_id),)
        )
        return _service_principal_info(_present(service_principal, action))

    async def update_service_principal(
        self, object_id: str, *, assignment_required: bool, single_sign_on_mode: str | None = None
    ) -> None:
        """Set whether users must be assigned (appRoleAssignmentRequired) to sign in; with
        `single_sign_on_mode`, also preferredSingleSignOnMode (e.g. saml)."""
        body = ServicePrincipal(app_role_assignment_required=assignment_required)
        if single_sign_on_mode is not None:
            body.preferred_single_sign_on_mode = single_sign_on_mode

        async def patch(graph: GraphServiceClient) -> None:
            await graph.service_principals.by_service_principal_id(object_id).patch(body)

        await self._call(
            f"updating service principal {object_id}", patch, idempotent=True, settling=(object_id,)
        )

    async def delete_service_principal(self, object_id: str) -> None:
        """Delete the service principal and its assignments; NotFoundError if absent."""

        async def delete(graph: GraphServiceClient) -> None:
            await graph.service_principals.by_service_principal_id(object_id).delete()

        try:
            await self._call(
                f"deleting service principal {object_id}", delete, idempotent=True, settling=(object_id,)
            )
        finally:
            _recently_created.forget(object_id, with_related=False)

    # -- non-gallery (SAML) applications ------------------------------------------------------

    async def instantiate_non_gallery_app(
        self, display_name: str
    ) -> tuple[ApplicationInfo, ServicePrincipalInfo]:
        """Make an application and its service principal from the non-gallery template, as the
        admin center's "Create your own application" does (POST .../instantiate, 201)."""
        body = InstantiatePostRequestBody(display_name=display_name)
        action = f"instantiating the non-gallery application template as '{display_name}'"

        async def post(graph: GraphServiceClient) -> Any:
            builder = graph.application_templates.by_application_template_id(NON_GALLERY_TEMPLATE_ID)
            request = builder.instantiate.to_post_request_information(body)
            return await fetch(graph, request, APPLICATION_SERVICE_PRINCIPAL)

        made = _present(await self._call(action, post, idempotent=False), action)
        application = _present(made.application, action)
        service_principal = _present(made.service_principal, action)
        _recently_created.add(application.id, application.app_id)
        _recently_created.add(
            service_principal.id, _service_principal_key(application.app_id or ""), related_to=application.id
        )
        return _application_info(application), _service_principal_info(service_principal)

    async def add_token_signing_certificate(
        self, object_id: str, subject: str, end_date_time: datetime.datetime | None = None
    ) -> SamlSigningKey:
        """Have Entra make a SAML token-signing certificate for the service principal (subject
        `CN=...`; three years unless `end_date_time`). It signs once preferred (its thumbprint)."""
        body = AddTokenSigningCertificatePostRequestBody(display_name=subject, end_date_time=end_date_time)
        action = f"adding a token-signing certificate to service principal {object_id}"

        async def post(graph: GraphServiceClient) -> SelfSignedCertificate | None:
            builder = graph.service_principals.by_service_principal_id(object_id)
            request = builder.add_token_signing_certificate.to_post_request_information(body)
            return await fetch(graph, request, SelfSignedCertificate)

        made = _present(await self._call(action, post, idempotent=False, settling=(object_id,)), action)
        if not made.key or not made.thumbprint:
            raise ApiError(SERVICE, action, 0, "", "the answer has no certificate or thumbprint")
        return SamlSigningKey(
            kid=made.thumbprint.upper(),
            certificate=base64.b64encode(made.key).decode(),
            expires_at=_iso(made.end_date_time) or "",
            created=_iso(made.start_date_time) or "",
        )

    async def list_token_signing_certificates(
        self, object_id: str
    ) -> tuple[str | None, list[SamlSigningKey]]:
        """The thumbprint the service principal signs SAML tokens with (preferredTokenSigningKey-
        Thumbprint), and its token-signing certificates (`kid`: the certificate's SHA-1 thumbprint)."""
        action = f"reading the token-signing certificates of service principal {object_id}"
        query = ServicePrincipalItemRequestBuilder.ServicePrincipalItemRequestBuilderGetQueryParameters(
            select=["id", "preferredTokenSigningKeyThumbprint", "keyCredentials"]
        )

        async def get(graph: GraphServiceClient) -> ServicePrincipal | None:
            builder = graph.service_principals.by_service_principal_id(object_id)
            request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
            return await fetch(graph, request, SERVICE_PRINCIPAL)

        principal = _present(await self._call(action, get, idempotent=True, settling=(object_id,)), action)
        certificates = [
            SamlSigningKey(
                kid=hashlib.sha1(credential.key).hexdigest().upper(),  # the thumbprint Entra names it by
                certificate=base64.b64encode(credential.key).decode(),
                expires_at=_iso(credential.end_date_time) or "",
                created=_iso(credential.start_date_time) or "",
            )
            for credential in principal.key_credentials or []
            if credential.usage == "Verify" and credential.type == "AsymmetricX509Cert" and credential.key
        ]
        preferred = principal.preferred_token_signing_key_thumbprint
        return (preferred.upper() if preferred else None), certificates

    async def prefer_token_signing_certificate(self, object_id: str, thumbprint: str) -> None:
        """Make the service principal sign SAML tokens with the certificate of `thumbprint`."""
        body = ServicePrincipal(preferred_token_signing_key_thumbprint=thumbprint)

        async def patch(graph: GraphServiceClient) -> None:
            await graph.service_principals.by_service_principal_id(object_id).patch(body)

        await self._call(
            f"switching service principal {object_id} to token-signing certificate {thumbprint}",
            patch,
            idempotent=True,
            settling=(object_id,),
        )

    # -- assignments ------------------------------------------------------------------------

    async def list_assignments(self, service_principal_id: str) -> list[AssignmentInfo]:
        """Users, groups and service principals assigned to the service principal, all pages."""
        action = f"listing assignments of service principal {service_principal_id}"

        async def get(graph: GraphServiceClient) -> list[AppRoleAssignment]:
            builder = graph.service_principals.by_service_principal_id(
                service_principal_id
            ).app_role_assigned_to
            request = builder.to_get_request_information()
            items: list[AppRoleAssignment] = []
            while (page := await fetch(graph, request, APP_ROLE_ASSIGNMENTS)) is not None:
                items.extend(page.value or [])
                if not page.odata_next_link:
                    break
                request = builder.with_url(page.odata_next_link).to_get_request_information()
            return items

        assignments = await self._call(action, get, idempotent=True, settling=(service_principal_id,))
        return [_assignment_info(a) for a in assignments]

    async def assign(
        self, service_principal_id: str, principal_id: str, app_role_id: str = DEFAULT_APP_ROLE_ID
    ) -> AssignmentInfo:
        """Assign a user or group to the app; an identical existing assignment is returned as is."""
        body = AppRoleAssignment(
            principal_id=uuid.UUID(principal_id),
            resource_id=uuid.UUID(service_principal_id),
            app_role_id=uuid.UUID(app_role_id),
        )
        action = f"assigning principal {principal_id} to service principal {service_principal_id}"

        async def post(graph: GraphServiceClient) -> AppRoleAssignment | None:
            sp = graph.service_principals.by_service_principal_id(service_principal_id)
            request = sp.app_role_assigned_to.to_post_request_information(body)
            return await fetch(graph, request, APP_ROLE_ASSIGNMENT)

        try:
            assignment = await self._call(
                action,
                post,
                idempotent=False,
                settling=(service_principal_id, principal_id),
                transient_400=(_NOT_A_VALID_REFERENCE,),
            )
        except ApiError as error:
            if error.status != 400 or _ALREADY_ASSIGNED not in error.message.lower():
                raise
            for existing in await self.list_assignments(service_principal_id):
                if (existing["principal_id"], existing["app_role_id"]) == (
                    principal_id.lower(),
                    app_role_id.lower(),
                ):
                    return existing
            raise
        _recently_created.add(assignment.id if assignment else None, related_to=service_principal_id)
        return _assignment_info(_present(assignment, action))

    async def get_assignment(self, service_principal_id: str, assignment_id: str) -> AssignmentInfo:
        """One assignment to the service principal; NotFoundError if it (or the principal) is gone."""
        action = f"reading assignment {assignment_id} of service principal {service_principal_id}"

        async def get(graph: GraphServiceClient) -> AppRoleAssignment | None:
            sp = graph.service_principals.by_service_principal_id(service_principal_id)
            builder = sp.app_role_assigned_to.by_app_role_assignment_id(assignment_id)
            return await fetch(graph, builder.to_get_request_information(), APP_ROLE_ASSIGNMENT)

        assignment = await self._call(action, get, idempotent=True, settling=(assignment_id,))
        return _assignment_info(_present(assignment, action))

    async def unassign(self, service_principal_id: str, assignment_id: str) -> None:
        """Remove one assignment; NotFoundError if it does not exist."""

        async def delete(graph: GraphServiceClient) -> None:
            sp = graph.service_principals.by_service_principal_id(service_principal_id)
            await sp.app_role_assigned_to.by_app_role_assignment_id(assignment_id).delete()

        # A 404 here is about the assignment (the service principal was visible when it was
        # made), so only a just-made assignment's 404 counts as replication lag.
        try:
            await self._call(
                f"removing assignment {assignment_id} from service principal {service_principal_id}",
                delete,
                idempotent=True,
                settling=(assignment_id,),
            )
        finally:
            _recently_created.forget(assignment_id, with_related=False)

    # -- app roles ---------------------------------------------------------------------------

    async def get_app_roles(self, object_id: str) -> list[AppRoleInfo]:
        """The app roles the application defines; NotFoundError if the application is gone."""
        action = f"reading the app roles of application {object_id}"
        query = ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
            select=["id", "appRoles"]
        )

        async def get(graph: GraphServiceClient) -> Application | None:
            builder = graph.applications.by_application_id(object_id)
            request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
            return await fetch(graph, request, APPLICATION)

        application = _present(await self._call(action, get, idempotent=True, settling=(object_id,)), action)
        return [_app_role_info(role) for role in application.app_roles or []]

    async def set_app_roles(self, object_id: str, roles: Sequence[AppRoleInfo], *, action: str) -> None:
        """Replace the application's app roles with `roles` (Graph takes the list whole). Graph
        refuses to drop or re-value an enabled role: disable it in one call, drop it in the next."""
        body = Application(app_roles=[_app_role_model(role) for role in roles])

        async def patch(graph: GraphServiceClient) -> None:
            await graph.applications.by_application_id(object_id).patch(body)

        await self._call(f"{action} (application {object_id})", patch, idempotent=True, settling=(object_id,))

    # -- certificates (keyCredentials) -------------------------------------------------------

    async def get_key_credentials(self, object_id: str) -> list[KeyCredentialInfo]:
        """The application's certificates, with their DER; NotFoundError if the application is gone."""
        action = f"reading the certificates of application {object_id}"
        query = ApplicationItemRequestBuilder.ApplicationItemRequestBuilderGetQueryParameters(
            select=["keyCredentials"]
        )

        async def get(graph: GraphServiceClient) -> Application | None:
            builder = graph.applications.by_application_id(object_id)
            request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
            return await fetch(graph, request, APPLICATION)

        application = _present(await self._call(action, get, idempotent=True, settling=(object_id,)), action)
        return [_key_credential_info(credential) for credential in application.key_credentials or []]

    async def set_key_credentials(
        self, object_id: str, credentials: Sequence[KeyCredentialInfo], *, action: str
    ) -> None:
        """Replace the application's certificates with `credentials` (Graph takes the list whole,
        each with its `key`)."""
        body = Application(key_credentials=[_key_credential_model(credential) for credential in credentials])

        async def patch(graph: GraphServiceClient) -> None:
            await graph.applications.by_application_id(object_id).patch(body)

        await self._call(f"{action} (application {object_id})", patch, idempotent=True, settling=(object_id,))

    # -- delegated permission grants (admin consent) ----------------------------------------

    async def grant_admin_consent(self, client_id: str, resource_id: str, scopes: Sequence[str]) -> GrantInfo:
        """Consent to `scopes` of the API `resource_id` for every user of client `client_id` (both
        service principal object ids). A tenant-wide grant that already exists for the pair is
        set to exactly `scopes` and returned: Graph keeps one such grant per client and API."""
        body = OAuth2PermissionGrant(
            client_id=client_id, resource_id=resource_id, consent_type="AllPrincipals", scope=" ".join(scopes)
        )
        action = f"granting admin consent for {' '.join(scopes)} to service principal {client_id}"

        async def post(graph: GraphServiceClient) -> OAuth2PermissionGrant | None:
            request = graph.oauth2_permission_grants.to_post_request_information(body)
            return await fetch(graph, request, GRANT)

        try:
            grant = await self._call(action, post, idempotent=False, settling=(client_id,))
        except ApiError as error:
            if error.status != 409:
                raise
            existing = await self.find_admin_consent(client_id, resource_id)
            if existing is None:
                raise
            if existing["scopes"] != sorted(scopes):
                await self.update_grant(existing["grant_id"], scopes)
            return {**existing, "scopes": sorted(scopes)}
        _recently_created.add(grant.id if grant else None, related_to=client_id)
        return _grant_info(_present(grant, action))

    async def find_admin_consent(self, client_id: str, resource_id: str) -> GrantInfo | None:
        """The tenant-wide grant of client `client_id` on API `resource_id`, if there is one."""
        action = f"listing delegated permission grants of service principal {client_id}"
        query = Oauth2PermissionGrantsRequestBuilder.Oauth2PermissionGrantsRequestBuilderGetQueryParameters(
            filter=f"clientId eq '{client_id}'"
        )

        async def get(graph: GraphServiceClient) -> list[OAuth2PermissionGrant]:
            builder = graph.oauth2_permission_grants
            request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
            items: list[OAuth2PermissionGrant] = []
            while (page := await fetch(graph, request, GRANTS)) is not None:
                items.extend(page.value or [])
                if not page.odata_next_link:
                    break
                request = builder.with_url(page.odata_next_link).to_get_request_information()
            return items

        for grant in await self._call(action, get, idempotent=True):
            info = _grant_info(grant)
            if info["consent_type"] == "AllPrincipals" and info["resource_id"] == resource_id.lower():
                return info
        return None

    async def get_grant(self, grant_id: str) -> GrantInfo:
        """One delegated permission grant; NotFoundError if it is gone."""
        action = f"reading delegated permission grant {grant_id}"

        async def get(graph: GraphServiceClient) -> OAuth2PermissionGrant | None:
            builder = graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant_id)
            return await fetch(graph, builder.to_get_request_information(), GRANT)

        return _grant_info(
            _present(await self._call(action, get, idempotent=True, settling=(grant_id,)), action)
        )

    async def update_grant(self, grant_id: str, scopes: Sequence[str]) -> None:
        """Set the grant's consented scopes to exactly `scopes`."""
        body = OAuth2PermissionGrant(scope=" ".join(scopes))

        async def patch(graph: GraphServiceClient) -> None:
            await graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant_id).patch(body)

        await self._call(
            f"setting the scopes of delegated permission grant {grant_id} to {' '.join(scopes)}",
            patch,
            idempotent=True,
            settling=(grant_id,),
        )

    async def delete_grant(self, grant_id: str) -> None:
        """Revoke a delegated permission grant; NotFoundError if it is gone."""

        async def delete(graph: GraphServiceClient) -> None:
            await graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant_id).delete()

        try:
            await self._call(
                f"revoking delegated permission grant {grant_id}",
                delete,
                idempotent=True,
                settling=(grant_id,),
            )
        finally:
            _recently_created.forget(grant_id, with_related=False)

    # -- directory lookups ------------------------------------------------------------------

    async def resolve_group(self, display_name: str) -> str:
        """The object id of the one group with this display name (or this object id).

        Raises DirectoryLookupError naming the group when no group or several groups match.
        """
        if _is_guid(display_name):
            return await self._resolve_group_id(display_name)
        action = f"resolving group '{display_name}'"
        escaped = display_name.replace("'", "''")
        query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
            filter=f"displayName eq '{escaped}'", select=["id", "displayName"], top=999
        )

        async def get(graph: GraphServiceClient) -> list[str]:
            request = graph.groups.to_get_request_information(RequestConfiguration(query_parameters=query))
            ids: list[str] = []
            while (page := await fetch(graph, request, GROUPS)) is not None:
                ids.extend(group.id for group in page.value or [] if group.id)
                if not page.odata_next_link:
                    break
                request = graph.groups.with_url(page.odata_next_link).to_get_request_information()
            return ids

        ids = await self._call(action, get, idempotent=True)
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise DirectoryLookupError(
                "group",
                display_name,
                ids,
                f"{SERVICE}: {action}: no group has this display name in the tenant. Check the "
                "spelling in the stack file, or give the group's object id instead.",
            )
        raise DirectoryLookupError(
            "group",
            display_name,
            ids,
            f"{SERVICE}: {action}: {len(ids)} groups have this display name ({', '.join(ids)}). "
            "Give the group's object id in the stack file instead of its name.",
        )

    async def _resolve_group_id(self, object_id: str) -> str:
        async def get(graph: GraphServiceClient) -> str | None:
            request = graph.groups.by_group_id(object_id).to_get_request_information()
            group = await fetch(graph, request, GROUP)
            return group.id if group else None

        return await self._resolve_one(
            "group",
            object_id,
            f"resolving group {object_id}",
            get,
            "no group has this object id in the tenant.",
        )

    async def resolve_user(self, user_principal_name: str) -> str:
        """The object id of the user with this UPN (or object id); DirectoryLookupError if none."""

        async def get(graph: GraphServiceClient) -> str | None:
            request = graph.users.by_user_id(user_principal_name).to_get_request_information()
            user = await fetch(graph, request, USER)
            return user.id if user else None

        return await self._resolve_one(
            "user",
            user_principal_name,
            f"resolving user '{user_principal_name}'",
            get,
            "no user has this user principal name in the tenant. Check the spelling in the stack "
            "file (UPNs look like name@domain).",
        )

    async def group_display_name(self, object_id: str) -> str:
        """The display name of the group with this object id (adoption names groups as people do)."""

        async def get(graph: GraphServiceClient) -> str | None:
            request = graph.groups.by_group_id(object_id).to_get_request_information()
            group = await fetch(graph, request, GROUP)
            return group.display_name if group else None

        return await self._resolve_one(
            "group",
            object_id,
            f"reading group {object_id}",
            get,
            "no group has this object id in the tenant.",
        )

    async def user_principal_name(self, object_id: str) -> str:
        """The UPN of the user with this object id (adoption names users as the spec does)."""

        async def get(graph: GraphServiceClient) -> str | None:
            user = await fetch(graph, graph.users.by_user_id(object_id).to_get_request_information(), USER)
            return user.user_principal_name if user else None

        return await self._resolve_one(
            "user", object_id, f"reading user {object_id}", get, "no user has this object id in the tenant."
        )

    async def count_groups_of(self, user_principal_name: str) -> int:
        """How many groups the user is in, directly or through nested groups (all pages)."""
        action = f"counting the groups of user '{user_principal_name}'"
        query = TransitiveMemberOfRequestBuilder.TransitiveMemberOfRequestBuilderGetQueryParameters(
            select=["id"], top=999
        )

        async def get(graph: GraphServiceClient) -> int:
            builder = graph.users.by_user_id(user_principal_name).transitive_member_of
            request = builder.to_get_request_information(RequestConfiguration(query_parameters=query))
            count = 0
            while (page := await fetch(graph, request, DIRECTORY_OBJECTS)) is not None:
                count += sum(1 for item in page.value or [] if item.odata_type == "#microsoft.graph.group")
                if not page.odata_next_link:
                    break
                request = builder.with_url(page.odata_next_link).to_get_request_information()
            return count

        return await self._call(action, get, idempotent=True)

    async def _resolve_one(
        self,
        kind: str,
        key: str,
        action: str,
        get: Callable[[GraphServiceClient], Awaitable[str | None]],
        missing: str,
    ) -> str:
        """One directory object's id by key; DirectoryLookupError (not NotFoundError) when absent."""
        try:
            found = await self._call(action, get, idempotent=True)
        except NotFoundError:
            found = None
        if not found:
            raise DirectoryLookupError(kind, key, [], f"{SERVICE}: {action}: {missing}")
        return found


_shared_ssl_context: ssl.SSLContext | None = None
_shared_ssl_context_lock = threading.Lock()


def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every call: loading the CA bundle costs ~70 ms, more than a request."""
    global _shared_ssl_context
    with _shared_ssl_context_lock:
        if _shared_ssl_context is None:
            _shared_ssl_context = httpx.create_ssl_context()
        return _shared_ssl_context


def graph_client_from_env(tenant_id: str, *, policy: RetryPolicy = DEFAULT_POLICY) -> GraphClient:
    """A GraphClient in `tenant_id`: the sandbox when `SSOPROV_GRAPH_URL` is set, else the real Graph."""
    base_url, credential = endpoint_from_env(tenant_id)
    return GraphClient(base_url, credential, policy=policy)


# ---------------------------------------------------------------------------------------------
# Conversions between our dicts and msgraph-sdk models


def _present(value: T | None, action: str) -> T:
    if value is None:
        raise ApiError(SERVICE, action, 0, "", "the response had no body")
    return value


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _application_model(spec: ApplicationSpec) -> Application:
    unknown = set(spec) - set(ApplicationSpec.__annotations__)
    if unknown:
        raise ValueError(f"unknown application properties: {sorted(unknown)}")
    application = Application()
    if "display_name" in spec:
        application.display_name = spec["display_name"]
    if "sign_in_audience" in spec:
        application.sign_in_audience = spec["sign_in_audience"]
    if "unique_name" in spec:
        application.unique_name = spec["unique_name"]
    if "identifier_uris" in spec:
        application.identifier_uris = list(spec["identifier_uris"])
    if "redirect_uris" in spec:
        application.web = WebApplication(redirect_uris=list(spec["redirect_uris"]))
    if "id_token_claims" in spec:
        claims = [
            OptionalClaim(
                name=claim["name"],
                essential=claim.get("essential", False),
                source=claim.get("source"),
                additional_properties=list(claim.get("additional_properties") or []),
            )
            for claim in spec["id_token_claims"]
        ]
        application.optional_claims = OptionalClaims(id_token=claims, access_token=[], saml2_token=[])
    if "group_membership_claims" in spec:
        if spec["group_membership_claims"] is None:
            application.additional_data["groupMembershipClaims"] = None  # serialized as JSON null
        else:
            application.group_membership_claims = spec["group_membership_claims"]
    if "requested_access_token_version" in spec:
        version = spec["requested_access_token_version"]
        application.api = ApiApplication(requested_access_token_version=version)
    if "required_resource_access" in spec:
        application.required_resource_access = [
            RequiredResourceAccess(
                resource_app_id=resource["resource_app_id"],
                resource_access=[
                    ResourceAccess(id=uuid.UUID(access["id"]), type=access["type"])
                    for access in resource["resource_access"]
                ],
            )
            for resource in spec["required_resource_access"]
        ]
    return application


_COMPLEX_PROPERTIES = (("web", "web"), ("api", "api"), ("optionalClaims", "optional_claims"))
"""Graph name and model attribute of each complex property an update may touch."""


def _keep_what_we_do_not_manage(body: Application, current: Application) -> None:
    """Make each complex property of `body` the value Graph has, with only our part from `body`."""
    if body.web is not None:
        web = current.web or WebApplication()
        web.redirect_uris = body.web.redirect_uris
        body.web = web
    if body.api is not None:
        api = current.api or ApiApplication()
        api.requested_access_token_version = body.api.requested_access_token_version
        body.api = api
    if body.optional_claims is not None:
        claims = current.optional_claims or OptionalClaims(access_token=[], saml2_token=[])
        claims.id_token = body.optional_claims.id_token
        body.optional_claims = claims


def _iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _password_info(credential: PasswordCredential) -> PasswordInfo:
    return PasswordInfo(
        key_id=str(credential.key_id) if credential.key_id else "",
        display_name=credential.display_name,
        hint=credential.hint,
        start_date_time=_iso(credential.start_date_time),
        end_date_time=_iso(credential.end_date_time),
    )


def _application_info(application: Application) -> ApplicationInfo:
    claims = application.optional_claims.id_token if application.optional_claims else None
    return ApplicationInfo(
        object_id=application.id or "",
        app_id=application.app_id or "",
        display_name=application.display_name,
        sign_in_audience=application.sign_in_audience,
        redirect_uris=list(application.web.redirect_uris or []) if application.web else [],
        id_token_claims=[
            IdTokenClaim(
                name=claim.name or "",
                essential=bool(claim.essential),
                source=claim.source,
                additional_properties=list(claim.additional_properties or []),
            )
            for claim in claims or []
        ],
        group_membership_claims=application.group_membership_claims,
        required_resource_access=[
            RequiredResource(
                resource_app_id=resource.resource_app_id or "",
                resource_access=[
                    ResourceAccessEntry(id=str(access.id), type=access.type or "")
                    for access in resource.resource_access or []
                ],
            )
            for resource in application.required_resource_access or []
        ],
        requested_access_token_version=application.api.requested_access_token_version
        if application.api
        else None,
        unique_name=application.unique_name,
        identifier_uris=list(application.identifier_uris or []),
        passwords=[_password_info(c) for c in application.password_credentials or []],
        created_date_time=_iso(application.created_date_time),
    )


def _service_principal_info(service_principal: ServicePrincipal) -> ServicePrincipalInfo:
    return ServicePrincipalInfo(
        object_id=service_principal.id or "",
        app_id=service_principal.app_id or "",
        display_name=service_principal.display_name,
        app_role_assignment_required=bool(service_principal.app_role_assignment_required),
        account_enabled=service_principal.account_enabled is not False,
        preferred_single_sign_on_mode=service_principal.preferred_single_sign_on_mode,
    )


def _assignment_info(assignment: AppRoleAssignment) -> AssignmentInfo:
    return AssignmentInfo(
        assignment_id=assignment.id or "",
        principal_id=str(assignment.principal_id) if assignment.principal_id else "",
        principal_type=assignment.principal_type,
        principal_display_name=assignment.principal_display_name,
        app_role_id=str(assignment.app_role_id) if assignment.app_role_id else DEFAULT_APP_ROLE_ID,
        resource_id=str(assignment.resource_id) if assignment.resource_id else "",
    )


def _grant_info(grant: OAuth2PermissionGrant) -> GrantInfo:
    return GrantInfo(
        grant_id=grant.id or "",
        client_id=(grant.client_id or "").lower(),
        resource_id=(grant.resource_id or "").lower(),
        consent_type=grant.consent_type or "",
        scopes=sorted(set((grant.scope or "").split())),
    )


def _app_role_info(role: AppRole) -> AppRoleInfo:
    return AppRoleInfo(
        id=str(role.id) if role.id else "",
        value=role.value,
        display_name=role.display_name or "",
        description=role.description or "",
        allowed_member_types=list(role.allowed_member_types or []),
        is_enabled=bool(role.is_enabled),
    )


def _key_credential_info(credential: KeyCredential) -> KeyCredentialInfo:
    return KeyCredentialInfo(
        key_id=str(credential.key_id) if credential.key_id else "",
        key=credential.key,
        custom_key_identifier=credential.custom_key_identifier,
        display_name=credential.display_name,
        start_date_time=credential.start_date_time,
        end_date_time=credential.end_date_time,
        type=credential.type or "",
        usage=credential.usage or "",
    )


def _key_credential_model(credential: KeyCredentialInfo) -> KeyCredential:
    return KeyCredential(
        key_id=uuid.UUID(credential["key_id"]),
        key=credential["key"],
        custom_key_identifier=credential["custom_key_identifier"],
        display_name=credential["display_name"],
        start_date_time=credential["start_date_time"],
        end_date_time=credential["end_date_time"],
        type=credential["type"],
        usage=credential["usage"],
    )


def _app_role_model(role: AppRoleInfo) -> AppRole:
    return AppRole(
        id=uuid.UUID(role["id"]),
        value=role["value"],
        display_name=role["display_name"],
        description=role["description"],
        allowed_member_types=list(role["allowed_member_types"]),
        is_enabled=role["is_enabled"],
    )
