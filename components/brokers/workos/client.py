"""WorkOS organizations and SSO connections over the workos SDK, every call through `retry_async`.

A client is built inside each provider call (`WorkosClient.from_environment()`), from
WORKOS_API_KEY and, if set, WORKOS_BASE_URL (the SDK's own default is the public API). The
SDK's built-in retries are switched off (`max_retries=0`) so that `ssoprov.retry` is the one
loop deciding what is retried and for how long: 429 (waiting as long as Retry-After asks),
5xx, and connection failures or timeouts. Everything else fails at once as an `ApiError`
(`NotFoundError` for 404) that says what was being done to which object.

Deletion is asynchronous at WorkOS: a deleted connection turns `deleting` and is gone a while
later; until then it answers changes with 409 `connection_deletion_in_progress`, and it still
holds its external_id. `delete_connection` returns once WorkOS has accepted the deletion (also
when one was already under way); `create_connection` waits, within the retry budget, while the
external_id it asks for belongs to a connection being deleted, then creates a new one.

HTTP calls made (paths relative to the base URL):
    GET    /organizations/{id}          get_organization
    POST   /connections                 create_connection
    GET    /connections                 list_connections
    GET    /connections/{id}            get_connection
    PATCH  /connections/{id}            update_connection, configure_saml_connection
    DELETE /connections/{id}            delete_connection
    GET    /connections/{id}/saml_idp_signing_certs         list_idp_signing_certificates
    POST   /connections/{id}/saml_idp_signing_certs         add_idp_signing_certificate
    DELETE /connections/{id}/saml_idp_signing_certs/{cert}  delete_idp_signing_certificate
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import workos
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from workos import AsyncWorkOSClient
from workos._errors import APIError, WorkOSConnectionError, WorkOSTimeoutError
from workos.common.models import (
    CreateConnectionOIDCOptionsTokenAuthenticationMethod as TokenAuthenticationMethod,
)
from workos.sso._resource import CreateProtocolOptionsOIDC, PatchProtocolOptionsOIDC, PatchProtocolOptionsSAML
from workos.sso.models import (
    Connection,
    CreateConnectionOIDCOptions,
    PatchConnectionOIDCOptions,
    SAMLIdpSigningCertificate,
)

from ssoprov.errors import ApiError, NotFoundError, ProvisionerError
from ssoprov.generic_oidc import certificate_pem
from ssoprov.retry import DEFAULT_POLICY, Classifier, RetryPolicy, retry_async
from ssoprov.token_endpoint_auth import TokenEndpointAuthMethod

SERVICE = "WorkOS"
API_KEY_VARIABLE = "WORKOS_API_KEY"
BASE_URL_VARIABLE = "WORKOS_BASE_URL"
REQUEST_TIMEOUT_SECONDS = 30
LIST_PAGE = 100
"""The most connections WorkOS returns a page."""
DELETING = "deleting"
"""The state of a connection whose deletion WorkOS has accepted but not finished."""
DELETION_IN_PROGRESS = "connection_deletion_in_progress"
"""WorkOS's error code for a change to a connection in state `deleting`."""
WAIT_FOR_DELETION_TRIES = 100
"""Tries of a create that waits for a deletion: enough that the retry budget (seconds), not the
count of tries, bounds the wait; the backoff spaces the tries out."""

T = TypeVar("T")


@dataclass(frozen=True)
class OidcConnectionSpec:
    """Everything we set on an OIDC connection (the `oidc_options` plus its identity)."""

    organization_id: str
    name: str
    external_id: str
    connection_type: str
    """EntraIdOIDC | OktaOIDC | GenericOIDC."""
    discovery_endpoint: str
    client_id: str
    client_secret: str = field(repr=False)
    """Empty when not known (adopted): updates then leave the one WorkOS holds in place."""
    token_authentication_method: TokenEndpointAuthMethod
    """How WorkOS authenticates at the IdP's token endpoint: the method the IdP app takes."""
    redirect_uri: str
    groups_claim: str | None = None
    """The IdP's groups claim, mapped onto the profile's groups; None leaves WorkOS's mapping as is."""


@dataclass(frozen=True)
class ConnectionInfo:
    """What WorkOS tells about a connection: the documented object has no options and no secret."""

    id: str
    organization_id: str
    connection_type: str
    name: str
    state: str

    @classmethod
    def from_sdk(cls, connection: Connection) -> ConnectionInfo:
        return cls(
            id=connection.id,
            organization_id=connection.organization_id or "",
            connection_type=_value(connection.connection_type),
            name=connection.name,
            state=_value(connection.state),
        )


@dataclass(frozen=True)
class IdpSigningCertificate:
    """An IdP signing certificate a SAML connection trusts."""

    id: str
    certificate: str
    """Base64 DER, as the IdP's API and metadata carry it (WorkOS's own form is PEM)."""

    @classmethod
    def from_sdk(cls, found: SAMLIdpSigningCertificate) -> IdpSigningCertificate:
        return cls(id=found.id, certificate=base64_der(found.value))


@dataclass(frozen=True)
class OrganizationInfo:
    id: str
    name: str


class WorkosClient:
    """One WorkOS environment, reached with one API key."""

    def __init__(
        self, api_key: str, base_url: str | None = None, *, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._policy = policy

    def __repr__(self) -> str:
        return f"WorkosClient(base_url={self._base_url!r})"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> WorkosClient:
        environ = os.environ if environ is None else environ
        api_key = environ.get(API_KEY_VARIABLE, "").strip()
        if not api_key:
            raise ProvisionerError(
                f"{SERVICE}: {API_KEY_VARIABLE} is not set in the environment that runs `pulumi`. "
                f"Fix: export {API_KEY_VARIABLE}=sk_... (an API key of the WorkOS environment that holds "
                "the organization)"
            )
        return cls(api_key, environ.get(BASE_URL_VARIABLE) or None)

    # ------------------------------------------------------------------ organizations

    async def get_organization(self, organization_id: str) -> OrganizationInfo:
        organization = await self._call(
            f"reading organization {organization_id}",
            lambda sdk: sdk.organizations.get_organization(organization_id),
        )
        return OrganizationInfo(id=organization.id, name=organization.name)

    # ------------------------------------------------------------------ connections

    async def create_connection(self, spec: OidcConnectionSpec) -> ConnectionInfo:
        """POST /connections. WorkOS answers with the existing connection, unchanged, when one in
        the organization already has `spec.external_id`; if that one is being deleted, this waits
        for the deletion to finish and creates a new connection."""
        options = CreateConnectionOIDCOptions(
            discovery_endpoint=spec.discovery_endpoint,
            client_id=spec.client_id,
            client_secret=spec.client_secret,
            token_authentication_method=TokenAuthenticationMethod(spec.token_authentication_method),
            redirect_uri=spec.redirect_uri,
        )
        # One key for all tries of one request: a retried POST whose first try did land is
        # answered, not repeated. A POST that met a deletion under way created nothing, so the
        # next one is a new request with a new key (the old key would replay the old answer).
        idempotency_key = str(uuid.uuid4())

        async def create(sdk: AsyncWorkOSClient) -> Connection:
            nonlocal idempotency_key
            try:
                connection = await sdk.sso.create_connection(
                    organization_id=spec.organization_id,
                    name=spec.name,
                    external_id=spec.external_id,
                    connection_type=spec.connection_type,
                    attribute_maps=_groups_attribute_map(spec),
                    protocol_options=CreateProtocolOptionsOIDC(oidc_options=options),
                    request_options={"idempotency_key": idempotency_key},
                )
            except workos.ConflictError as exc:
                if exc.code == DELETION_IN_PROGRESS:
                    idempotency_key = str(uuid.uuid4())
                raise
            if _value(connection.state) == DELETING:
                idempotency_key = str(uuid.uuid4())
                raise ExternalIdBeingFreed(connection.id)
            return connection

        connection = await self._call(
            f"creating {spec.connection_type} connection '{spec.external_id}' in organization "
            f"{spec.organization_id}",
            create,
            classify=waits_for_deletion,
            policy=replace(self._policy, attempts=max(self._policy.attempts, WAIT_FOR_DELETION_TRIES)),
        )
        return ConnectionInfo.from_sdk(connection)

    async def list_connections(self) -> list[ConnectionInfo]:
        """Every connection of the environment, oldest first (pages of 100, each through retry)."""
        found: list[ConnectionInfo] = []
        after: str | None = None
        while True:
            page = await self._call(
                f"listing connections (after {after or 'the first'})",
                lambda sdk, after=after: sdk.sso.list_connections(limit=LIST_PAGE, after=after, order="asc"),
            )
            found += [ConnectionInfo.from_sdk(connection) for connection in page.data]
            if not page.data or page.after is None:
                return found
            after = page.after

    async def get_connection(self, connection_id: str) -> ConnectionInfo:
        connection = await self._call(
            f"reading connection {connection_id}", lambda sdk: sdk.sso.get_connection(connection_id)
        )
        return ConnectionInfo.from_sdk(connection)

    async def update_connection(self, connection_id: str, spec: OidcConnectionSpec) -> ConnectionInfo:
        """PATCH /connections/{id} with the name, external_id, the groups claim's mapping and every
        OIDC option (the secret too: WorkOS cannot tell us the one it holds), except a secret that
        is not known (""; an adopted connection before its first rotation): the PATCH then omits
        `client_secret` and WorkOS keeps the one it holds."""
        options = PatchConnectionOIDCOptions(
            discovery_endpoint=spec.discovery_endpoint,
            client_id=spec.client_id,
            client_secret=spec.client_secret or None,
            token_authentication_method=TokenAuthenticationMethod(spec.token_authentication_method),
            redirect_uri=spec.redirect_uri,
        )
        connection = await self._call(
            f"updating connection {connection_id} ('{spec.external_id}')",
            lambda sdk: sdk.sso.update_connection(
                connection_id,
                name=spec.name,
                external_id=spec.external_id,
                attribute_maps=_groups_attribute_map(spec),
                protocol_options=PatchProtocolOptionsOIDC(oidc_options=options),
            ),
        )
        return ConnectionInfo.from_sdk(connection)

    async def configure_saml_connection(
        self, connection_id: str, metadata_url: str, attribute_map: Mapping[str, str]
    ) -> ConnectionInfo:
        """PATCH /connections/{id} with `saml_options.idp_metadata_url` (WorkOS re-imports the IdP's
        entity ID, SSO URL and signing certificates from it, replacing the certificates it had) and
        `attribute_maps.standard_attributes` (profile field -> assertion attribute). Nothing else is
        sent: the ACS URL and SP entity ID, set in the dashboard, stay as they are."""
        connection = await self._call(
            f"configuring SAML connection {connection_id} from metadata {metadata_url}",
            lambda sdk: sdk.sso.update_connection(
                connection_id,
                attribute_maps=_StandardAttributes(dict(attribute_map)),
                protocol_options=PatchProtocolOptionsSAML(saml_options=_MetadataUrl(metadata_url)),
            ),
        )
        return ConnectionInfo.from_sdk(connection)

    async def list_idp_signing_certificates(self, connection_id: str) -> list[IdpSigningCertificate]:
        """Every IdP signing certificate the connection trusts (expired ones too), oldest first."""
        found = await self._call(
            f"listing the IdP signing certificates of connection {connection_id}",
            lambda sdk: sdk.sso.list_connection_saml_idp_signing_certs(connection_id),
        )
        return [IdpSigningCertificate.from_sdk(certificate) for certificate in found.data]

    async def add_idp_signing_certificate(
        self, connection_id: str, certificate: str
    ) -> IdpSigningCertificate:
        """Make the connection trust `certificate` (base64 DER) too; the others stay trusted."""
        added = await self._call(
            f"adding an IdP signing certificate to connection {connection_id}",
            lambda sdk: sdk.sso.create_connection_saml_idp_signing_cert(
                connection_id, value=certificate_pem(certificate)
            ),
        )
        return IdpSigningCertificate.from_sdk(added)

    async def delete_idp_signing_certificate(self, connection_id: str, certificate_id: str) -> None:
        """Stop trusting a certificate; one already gone needs nothing more."""
        with contextlib.suppress(NotFoundError):
            await self._call(
                f"deleting IdP signing certificate {certificate_id} of connection {connection_id}",
                lambda sdk: sdk.sso.delete_connection_saml_idp_signing_cert(connection_id, certificate_id),
            )

    async def delete_connection(self, connection_id: str) -> None:
        """DELETE /connections/{id}: returns once WorkOS has accepted the deletion, which it then
        finishes on its own; a connection already being deleted needs nothing more."""
        try:
            await self._call(
                f"deleting connection {connection_id}", lambda sdk: sdk.sso.delete_connection(connection_id)
            )
        except ApiError as exc:
            if exc.code != DELETION_IN_PROGRESS:
                raise

    # ------------------------------------------------------------------ plumbing

    async def _call(
        self,
        action: str,
        operation: Callable[[AsyncWorkOSClient], Awaitable[T]],
        *,
        classify: Classifier | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Run `operation` with a fresh SDK client through `retry_async`; `classify` says what is
        retried (default `is_transient`), `policy` how (default the client's)."""
        async with AsyncWorkOSClient(
            api_key=self._api_key,
            base_url=self._base_url,
            max_retries=0,
            request_timeout=REQUEST_TIMEOUT_SECONDS,
        ) as sdk:
            try:
                return await retry_async(
                    lambda: operation(sdk),
                    describe=f"{SERVICE}: {action}",
                    is_transient=classify or is_transient,
                    policy=policy or self._policy,
                )
            except workos.NotFoundError as exc:
                raise NotFoundError(SERVICE, action, 404, exc.code or "", _detail(exc)) from exc
            except workos.WorkOSError as exc:
                if isinstance(exc, APIError):
                    status = exc.status_code or 0
                    code = exc.code or ""
                    raise ApiError(SERVICE, action, status, code, _detail(exc) + _hint(status, code)) from exc
                raise ProvisionerError(f"{SERVICE}: {action}: {exc}") from exc


@dataclass(frozen=True)
class _GroupsAttributeMap:
    """`attribute_maps` that map the profile's groups from the IdP's groups claim, and nothing else.

    The SDK's own model (CreateConnectionStandardAttributes) always serializes an unset `name` as
    null, which a PATCH reads as "unset the name mapping": every update would undo a name mapping
    an admin made in the dashboard. This sends only `groups`, so other mappings stay as they are.
    """

    groups_claim: str

    def to_dict(self) -> dict[str, Any]:
        return {"standard_attributes": {"groups": self.groups_claim}}


@dataclass(frozen=True)
class _StandardAttributes:
    """`attribute_maps` naming the given standard attributes only (see `_GroupsAttributeMap`)."""

    mapped: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"standard_attributes": self.mapped}


@dataclass(frozen=True)
class _MetadataUrl:
    """`saml_options` with the metadata URL only. The SDK's PatchConnectionSAMLOptions always sends
    `acs_url` and `sp_entity_id`, null when unset, which reverts a connection's overrides of them."""

    idp_metadata_url: str

    def to_dict(self) -> dict[str, Any]:
        return {"idp_metadata_url": self.idp_metadata_url}


def base64_der(pem: str) -> str:
    """A PEM certificate as base64 DER."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()


def _groups_attribute_map(spec: OidcConnectionSpec) -> Any:
    """The connection's attribute_maps argument: None (send none) when the IdP has no groups claim."""
    return _GroupsAttributeMap(spec.groups_claim) if spec.groups_claim else None


class ExternalIdBeingFreed(ProvisionerError):
    """A create met the connection that holds its external_id in state `deleting`."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id} holds this external_id and is still being deleted")


def is_transient(exc: Exception) -> float | None:
    """Retry 429 after the Retry-After wait (0: use backoff), 5xx and network failures; nothing else."""
    if isinstance(exc, workos.RateLimitExceededError):
        return exc.retry_after or 0.0
    if isinstance(exc, workos.ServerError | WorkOSConnectionError | WorkOSTimeoutError):
        return 0.0
    return None


def waits_for_deletion(exc: Exception) -> float | None:
    """`is_transient`, and a create that must wait for a deletion under way (backoff)."""
    if isinstance(exc, ExternalIdBeingFreed):
        return 0.0
    if isinstance(exc, workos.ConflictError) and exc.code == DELETION_IN_PROGRESS:
        return 0.0
    return is_transient(exc)


def _detail(exc: APIError) -> str:
    """The error's own message plus any per-field errors WorkOS listed."""
    body = exc.response_json if isinstance(exc.response_json, Mapping) else {}
    message = body.get("message") or exc.error_description or exc.error
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        listed = "; ".join(_error_item(item) for item in errors)
        message = f"{message} ({listed})" if message else listed
    return str(message or "")


def _hint(status: int, code: str) -> str:
    if status in (401, 403):
        return (
            f". Fix: check that {API_KEY_VARIABLE} is an API key of the WorkOS environment that holds the "
            f"organization (and {BASE_URL_VARIABLE}, if set, points at its API)"
        )
    if code == DELETION_IN_PROGRESS:
        return (
            ". It was deleted outside this stack (in the WorkOS dashboard or by another tool). Fix: run "
            "`pulumi refresh` (the connection then reads as gone) and `pulumi up`, which creates a new one"
        )
    return ""


def _error_item(item: Any) -> str:
    if isinstance(item, Mapping):
        return ": ".join(str(item[k]) for k in ("field", "code", "message") if item.get(k))
    return str(item)


def _value(member: Any) -> str:
    return str(getattr(member, "value", member))
