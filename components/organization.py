"""The Organization component: broker redirect URI -> identity-provider app -> broker connection."""

from __future__ import annotations

import pulumi

from ssoprov.brokers.base import Broker, BrokerConnection, BrokerKey, RoleRule
from ssoprov.identity import ConnectionInfo, SamlConnectionInfo
from ssoprov.spec.advice import spec_warnings
from ssoprov.spec.models import OrganizationSpec


def _broker_for(spec: OrganizationSpec) -> Broker:
    if spec.broker.kind == "keycloak":
        from ssoprov.brokers.keycloak.broker import KeycloakBroker

        return KeycloakBroker(spec)
    from ssoprov.brokers.workos.broker import WorkosBroker

    return WorkosBroker(spec)


class Organization(pulumi.ComponentResource):
    """One customer organization's SSO: its IdP app (if any) and its broker connection.

    `spec` is the organization (an `OrganizationSpec`). `stack_file` is where it came from, named
    by the errors raised while the program runs: the stack file for ssoprov's own program, the
    program's file when a team builds specs in Python. `oidc_client_secret` is the secret the
    customer's IT team handed over, for a generic OIDC identity provider only.
    """

    def __init__(
        self,
        name: str,
        spec: OrganizationSpec,
        *,
        stack_file: str = "__main__.py",
        oidc_client_secret: pulumi.Output[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ssoprov:index:Organization", name, None, opts)
        self.spec = spec
        for warning in spec_warnings(spec, stack_file):  # the lines `ssoprov validate` prints, every kind
            pulumi.log.warn(str(warning), resource=self)
        broker = _broker_for(spec)
        self.redirect_uri = broker.redirect_uri()
        broker_key = broker.assertion_key(self) if spec.client_authentication.secretless else None
        self.idp = self._identity_provider(spec, broker, stack_file, oidc_client_secret, broker_key)
        rules = [
            RoleRule(group=m.group, claim_value=self.idp.group_claim_values[m.group], role=m.role)
            for m in spec.role_mappings
        ]
        self.connection: BrokerConnection = broker.connect(self.idp, rules, spec.default_role, parent=self)
        if isinstance(self.idp, SamlConnectionInfo) and self.connection.trusted_certificates is not None:
            self.idp.after_broker_trusts(self.connection.trusted_certificates)
        self.register_outputs(self.stack_outputs())

    def _identity_provider(
        self,
        spec: OrganizationSpec,
        broker: Broker,
        stack_file: str,
        oidc_client_secret: pulumi.Output[str] | None,
        broker_key: BrokerKey | None,
    ) -> ConnectionInfo:
        idp = spec.identity_provider
        child = pulumi.ResourceOptions(parent=self)
        if idp.uses_saml:  # the spec allows Okta and Entra ID (Keycloak, or WorkOS with broker.saml)
            audience, acs_url = broker.saml_service_provider()
            if idp.kind == "entra":
                from ssoprov.entra.saml_component import EntraSamlIdp

                return EntraSamlIdp(spec.name, spec, acs_url, audience, opts=child).connection_info
            from ssoprov.okta.saml_component import OktaSamlIdp

            return OktaSamlIdp(spec.name, spec, acs_url, audience, opts=child).connection_info
        if idp.kind == "entra" or idp.kind == "microsoft":
            from ssoprov.entra.component import EntraApp

            return EntraApp(
                spec.name, spec, self.redirect_uri, opts=child, broker_key=broker_key
            ).connection_info
        if idp.kind == "okta":
            from ssoprov.okta.component import OktaApp

            return OktaApp(
                spec.name, spec, self.redirect_uri, opts=child, broker_key=broker_key
            ).connection_info
        from ssoprov.generic_oidc import generic_oidc_connection

        return generic_oidc_connection(spec, idp, oidc_client_secret, stack_file, broker_key)

    def stack_outputs(self) -> dict[str, object]:
        """The documented stack outputs (README: "Stack outputs").

        The client secret is not among them, on purpose: it lives only in the IdP credential
        resource's secret output and the broker connection's secret input. Outputs of a component
        or a stack reach the Python SDK's debug log in plaintext (pulumi/runtime/resource.py logs
        `register resource outputs ... props=` at debug level, secrets unwrapped), so anything
        exported here would show up in `--debug` output, engine event logs and `on_event` streams.
        """
        return {
            "organization": self.spec.name,
            "identityProvider": self.idp.kind,
            "connectionId": self.connection.connection_id,
            "redirectUri": self.redirect_uri,
            "clientAuthentication": self.spec.client_authentication.method,
            "roles": {m.group: m.role for m in self.spec.role_mappings},
            "defaultRole": self.spec.default_role,
            "manualSteps": [*self.idp.manual_steps(), *self.connection.manual_steps],
            **self.idp.stack_outputs(),
        }
