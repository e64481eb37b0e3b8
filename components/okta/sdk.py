"""The okta SDK client the Okta providers use: made of only the API groups they call.

`okta.client.Client` inherits all of the SDK's API groups, and importing it loads about 1,760
modules: 3.6 s of CPU, most of what a provider process spends on a first `pulumi up` of an Okta
organization. The groups in `API_GROUPS` and the request executor load about 700 modules in 0.9 s.
`sdk_client` builds its client the way `Client` builds itself: the SDK's own config setter and
validator, its request executor (OAuth, DPoP, retries of its own set to none by our config), no
cache. A method of a group not listed fails at once with AttributeError: add its group here.

The SDK is imported inside the functions, never when this module is imported, so that reading a
spec or a state never pays for it. The SDK's logger stays disabled: at debug level it prints the
Authorization header.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
from typing import Any

API_GROUPS = (
    ("okta.api.application_api", "ApplicationApi"),
    ("okta.api.application_groups_api", "ApplicationGroupsApi"),
    ("okta.api.application_sso_api", "ApplicationSSOApi"),
    ("okta.api.application_sso_credential_key_api", "ApplicationSSOCredentialKeyApi"),
    ("okta.api.application_sso_public_keys_api", "ApplicationSSOPublicKeysApi"),
)
"""(module, class) of each API group `OktaClient` calls: apps, their group assignments, their
key credentials and SAML metadata, their OAuth client secrets and JWKs."""
SDK_LOGGER = "okta-sdk-python"


class TransportFailure(Exception):
    """No HTTP answer at all (connection refused or reset, timeout)."""


@functools.cache
def _http_client_class() -> type:
    """The SDK's HTTP client, changed to raise when no answer came back.

    The stock one returns the aiohttp error, and the generated methods then fail with
    AttributeError on the missing response; raising lets the classifier see a network error.
    """
    from okta.http_client import HTTPClient

    class RaisingHTTPClient(HTTPClient):
        async def send_request(self, request: dict) -> tuple:
            result = await super().send_request(request)
            if result[1] is None and result[3] is not None:
                error = result[3]
                raise TransportFailure(f"{type(error).__name__}: {error}".rstrip(": "))
            return result

    return RaisingHTTPClient


@functools.cache
def _sdk_client_class() -> type:
    """A client class of the API groups in `API_GROUPS`, built once per process."""
    from okta.cache.no_op_cache import NoOpCache
    from okta.config.config_setter import ConfigSetter
    from okta.config.config_validator import ConfigValidator
    from okta.request_executor import RequestExecutor

    groups = tuple(getattr(importlib.import_module(module), name) for module, name in API_GROUPS)

    class OktaSdkClient(*groups):  # type: ignore[misc]
        def __init__(self, user_config: dict[str, Any]) -> None:
            setter = ConfigSetter()
            setter._apply_config({"client": user_config})
            config = setter._prune_config(setter.get_config())
            ConfigValidator(config)
            super().__init__(configuration=config)
            self._request_executor = RequestExecutor(config, NoOpCache(), user_config.get("httpClient"))

        def get_request_executor(self) -> Any:
            return self._request_executor

    return OktaSdkClient


DPOP_APPS: set[tuple[str, str]] = set()
"""(org URL, client id) of the service apps whose token endpoint asked for DPoP, in this process."""
dpop_lock = threading.Lock()
dpop_keys: dict[tuple[str, str], Any] = {}


def _share_dpop_keys() -> None:
    """Make the SDK keep one DPoP key per service app and process, not one per SDK client.

    The SDK makes a fresh RSA-3072 key in every client (about 5 s of CPU here), and a client is
    built per event loop, i.e. per provider call. Its generator is thread-safe and keeps the
    server's nonce, so sharing it is what it is built for; only its constructor is wrapped.
    """
    import okta.oauth as sdk_oauth

    make = sdk_oauth.DPoPProofGenerator
    if make is None or getattr(make, "shared_per_app", False):
        return

    def shared(config: dict[str, Any]) -> Any:
        app = (str(config.get("orgUrl")), str(config.get("clientId")))
        with dpop_lock:
            if app not in dpop_keys:
                dpop_keys[app] = make(config)
            return dpop_keys[app]

    shared.shared_per_app = True  # type: ignore[attr-defined]
    sdk_oauth.DPoPProofGenerator = shared


def sdk_client(config: dict[str, Any], *, dpop: bool = False) -> Any:
    """An SDK client for `config` (the SDK's `Client` settings, without `httpClient`), raising
    `TransportFailure` when a request gets no answer. ValueError when the SDK refuses the config."""
    if dpop:
        _share_dpop_keys()
        config = {**config, "dpopEnabled": True}
    logging.getLogger(SDK_LOGGER).disabled = True
    return _sdk_client_class()({**config, "httpClient": _http_client_class()})
