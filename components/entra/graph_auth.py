"""Where Graph calls go and with which credential: the real service, or the local sandbox.

`SSOPROV_GRAPH_URL` set means "talk to the sandbox": it must be a loopback http(s) URL, and
requests carry a fixed bearer token (`SSOPROV_GRAPH_TOKEN`, default "sandbox-token") because
azure-identity will not fetch tokens from an http authority. Unset means the real
https://graph.microsoft.com/v1.0 with azure-identity's DefaultAzureCredential (environment
variables, workload identity, managed identity, Azure CLI, ...), asking for tokens in the
customer's tenant (the spec's `tenantId`) rather than the one the environment names: one job
with one multi-tenant app identity serves stacks of many customer tenants, and a token for the
wrong tenant (which Graph would answer with another directory's objects or 401) is never used.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from ssoprov.errors import ProvisionerError

GRAPH_URL = "https://graph.microsoft.com/v1.0"
SANDBOX_URL_ENV = "SSOPROV_GRAPH_URL"
SANDBOX_TOKEN_ENV = "SSOPROV_GRAPH_TOKEN"
SANDBOX_TOKEN = "sandbox-token"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class StaticTokenCredential:
    """An async credential that always returns the same token: for the sandbox only.

    kiota's token provider uses a token only if `get_token` returns an
    `azure.core.credentials.AccessToken`; any other object means "no Authorization header".
    """

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("a static token must not be empty")
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return "StaticTokenCredential(<token hidden>)"


def sandbox_base_url(url: str) -> str:
    """Normalize a sandbox URL to `<scheme>://<loopback host>[:port]/v1.0`, refusing anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK_HOSTS:
        raise ProvisionerError(
            f"{SANDBOX_URL_ENV}={url!r} is not a loopback URL: the sandbox Graph must be served on "
            "http://127.0.0.1:<port> or http://localhost:<port>. Unset it to use the real Microsoft Graph."
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/v1.0"):
        path += "/v1.0"
    return f"{parts.scheme}://{parts.netloc}{path}"


_default_credential: TokenCredential | None = None
_default_credential_lock = threading.Lock()


def default_credential() -> TokenCredential:
    """One process-wide DefaultAzureCredential, so its token cache outlives single provider calls.

    The synchronous credential is used on purpose: it is thread-safe and not tied to an event
    loop, while each provider call runs its own `asyncio.run`. kiota awaits it when needed.
    It may fetch tokens for any tenant (`additionally_allowed_tenants`): `TenantCredential`
    picks the tenant per call.
    """
    global _default_credential
    with _default_credential_lock:
        if _default_credential is None:
            from azure.identity import DefaultAzureCredential

            _default_credential = DefaultAzureCredential(additionally_allowed_tenants=["*"])
        return _default_credential


class TenantCredential:
    """A credential that asks `credential` for tokens in one tenant, whichever the environment names."""

    def __init__(self, credential: TokenCredential, tenant_id: str) -> None:
        if not tenant_id:
            raise ValueError("a tenant id must not be empty")
        self.credential = credential
        self.tenant_id = tenant_id

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        try:
            return self.credential.get_token(*scopes, **{**kwargs, "tenant_id": self.tenant_id})
        except ClientAuthenticationError as exc:  # no identity configured, or one Entra refuses
            reason = " ".join(str(exc.message or exc).split())
            raise ProvisionerError(
                f"Microsoft Graph: getting a token for tenant {self.tenant_id}: {reason}. Fix: give the "
                "provisioner an identity in the environment that runs `pulumi`: AZURE_TENANT_ID, "
                "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), workload "
                "identity (AZURE_FEDERATED_TOKEN_FILE) or `az login`, consented to in that tenant "
                "(README, Credentials)"
            ) from None

    def __repr__(self) -> str:
        return f"TenantCredential({type(self.credential).__name__}, tenant {self.tenant_id})"


def endpoint_from_env(tenant_id: str) -> tuple[str, Any]:
    """(base URL, credential) for Graph calls in `tenant_id`, chosen by `SSOPROV_GRAPH_URL` as
    described above (the sandbox serves one tenant and takes any)."""
    sandbox_url = os.environ.get(SANDBOX_URL_ENV, "").strip()
    if sandbox_url:
        token = os.environ.get(SANDBOX_TOKEN_ENV, "").strip() or SANDBOX_TOKEN
        return sandbox_base_url(sandbox_url), StaticTokenCredential(token)
    return GRAPH_URL, TenantCredential(default_credential(), tenant_id)
