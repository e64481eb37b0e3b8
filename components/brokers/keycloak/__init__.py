"""The Keycloak broker: its admin client, one dynamic resource per module, and the Broker itself.

- `client`: the async admin REST client (no Pulumi);
- `realm_role`: KeycloakRealmRole makes sure a realm role exists (and never deletes it);
- `identity_provider`: KeycloakIdentityProvider, the organization's identity provider;
- `mapper`: KeycloakIdpMapper, one role mapper of that identity provider;
- `broker`: KeycloakBroker, which implements `ssoprov.brokers.base.Broker`.
"""
