"""How a broker authenticates at an identity provider's token endpoint.

One value per organization, decided by the identity-provider side (the method its app is
registered with, or what the provider accepts) and used by every broker: Keycloak's
`clientAuthMethod`, WorkOS's `oidc_options.token_authentication_method`. The two must agree: an
IdP refuses a client that authenticates otherwise than its app is registered for (Okta answers
`invalid_client`), so a mismatch breaks every sign-in at the code-for-token step.
"""

from __future__ import annotations

from typing import Final, Literal

TokenEndpointAuthMethod = Literal["client_secret_basic", "client_secret_post"]
"""The client-secret methods of OpenID Connect Core 1.0 §9: HTTP Basic, or the secret in the form."""
BrokerAuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
"""What a broker may use: a secret method, or a JWT signed with the broker's key (§9, RFC 7523)."""
PRIVATE_KEY_JWT: Final = "private_key_jwt"

CLIENT_SECRET_BASIC: Final = "client_secret_basic"
CLIENT_SECRET_POST: Final = "client_secret_post"
SECRET_METHODS: Final[tuple[TokenEndpointAuthMethod, ...]] = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST)
"""In order of preference: client_secret_basic is OpenID Connect's default, both for a client
registered without a method and for a provider whose discovery document names none."""
