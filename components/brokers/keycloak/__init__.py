"""The Keycloak broker: its admin client, one dynamic resource per module, and the Broker itself.

- `client`: the async admin REST client (no Pulumi);
- `realm_roles`: KeycloakRealmRoles makes sure an organization's realm roles exist (and never
  deletes one);
- `identity_provider`: KeycloakIdentityProvider, the organization's identity provider;
- `mapper`: KeycloakIdpMapper, one role mapper of that identity provider;
- `broker`: KeycloakBroker, which implements `ssoprov.brokers.base.Broker`;
- `realm_role`: the provider of the one-resource-per-role release, kept for its stacks' state.
"""
