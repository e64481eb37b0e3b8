"""The Keycloak broker: an organization's identity provider in a realm, with its role mappers.

    broker = KeycloakBroker(spec)
    broker.redirect_uri()   # {url}/realms/{realm}/broker/{alias}/endpoint, before anything exists
    broker.connect(idp, rules, default_role, parent=organization)

`assertion_key(parent)` (secretless organizations only) records the realm's client-assertion key,
`KeycloakRealmAssertionKey`: the realm's, shared with its other organizations, never deleted.

`connect` creates, as children of `parent`:

- one `KeycloakRealmRoles` for the roles the mappings and the default role name (none if they
  name none): created if missing when `broker.createRoles` is true, else only checked (a missing
  role fails the run before any mapper grants it). Roles are shared by the realm's organizations
  and are never deleted;
- for an OpenID Connect IdP (`IdpConnectionInfo`), the `KeycloakIdentityProvider` (alias
  `spec.broker_alias`): providerId "oidc" for Entra ID, Okta and generic OIDC, with the endpoints
  Keycloak reads from the IdP's discovery document and the token-endpoint auth method the IdP
  decided (`idp.token_endpoint_auth_method`), or "microsoft" for Microsoft OAuth. With
  private_key_jwt it has no secret and waits for `idp.trust` (the IdP app trusting the realm's
  key, `assertion_key`);
- for a SAML IdP (`SamlConnectionInfo`), the `KeycloakSamlIdentityProvider` of the same alias:
  the IdP's metadata URL, the signing certificates the IdP's API reports, its NameID format; its
  SP entity ID and ACS URL are `service_provider()`, which the IdP app is made with; plus one
  attribute mapper per profile attribute the assertions carry (`idp.profile_attributes`);
- one `KeycloakIdpMapper` per role mapping (the groups claim the IdP sends, `idp.groups_claim`, or
  the SAML group attribute, `idp.groups_attribute`, holds the group's value -> role) and one for
  the default role. An IdP that sends no groups claim (Microsoft OAuth; Entra with groupsClaim
  None or DirectoryRole) gets the default role only (the spec already refuses role mappings for
  it).

An adopted connection (`spec.adoption`, written by `ssoprov adopt`) is recorded as Keycloak holds
it rather than created: the identity provider of the alias and the mappers of the names the admin
gave them; the settings we would fix on a new provider (trustEmail, defaultScope, ...) are left as
they are; the client secret stays the one Keycloak holds until the IdP side hands over a new one;
and every adopted object is protected (`pulumi destroy` refuses) until `adoption.allowDestroy`.

Mappers take the alias from the identity provider's output and depend on it and, if they grant
a role, on the roles resource, so Keycloak sees them after both exist, and a new identity provider
gets new mappers. The connection id is the alias. No Keycloak API is called here: the resources'
providers do that.
"""

from __future__ import annotations

import pulumi

from ssoprov.brokers.base import BrokerConnection, BrokerKey, RoleRule
from ssoprov.brokers.keycloak import naming
from ssoprov.brokers.keycloak.assertion_key import ALGORITHM as ASSERTION_ALGORITHM
from ssoprov.brokers.keycloak.assertion_key import KeycloakRealmAssertionKey, KeycloakRealmAssertionKeyArgs
from ssoprov.brokers.keycloak.identity_provider import (
    KeycloakIdentityProvider,
    KeycloakIdentityProviderArgs,
)
from ssoprov.brokers.keycloak.mapper import (
    DEFAULT_ROLE_MAPPER,
    ROLE_MAPPER,
    SAML_ATTRIBUTE_MAPPER,
    SAML_ROLE_MAPPER,
    KeycloakIdpMapper,
    KeycloakIdpMapperArgs,
    default_role_config,
    role_mapping_config,
    saml_role_mapping_config,
    saml_user_attribute_config,
)
from ssoprov.brokers.keycloak.realm_roles import KeycloakRealmRoles, KeycloakRealmRolesArgs
from ssoprov.brokers.keycloak.saml_identity_provider import (
    KeycloakSamlIdentityProvider,
    KeycloakSamlIdentityProviderArgs,
    service_provider,
)
from ssoprov.identity import ConnectionInfo, IdpConnectionInfo, SamlConnectionInfo
from ssoprov.spec.models import KeycloakBroker as KeycloakBrokerSpec
from ssoprov.spec.models import OrganizationSpec

PROVIDER_IDS = {"entra": "oidc", "okta": "oidc", "oidc": "oidc", "microsoft": "microsoft"}
"""IdP kind -> Keycloak providerId."""


class KeycloakBroker:
    """Implements `ssoprov.brokers.base.Broker` for Keycloak."""

    def __init__(self, spec: OrganizationSpec) -> None:
        if not isinstance(spec.broker, KeycloakBrokerSpec):
            raise TypeError(f"KeycloakBroker needs a broker of kind keycloak, not {spec.broker.kind}")
        self._spec = spec
        self._broker: KeycloakBrokerSpec = spec.broker
        self._url = spec.broker.url.rstrip("/")
        self._alias = spec.broker_alias

    def redirect_uri(self) -> str:
        # Realm and alias are slugs (spec.fields.Slug): safe in a URL path as they are.
        return f"{self._url}/realms/{self._broker.realm}/broker/{self._alias}/endpoint"

    def saml_service_provider(self) -> tuple[str, str]:
        return service_provider(self._url, self._broker.realm, self._alias)

    def assertion_key(self, parent: pulumi.Resource) -> BrokerKey:
        key = KeycloakRealmAssertionKey(
            naming.assertion_key_name(self._spec.name),
            KeycloakRealmAssertionKeyArgs(url=self._url, realm=self._broker.realm),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return BrokerKey(
            kid=key.kid,
            certificate=key.certificate,
            jwk=key.jwk,
            certificates=key.trusted_certificates,
            jwks=key.trusted_jwks,
            algorithm=ASSERTION_ALGORITHM,
            jwks_url=f"{self._url}/realms/{self._broker.realm}/protocol/openid-connect/certs",
            holder=key,
        )

    def connect(
        self,
        idp: ConnectionInfo,
        rules: list[RoleRule],
        default_role: str | None,
        parent: pulumi.Resource,
    ) -> BrokerConnection:
        if idp.kind not in PROVIDER_IDS:
            raise ValueError(f"Keycloak cannot broker identity providers of kind {idp.kind!r}")
        saml = isinstance(idp, SamlConnectionInfo)
        if rules and not saml and idp.groups_claim is None:
            raise ValueError(
                f"Keycloak: connecting organization {self._spec.name}: its {idp.kind} identity provider "
                "sends no groups claim, so role mappings cannot apply. Fix: remove roleMappings, or "
                "configure the IdP to send a groups claim"
            )
        organization, realm = self._spec.name, self._broker.realm
        child = pulumi.ResourceOptions(parent=parent)
        adoption = self._spec.adoption
        adopted = pulumi.ResourceOptions(
            parent=parent, protect=adoption is not None and not adoption.allow_destroy
        )
        mapper_names = adoption.mapper_names if adoption else {}
        default_mapper_name = adoption.default_role_mapper_name if adoption else None

        role_names = {rule.role for rule in rules} | ({default_role} if default_role else set())
        roles = (
            KeycloakRealmRoles(
                naming.realm_roles_name(organization),
                KeycloakRealmRolesArgs(
                    url=self._url, realm=realm, names=role_names, create_missing=self._broker.create_roles
                ),
                opts=child,
            )
            if role_names
            else None
        )

        identity_provider: KeycloakIdentityProvider | KeycloakSamlIdentityProvider
        trusted: pulumi.Output[list[str]] | None = None
        if isinstance(idp, SamlConnectionInfo):
            identity_provider = self._saml_identity_provider(idp, child)
            trusted = identity_provider.signing_certificates
        else:
            identity_provider = self._oidc_identity_provider(idp, child, adopted)

        def mapper(
            resource_name: str,
            title: str,
            mapper_type: str,
            config: dict,
            role: str | None,
            adopted_name: str | None = None,
        ) -> None:
            KeycloakIdpMapper(
                resource_name,
                KeycloakIdpMapperArgs(
                    url=self._url,
                    realm=realm,
                    alias=identity_provider.alias,
                    name=adopted_name or title,
                    mapper_type=mapper_type,
                    config=config,
                    adopt=adopted_name is not None,
                ),
                opts=pulumi.ResourceOptions.merge(
                    adopted if adopted_name else child,
                    pulumi.ResourceOptions(
                        depends_on=[identity_provider, *([roles] if role and roles else [])]
                    ),
                ),
            )

        for rule in rules:
            if isinstance(idp, SamlConnectionInfo):
                mapper_type = SAML_ROLE_MAPPER
                config = saml_role_mapping_config(idp.groups_attribute, rule.claim_value, rule.role)
            else:
                mapper_type = ROLE_MAPPER
                config = role_mapping_config(idp.groups_claim or "", rule.claim_value, rule.role)
            mapper(
                naming.group_mapper_name(organization, rule.group),
                naming.group_mapper_title(rule.group, rule.role),
                mapper_type,
                config,
                rule.role,
                mapper_names.get(rule.group),
            )
        if default_role:
            mapper(
                naming.default_role_mapper_name(organization),
                naming.default_role_mapper_title(default_role),
                DEFAULT_ROLE_MAPPER,
                default_role_config(default_role),
                default_role,
                default_mapper_name,
            )
        if isinstance(idp, SamlConnectionInfo):
            for attribute, user_attribute in idp.profile_attributes.items():
                mapper(
                    naming.attribute_mapper_name(organization, attribute),
                    naming.attribute_mapper_title(attribute, user_attribute),
                    SAML_ATTRIBUTE_MAPPER,
                    saml_user_attribute_config(attribute, user_attribute),
                    None,
                )
        return BrokerConnection(connection_id=identity_provider.alias, trusted_certificates=trusted)

    def _oidc_identity_provider(
        self, idp: IdpConnectionInfo, child: pulumi.ResourceOptions, adopted: pulumi.ResourceOptions
    ) -> KeycloakIdentityProvider:
        adoption = self._spec.adoption
        provider_id = PROVIDER_IDS[idp.kind]
        return KeycloakIdentityProvider(
            naming.identity_provider_name(self._spec.name),
            KeycloakIdentityProviderArgs(
                url=self._url,
                realm=self._broker.realm,
                alias=self._alias,
                provider_id=provider_id,
                display_name=(adoption and adoption.broker_display_name) or self._spec.display_name,
                discovery_url=idp.discovery_url if provider_id == "oidc" else None,
                client_id=idp.client_id,
                client_secret=idp.client_secret,
                # The IdP's method ("microsoft" providers authenticate Keycloak's own way).
                client_auth_method=idp.token_endpoint_auth_method if provider_id == "oidc" else None,
                sync_mode=self._broker.sync_mode,
                # Adopted: manage none of the fixed settings, keep what the admin chose.
                options={} if adoption else None,
                config_options={} if adoption else None,
                adopt=adoption is not None,
            ),
            opts=pulumi.ResourceOptions.merge(
                adopted if adoption else child, pulumi.ResourceOptions(depends_on=list(idp.trust))
            ),
        )

    def _saml_identity_provider(
        self, idp: SamlConnectionInfo, child: pulumi.ResourceOptions
    ) -> KeycloakSamlIdentityProvider:
        return KeycloakSamlIdentityProvider(
            naming.saml_identity_provider_name(self._spec.name),
            KeycloakSamlIdentityProviderArgs(
                url=self._url,
                realm=self._broker.realm,
                alias=self._alias,
                display_name=self._spec.display_name,
                metadata_url=idp.metadata_url,
                signing_certificates=idp.signing_certificates,
                name_id_format=idp.name_id_format,
                sync_mode=self._broker.sync_mode,
            ),
            opts=child,
        )
