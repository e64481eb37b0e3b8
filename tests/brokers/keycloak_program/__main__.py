"""An identity provider and one mapper, straight from config: to change what the spec cannot."""

import pulumi

from ssoprov.brokers.keycloak.identity_provider import (
    KeycloakIdentityProvider,
    KeycloakIdentityProviderArgs,
)
from ssoprov.brokers.keycloak.mapper import (
    DEFAULT_ROLE_MAPPER,
    KeycloakIdpMapper,
    KeycloakIdpMapperArgs,
    default_role_config,
)

config = pulumi.Config("check")
url, realm, provider_id = config.require("url"), config.require("realm"), config.require("providerId")
oidc = provider_id == "oidc"
provider = KeycloakIdentityProvider(
    "provider",
    KeycloakIdentityProviderArgs(
        url=url,
        realm=realm,
        alias=config.require("alias"),
        provider_id=provider_id,
        display_name="Acme Corp",
        discovery_url=config.require("discoveryUrl") if oidc else None,
        client_id="acme-client",
        client_secret=config.require_secret("clientSecret"),
        client_auth_method="client_secret_basic" if oidc else None,
        sync_mode="FORCE",
    ),
)
KeycloakIdpMapper(
    "default-role",
    KeycloakIdpMapperArgs(
        url=url,
        realm=realm,
        alias=provider.alias,
        name="default role: member",
        mapper_type=DEFAULT_ROLE_MAPPER,
        config=default_role_config("member"),
    ),
    opts=pulumi.ResourceOptions(depends_on=[provider]),
)
pulumi.export("alias", provider.alias)
