"""An async Keycloak admin REST client: realms, identity providers, their mappers, roles. No Pulumi.

Async because `ssoprov.retry.retry_async` is, and so are the other clients; a Pulumi
dynamic provider (sync, in a thread without a loop) runs one `asyncio.run(...)` per handler
and builds the client inside it (an httpx client must not outlive its event loop):

    async with KeycloakAdminClient(url, username="admin", password=...) as keycloak:
        await keycloak.ensure_realm("sso")

Representations are Keycloak's own JSON (camelCase dicts), passed through as they are.

Authentication: a password grant with `admin-cli` (or any public client) on the master
realm, or the client-credentials grant of a confidential client with a service account.
The access token is refreshed shortly before it expires (master-realm tokens live 60 s by
default), with the refresh token when there is one, and fetched anew once on a 401.

Admin tokens outlive the clients. `ADMIN_TOKENS` keeps one token (access token, refresh
token, their expiries) per sign-in for the whole process, keyed by who signs in where: base
URL, auth realm, grant type, client id, username, and a keyed hash of the password or client
secret, never the value. So the many short-lived clients of one `pulumi up` (one per provider
call, each in its own thread and event loop) sign in once between them. Refreshes and grants
of one sign-in take turns behind a thread lock, and a client that waited uses the token the
one before it got. A 401 drops the token for every client, and the one grant that follows
serves them all. Tokens are kept in memory only.

Retries (through `retry_async`): a refused connection (Keycloak still starting) and 429/503
are retried for every call, since the server did nothing; other 5xx, timeouts and dropped
connections only for idempotent calls (GET, PUT, DELETE), because a create may have happened
and a second POST would then fail: 409 for an identity provider or a role, and (Keycloak
26.7, checked) 400 "Failed to add mapper" for a mapper whose name the identity provider
already has. Final HTTP failures raise `ApiError` (`NotFoundError` for 404) whose action
names the object ("updating identity provider acme-entra in realm sso").

`from_environment(url)` builds a client from the admin credentials in the environment
(see `CREDENTIAL_VARIABLES`); they never pass through Pulumi inputs, outputs or state.

Client secrets: GET masks `config.clientSecret` as "**********", and a PUT carrying that mask
keeps the stored secret (Keycloak swaps the stored value back in). A PUT without the key
erases it, so `update_identity_provider` sends the mask whenever no new secret is given (but
for a private_key_jwt provider, whose secret must go), and no call ever sends a blank secret.
Neither secrets nor tokens are logged or put in errors.

Realm keys: key providers are components of the realm (`/components`, providerType
`org.keycloak.keys.KeyProvider`), their config values lists of strings; `/keys` lists every key
with its status (ACTIVE signs and verifies, PASSIVE only verifies, DISABLED is unpublished),
priority, kid, and certificate. The active key of highest priority for an algorithm signs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote, unquote

import httpx

from ssoprov.errors import ApiError, NotFoundError, ProvisionerError
from ssoprov.retry import DEFAULT_POLICY, Classifier, RetryPolicy, retry_async
from ssoprov.token_endpoint_auth import PRIVATE_KEY_JWT

SERVICE = "Keycloak"
KEY_PROVIDER_TYPE = "org.keycloak.keys.KeyProvider"
MASKED_SECRET = "**********"
"""What Keycloak returns instead of a stored client secret, and accepts as "keep it" on update."""

TOKEN_REFRESH_MARGIN_SECONDS = 15.0
"""An access token this close to expiry is refreshed before use."""
IDP_PAGE_SIZE = 100
"""Identity providers asked for per page when listing a realm's."""

_GRANT_WAIT_SECONDS = 0.01
"""How often a client waiting for another's grant of the same sign-in looks again."""

_ALWAYS_TRANSIENT_STATUS = {429, 503}
_SECRET_KEYS = ("clientSecret",)

logger = logging.getLogger(__name__)

Representation = dict[str, Any]


class KeycloakUnreachable(ProvisionerError):
    """No HTTP answer from Keycloak (connection refused, timeout, dropped connection)."""

    def __init__(self, action: str, url: str, cause: Exception) -> None:
        self.action = action
        super().__init__(
            f"{SERVICE}: {action}: no answer from {url} ({type(cause).__name__}: {cause}). "
            "Check that Keycloak is running and the URL is right."
        )


class KeycloakAdminClient:
    """Admin REST calls against one Keycloak server; use as `async with`."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "admin-cli",
        client_secret: str | None = None,
        auth_realm: str = "master",
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Password grant when `username` and `password` are given, else client credentials."""
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither (client credentials)")
        if username is None and not client_secret:
            raise ValueError("give username and password, or a client_secret for client credentials")
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._client_id = client_id
        self._client_secret = client_secret
        self._auth_realm = auth_realm
        self._policy = policy
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        self._tokens = ADMIN_TOKENS
        self._sign_in = _SignIn(
            base_url=self.base_url,
            auth_realm=auth_realm,
            grant_type="client_credentials" if username is None else "password",
            client_id=client_id,
            username=username,
            credential=_credential_digest(password, client_secret),
        )

    async def __aenter__(self) -> KeycloakAdminClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def broker_redirect_uri(self, realm: str, alias: str) -> str:
        """The callback URL the upstream IdP app must allow for identity provider `alias`."""
        return f"{self.base_url}/realms/{_seg(realm)}/broker/{_seg(alias)}/endpoint"

    # -----------------------------------------------------------------------------------------
    # Realms

    async def ensure_realm(self, realm: str, *, display_name: str | None = None) -> bool:
        """Create realm `realm` (enabled) unless it exists; True if it was created."""
        try:
            await self._call("GET", f"/admin/realms/{_seg(realm)}", action=f"reading realm {realm}")
            return False
        except NotFoundError:
            pass
        body: Representation = {"realm": realm, "enabled": True}
        if display_name:
            body["displayName"] = display_name
        try:
            await self._call("POST", "/admin/realms", action=f"creating realm {realm}", json=body)
        except ApiError as exc:
            if exc.status == 409:  # created meanwhile by someone else: that is what we wanted
                return False
            raise
        return True

    async def delete_realm(self, realm: str) -> None:
        await self._call("DELETE", f"/admin/realms/{_seg(realm)}", action=f"deleting realm {realm}")

    async def ensure_public_client(self, realm: str, client_id: str, redirect_uris: list[str]) -> bool:
        """A public client (standard flow with PKCE, no secret) unless one with this clientId exists."""
        found = await self._call(
            "GET",
            f"/admin/realms/{_seg(realm)}/clients",
            action=f"looking up client {client_id} in realm {realm}",
            params={"clientId": client_id},
        )
        if found.json():
            return False
        body: Representation = {
            "clientId": client_id,
            "publicClient": True,
            "standardFlowEnabled": True,
            "directAccessGrantsEnabled": False,
            "redirectUris": redirect_uris,
            "attributes": {"pkce.code.challenge.method": "S256"},
        }
        await self._call(
            "POST",
            f"/admin/realms/{_seg(realm)}/clients",
            action=f"creating client {client_id} in realm {realm}",
            json=body,
        )
        return True

    # -----------------------------------------------------------------------------------------
    # Identity providers

    async def list_identity_providers(self, realm: str) -> list[Representation]:
        """Every identity provider of `realm`: Keycloak answers a page at a time (100 by default)."""
        providers: list[Representation] = []
        while True:
            response = await self._call(
                "GET",
                _idps(realm),
                params={"first": str(len(providers)), "max": str(IDP_PAGE_SIZE)},
                action=f"listing identity providers in realm {realm}",
            )
            page = response.json()
            providers.extend(page)
            if len(page) < IDP_PAGE_SIZE:
                return providers

    async def get_identity_provider(self, realm: str, alias: str) -> Representation:
        """The provider's representation, `config.clientSecret` masked; NotFoundError if absent."""
        response = await self._call(
            "GET", _idp(realm, alias), action=f"reading identity provider {alias} in realm {realm}"
        )
        return response.json()

    async def create_identity_provider(self, realm: str, provider: Mapping[str, Any]) -> None:
        """Create an identity provider: alias, providerId ("oidc", "microsoft", ...), config, ...

        A blank `config.clientSecret` is left out, never sent; the mask is refused (there is
        no stored secret for it to stand for).
        """
        body = _copy(provider)
        alias = body.get("alias") or ""
        if not alias:
            raise ValueError("an identity provider needs an alias")
        config = body.setdefault("config", {})
        secret = config.get("clientSecret")
        if secret == MASKED_SECRET:
            raise ValueError(
                f"identity provider {alias}: clientSecret is the mask {MASKED_SECRET!r}; "
                "creating needs the real secret"
            )
        if not secret:
            config.pop("clientSecret", None)
        await self._call(
            "POST",
            _idps(realm),
            action=f"creating identity provider {alias} in realm {realm}",
            json=body,
            secrets=_secrets_of(body),
        )

    async def update_identity_provider(self, realm: str, alias: str, provider: Mapping[str, Any]) -> None:
        """Replace the provider's representation (Keycloak's PUT replaces, it does not merge).

        Send the whole representation (typically a GET's, changed). Without a new
        `config.clientSecret` (absent, None, blank or the mask) the stored secret is kept, except
        for a provider that authenticates with the realm's key (`clientAuthMethod`
        private_key_jwt): its stored secret is erased, so no unused secret lingers in Keycloak.
        """
        body = _copy(provider)
        if body.get("alias", alias) != alias:
            raise ValueError(
                f"identity provider {alias}: the alias cannot be changed (got {body['alias']!r})"
            )
        body["alias"] = alias
        config = body.setdefault("config", {})
        if config.get("clientAuthMethod") == PRIVATE_KEY_JWT:
            config.pop("clientSecret", None)  # a PUT without it erases the stored secret, on purpose
        elif not config.get("clientSecret"):
            config["clientSecret"] = MASKED_SECRET
        await self._call(
            "PUT",
            _idp(realm, alias),
            action=f"updating identity provider {alias} in realm {realm}",
            json=body,
            secrets=_secrets_of(body),
        )

    async def delete_identity_provider(self, realm: str, alias: str) -> None:
        """Delete the provider (Keycloak drops its mappers and users' links to it too)."""
        await self._call(
            "DELETE", _idp(realm, alias), action=f"deleting identity provider {alias} in realm {realm}"
        )

    async def import_config(
        self, realm: str, discovery_url: str, *, provider_id: str = "oidc"
    ) -> dict[str, str]:
        """Let Keycloak read an OIDC discovery document into identity provider config keys.

        Returns authorizationUrl, tokenUrl, userInfoUrl, issuer, jwksUrl, ...; creates nothing.
        """
        response = await self._call(
            "POST",
            f"/admin/realms/{_seg(realm)}/identity-provider/import-config",
            action=f"importing identity provider config from {discovery_url} in realm {realm}",
            json={"providerId": provider_id, "fromUrl": discovery_url},
            idempotent=True,  # reads a document and stores nothing
        )
        return response.json()

    # -----------------------------------------------------------------------------------------
    # Realm keys

    async def list_key_providers(self, realm: str) -> list[Representation]:
        """The realm's key provider components (rsa-generated, rsa, hmac-generated, ...)."""
        response = await self._call(
            "GET",
            f"/admin/realms/{_seg(realm)}/components",
            action=f"listing key providers of realm {realm}",
            params={"type": KEY_PROVIDER_TYPE},
        )
        return response.json()

    async def create_key_provider(
        self, realm: str, name: str, provider_id: str, config: Mapping[str, str]
    ) -> str:
        """Add a key provider (e.g. `rsa-generated` with priority, algorithm, keySize); its id."""
        realm_id = (
            await self._call("GET", f"/admin/realms/{_seg(realm)}", action=f"reading realm {realm}")
        ).json()["id"]
        body = {
            "name": name,
            "providerId": provider_id,
            "providerType": KEY_PROVIDER_TYPE,
            "parentId": realm_id,
            "config": {key: [value] for key, value in config.items()},
        }
        response = await self._call(
            "POST",
            f"/admin/realms/{_seg(realm)}/components",
            action=f"creating key provider {name} in realm {realm}",
            json=body,
        )
        return response.headers["location"].rstrip("/").rsplit("/", 1)[-1]

    async def update_key_provider(self, realm: str, component_id: str, config: Mapping[str, str]) -> None:
        """Change some config values of a key provider (priority, enabled, active), keeping the rest."""
        path = f"/admin/realms/{_seg(realm)}/components/{_seg(component_id)}"
        action = f"updating key provider {component_id} in realm {realm}"
        body = (await self._call("GET", path, action=action)).json()
        body["config"] = {**body.get("config", {}), **{key: [value] for key, value in config.items()}}
        await self._call("PUT", path, action=action, json=body)

    async def delete_key_provider(self, realm: str, component_id: str) -> None:
        await self._call(
            "DELETE",
            f"/admin/realms/{_seg(realm)}/components/{_seg(component_id)}",
            action=f"deleting key provider {component_id} in realm {realm}",
        )

    async def realm_keys(self, realm: str) -> list[Representation]:
        """Every key of the realm: providerId (the component), providerPriority, kid, status,
        type, algorithm, use, certificate (base64 DER), validTo."""
        response = await self._call(
            "GET", f"/admin/realms/{_seg(realm)}/keys", action=f"listing keys of realm {realm}"
        )
        return response.json().get("keys", [])

    # -----------------------------------------------------------------------------------------
    # Identity provider mappers

    async def list_mappers(self, realm: str, alias: str) -> list[Representation]:
        response = await self._call(
            "GET",
            f"{_idp(realm, alias)}/mappers",
            action=f"listing mappers of identity provider {alias} in realm {realm}",
        )
        return response.json()

    async def get_mapper(self, realm: str, alias: str, mapper_id: str) -> Representation:
        response = await self._call(
            "GET",
            f"{_idp(realm, alias)}/mappers/{_seg(mapper_id)}",
            action=f"reading mapper {mapper_id} of identity provider {alias} in realm {realm}",
        )
        return response.json()

    async def create_mapper(self, realm: str, alias: str, mapper: Mapping[str, Any]) -> str:
        """Add a mapper (name, identityProviderMapper, config) and return its id.

        E.g. identityProviderMapper "oidc-role-idp-mapper" with config {claim, "claim.value",
        role, syncMode}, or "oidc-hardcoded-role-idp-mapper" with {role, syncMode}. Keycloak
        keeps mapper names unique per identity provider: a taken name fails with HTTP 400
        (`is_duplicate_mapper`). It does not check that `role` exists.
        """
        body = _copy(mapper)
        body["identityProviderAlias"] = alias
        name = body.get("name", "?")
        response = await self._call(
            "POST",
            f"{_idp(realm, alias)}/mappers",
            action=f"creating mapper {name} of identity provider {alias} in realm {realm}",
            json=body,
        )
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    async def update_mapper(self, realm: str, alias: str, mapper_id: str, mapper: Mapping[str, Any]) -> None:
        """Replace a mapper's representation (name, identityProviderMapper, config)."""
        body = _copy(mapper)
        body.update(id=mapper_id, identityProviderAlias=alias)
        name = body.get("name", mapper_id)
        await self._call(
            "PUT",
            f"{_idp(realm, alias)}/mappers/{_seg(mapper_id)}",
            action=f"updating mapper {name} of identity provider {alias} in realm {realm}",
            json=body,
        )

    async def delete_mapper(self, realm: str, alias: str, mapper_id: str) -> None:
        await self._call(
            "DELETE",
            f"{_idp(realm, alias)}/mappers/{_seg(mapper_id)}",
            action=f"deleting mapper {mapper_id} of identity provider {alias} in realm {realm}",
        )

    # -----------------------------------------------------------------------------------------
    # Roles

    async def list_realm_roles(self, realm: str) -> list[Representation]:
        response = await self._call(
            "GET", f"/admin/realms/{_seg(realm)}/roles", action=f"listing realm roles of realm {realm}"
        )
        return response.json()

    async def get_realm_role(self, realm: str, name: str) -> Representation:
        """The realm role `name`; NotFoundError if the realm has none of that name."""
        response = await self._call(
            "GET",
            f"/admin/realms/{_seg(realm)}/roles/{_seg(name)}",
            action=f"reading realm role {name} in realm {realm}",
        )
        return response.json()

    async def create_realm_role(self, realm: str, name: str, *, description: str | None = None) -> bool:
        """Create the realm role `name`; False if it existed already (HTTP 409), True if created."""
        body: Representation = {"name": name}
        if description:
            body["description"] = description
        try:
            await self._call(
                "POST",
                f"/admin/realms/{_seg(realm)}/roles",
                action=f"creating realm role {name} in realm {realm}",
                json=body,
            )
        except ApiError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    async def ensure_realm_role(
        self, realm: str, name: str, *, description: str | None = None
    ) -> Representation:
        """The realm role `name`, created first if missing (an existing one is left as it is)."""
        path = f"/admin/realms/{_seg(realm)}/roles"
        return await self._ensure_role(path, name, description, f"realm role {name} in realm {realm}")

    async def ensure_client_role(
        self, realm: str, client_id: str, name: str, *, description: str | None = None
    ) -> Representation:
        """The role `name` of the client whose clientId is `client_id`, created first if missing."""
        action = f"finding client {client_id} in realm {realm}"
        response = await self._call(
            "GET", f"/admin/realms/{_seg(realm)}/clients", action=action, params={"clientId": client_id}
        )
        matches = [client for client in response.json() if client.get("clientId") == client_id]
        if not matches:
            raise NotFoundError(SERVICE, action, 404, "", "no such client")
        path = f"/admin/realms/{_seg(realm)}/clients/{_seg(matches[0]['id'])}/roles"
        return await self._ensure_role(
            path, name, description, f"role {name} of client {client_id} in realm {realm}"
        )

    async def _ensure_role(self, path: str, name: str, description: str | None, what: str) -> Representation:
        try:
            response = await self._call("GET", f"{path}/{_seg(name)}", action=f"reading {what}")
            return response.json()
        except NotFoundError:
            pass
        body: Representation = {"name": name}
        if description:
            body["description"] = description
        try:
            await self._call("POST", path, action=f"creating {what}", json=body)
        except ApiError as exc:
            if exc.status != 409:
                raise
        response = await self._call("GET", f"{path}/{_seg(name)}", action=f"reading {what}")
        return response.json()

    # -----------------------------------------------------------------------------------------
    # Transport: tokens, retries, errors

    async def _call(
        self,
        method: Literal["GET", "POST", "PUT", "DELETE"],
        path: str,
        *,
        action: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        secrets: Collection[str] = (),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """One admin API call, retried per the module docstring; returns a 2xx response."""
        reauthenticated = False

        async def attempt() -> httpx.Response:
            nonlocal reauthenticated
            token = await self._token()
            response = await self._send(
                action, method, path, json=json, params=params, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code == 401 and not reauthenticated:
                reauthenticated = True  # the token expired or was revoked early: one fresh login
                self._tokens.forget(self._sign_in, token)
                raise _Reauthenticate()
            if response.is_success:
                return response
            raise _error(response, action, secrets, missing_realm=self._missing_realm(path))

        if idempotent is None:
            idempotent = method != "POST"
        return await retry_async(
            attempt,
            describe=f"{SERVICE}: {action}",
            is_transient=_classifier(idempotent),
            policy=self._policy,
        )

    def _missing_realm(self, path: str) -> str:
        """What Keycloak's bare 'Realm not found.' means for an admin call on `path`, with the fix."""
        realm = unquote(path.removeprefix("/admin/realms/").split("/", 1)[0])
        return (
            f"realm {realm} does not exist on {self.base_url}. Fix: create the realm in Keycloak, or name "
            "one that exists (ssoprov:organization.broker.realm and broker.url in a stack file; --realm and "
            "--keycloak-url for ssoprov adopt)"
        )

    async def _send(self, action: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _Unreachable(action, self.base_url, exc) from exc
        logger.debug("%s %s %s -> %s", SERVICE, method, path, response.status_code)
        return response

    async def _token(self) -> str:
        """A valid access token of this client's sign-in: the shared one, refreshed or granted if need be."""
        held = self._tokens.get(self._sign_in)
        if held and held.usable(time.monotonic()):
            return held.access
        async with self._tokens.granting(self._sign_in):
            held = self._tokens.get(self._sign_in)  # another client may have granted while we waited
            now = time.monotonic()
            if held and held.usable(now):
                return held.access
            form: dict[str, str] = {"client_id": self._client_id}
            if self._client_secret:
                form["client_secret"] = self._client_secret
            if held and held.refresh and held.refreshable(now):
                try:
                    token = await self._grant(
                        {**form, "grant_type": "refresh_token", "refresh_token": held.refresh}
                    )
                except ApiError as exc:
                    if exc.status not in (400, 401):  # an expired session falls back to a full login
                        raise
                else:
                    self._tokens.put(self._sign_in, token)
                    return token.access
            if self._username is not None:
                assert self._password is not None
                form.update(grant_type="password", username=self._username, password=self._password)
            else:
                form["grant_type"] = "client_credentials"
            token = await self._grant(form)
            self._tokens.put(self._sign_in, token)
            return token.access

    async def _grant(self, form: dict[str, str]) -> _Token:
        who = f"user {self._username}" if self._username else f"client {self._client_id}"
        action = f"getting an admin token for {who} in realm {self._auth_realm} ({form['grant_type']} grant)"
        path = f"/realms/{_seg(self._auth_realm)}/protocol/openid-connect/token"
        secrets = [
            value for key, value in form.items() if key in ("password", "client_secret", "refresh_token")
        ]

        no_realm = (
            f"realm {self._auth_realm} does not exist on {self.base_url}. Fix: set KEYCLOAK_AUTH_REALM to "
            "the realm the admin credentials belong to (unset: master)"
        )

        async def attempt() -> httpx.Response:
            response = await self._send(action, "POST", path, data=form)
            if response.is_success:
                return response
            raise _error(response, action, secrets, missing_realm=no_realm)

        response = await retry_async(
            attempt, describe=f"{SERVICE}: {action}", is_transient=_classifier(True), policy=self._policy
        )
        grant = response.json()
        now = time.monotonic()
        return _Token(
            access=grant["access_token"],
            access_expires_at=now + float(grant.get("expires_in", 60)),
            refresh=grant.get("refresh_token"),
            refresh_expires_at=now + float(grant.get("refresh_expires_in", 0) or 0),
        )


# ---------------------------------------------------------------------------------------------
# Admin tokens, shared by every client of the process


@dataclass(frozen=True)
class _SignIn:
    """Who signs in where: what a shared token is kept under."""

    base_url: str
    auth_realm: str
    grant_type: Literal["password", "client_credentials"]
    client_id: str
    username: str | None
    credential: str = field(repr=False)
    """A keyed hash of the password and client secret (`_credential_digest`), never the values."""


@dataclass(frozen=True)
class _Token:
    access: str = field(repr=False)
    access_expires_at: float
    """On the `time.monotonic()` clock, like `refresh_expires_at`."""
    refresh: str | None = field(repr=False)
    refresh_expires_at: float

    def usable(self, now: float) -> bool:
        return now < self.access_expires_at - TOKEN_REFRESH_MARGIN_SECONDS

    def refreshable(self, now: float) -> bool:
        return now < self.refresh_expires_at - TOKEN_REFRESH_MARGIN_SECONDS


class AdminTokenStore:
    """The admin tokens of one process, one per sign-in, for every thread and event loop.

    Asyncio locks belong to one loop, and a Pulumi provider runs each call in a loop of its
    own, so the locks here are thread locks. A waiter for a grant polls instead of blocking:
    a blocked thread would stall its loop, and with it a coroutine of the same loop that is
    holding the grant (two clients in one `asyncio.gather`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the two dicts; never held across an await
        self._tokens: dict[_SignIn, _Token] = {}
        self._grant_locks: dict[_SignIn, threading.Lock] = {}

    def get(self, sign_in: _SignIn) -> _Token | None:
        with self._lock:
            return self._tokens.get(sign_in)

    def put(self, sign_in: _SignIn, token: _Token) -> None:
        with self._lock:
            self._tokens[sign_in] = token

    def forget(self, sign_in: _SignIn, access: str) -> None:
        """Drop the sign-in's token if it still is `access` (refused with a 401, by anyone)."""
        with self._lock:
            held = self._tokens.get(sign_in)
            if held is not None and held.access == access:
                del self._tokens[sign_in]

    @asynccontextmanager
    async def granting(self, sign_in: _SignIn) -> AsyncIterator[None]:
        """Hold the sign-in's grant lock: one refresh or grant at a time, process-wide."""
        with self._lock:
            lock = self._grant_locks.setdefault(sign_in, threading.Lock())
        while not lock.acquire(blocking=False):
            await asyncio.sleep(_GRANT_WAIT_SECONDS)
        try:
            yield
        finally:
            lock.release()


ADMIN_TOKENS = AdminTokenStore()
"""This process's admin tokens; every `KeycloakAdminClient` takes its token from here."""

_DIGEST_KEY = os.urandom(32)
"""Keys the credential hashes: random per process, so a hash says nothing outside it."""


def _credential_digest(*values: str | None) -> str:
    digest = hashlib.blake2b(key=_DIGEST_KEY)
    for value in values:
        encoded = (value or "").encode()
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Credentials from the environment


CREDENTIAL_VARIABLES = {
    "KEYCLOAK_ADMIN_USERNAME": "an admin user (password grant with admin-cli)",
    "KEYCLOAK_ADMIN_PASSWORD": "its password",
    "KEYCLOAK_CLIENT_ID": "or a confidential client with a service account that may manage the realm",
    "KEYCLOAK_CLIENT_SECRET": "its secret",
    "KEYCLOAK_AUTH_REALM": "the realm those credentials belong to (default: master)",
}


def from_environment(
    base_url: str,
    environ: Mapping[str, str] | None = None,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    transport: httpx.AsyncBaseTransport | None = None,
) -> KeycloakAdminClient:
    """A client for `base_url` with the admin credentials in the environment.

    KEYCLOAK_ADMIN_USERNAME and KEYCLOAK_ADMIN_PASSWORD (password grant), else KEYCLOAK_CLIENT_ID
    and KEYCLOAK_CLIENT_SECRET (client credentials); KEYCLOAK_AUTH_REALM, if set, is the realm
    they log in to. Raises ProvisionerError naming the variables when neither pair is complete.
    """
    env = os.environ if environ is None else environ
    realm = env.get("KEYCLOAK_AUTH_REALM") or "master"
    username, password = env.get("KEYCLOAK_ADMIN_USERNAME"), env.get("KEYCLOAK_ADMIN_PASSWORD")
    if username and password:
        return KeycloakAdminClient(
            base_url,
            username=username,
            password=password,
            auth_realm=realm,
            policy=policy,
            transport=transport,
        )
    client_id, client_secret = env.get("KEYCLOAK_CLIENT_ID"), env.get("KEYCLOAK_CLIENT_SECRET")
    if client_id and client_secret:
        return KeycloakAdminClient(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            auth_realm=realm,
            policy=policy,
            transport=transport,
        )
    raise ProvisionerError(
        f"{SERVICE}: no admin credentials for {base_url} in the environment that runs `pulumi`. "
        "Fix: export KEYCLOAK_ADMIN_USERNAME and KEYCLOAK_ADMIN_PASSWORD, or KEYCLOAK_CLIENT_ID and "
        "KEYCLOAK_CLIENT_SECRET of a service account allowed to manage the realm"
    )


# ---------------------------------------------------------------------------------------------
# Errors and their classification


class _Reauthenticate(Exception):
    """A 401 on an admin call: retry once with a fresh token."""


class _ServerBusy(ApiError):
    """429 or 5xx; `retry_after` is the server's Retry-After in seconds, if it sent one."""

    def __init__(self, *args: Any, retry_after: float | None) -> None:
        super().__init__(*args)
        self.retry_after = retry_after


class _Unreachable(KeycloakUnreachable):
    def __init__(self, action: str, url: str, cause: httpx.TransportError) -> None:
        super().__init__(action, url, cause)
        self.request_sent = not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


def _classifier(idempotent: bool) -> Classifier:
    def is_transient(exc: Exception) -> float | None:
        if isinstance(exc, _Reauthenticate):
            return 0.05
        if isinstance(exc, _Unreachable):
            return 0.0 if idempotent or not exc.request_sent else None
        if isinstance(exc, _ServerBusy) and (idempotent or exc.status in _ALWAYS_TRANSIENT_STATUS):
            return exc.retry_after or 0.0
        return None

    return is_transient


KEYCLOAK_NO_REALM = ("Realm not found.", "Realm does not exist")
"""Keycloak's whole answer (HTTP 404) on a realm that does not exist: to an admin call, to a token
request."""


def _error(
    response: httpx.Response, action: str, secrets: Collection[str], *, missing_realm: str = ""
) -> ApiError:
    """The ApiError for a failed answer; `missing_realm` replaces Keycloak's bare 'Realm not found.'."""
    code, message = _error_detail(response)
    if missing_realm and response.status_code == 404 and {code, message} & set(KEYCLOAK_NO_REALM):
        code, message = "", missing_realm
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    status = response.status_code
    if status == 404:
        return NotFoundError(SERVICE, action, status, code, message)
    if status == 429 or status >= 500:
        return _ServerBusy(SERVICE, action, status, code, message, retry_after=_retry_after(response))
    return ApiError(SERVICE, action, status, code, message)


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    """(code, message) from Keycloak's error bodies: {errorMessage} or OAuth {error, error_description}."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text.strip()[:300]
    if not isinstance(body, dict):
        return "", str(body)[:300]
    code = str(body.get("error") or "")
    message = str(body.get("errorMessage") or body.get("error_description") or "")
    if code == message:
        code = ""
    return code, message


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Paths and bodies


def _seg(value: str) -> str:
    """One URL path segment (aliases, role names and ids may hold any character)."""
    return quote(value, safe="")


def _idps(realm: str) -> str:
    return f"/admin/realms/{_seg(realm)}/identity-provider/instances"


def _idp(realm: str, alias: str) -> str:
    return f"{_idps(realm)}/{_seg(alias)}"


def _copy(representation: Mapping[str, Any]) -> Representation:
    """A copy deep enough that filling in config does not touch the caller's dict."""
    body = dict(representation)
    if isinstance(body.get("config"), Mapping):
        body["config"] = dict(body["config"])
    return body


def _secrets_of(body: Representation) -> list[str]:
    config = body.get("config") or {}
    return [config[key] for key in _SECRET_KEYS if config.get(key) and config[key] != MASKED_SECRET]
