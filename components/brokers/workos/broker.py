"""The WorkOS broker: one OIDC connection per organization, plus the steps WorkOS has no API for.

WorkOS's API creates and updates SSO connections, but offers none for the two things the
dashboard asks for afterwards: mapping IdP groups to roles (and the default role members get
when no mapping matches), and the credentials of Microsoft OAuth ("Sign in with Microsoft").
The spec refuses one that needs either (ssoprov.spec.models), before anything runs, unless
`broker.manualStepsAcknowledged` is true; then `BrokerConnection.manual_steps` (the stack
output `manualSteps`) says exactly what to enter in the dashboard. Steps never carry a secret.

Which claim the profile's groups come from is set through the API (the connection's
`attribute_maps`): the IdP's groups claim, as `IdpConnectionInfo.groups_claim` names it, so the
group-to-role mappings entered in the dashboard see the groups the IdP really sends.

A SAML connection is made in the dashboard: WorkOS picks its ACS URL and SP entity ID, which the
IdP app must name, at creation and returns them from no endpoint, so they come from the spec
(`broker.saml`). ssoprov makes the IdP's SAML app from them, then configures that connection through
the API (`WorkosSamlConnection`): the app's metadata URL, the attribute map (groups, email, names),
and the IdP signing certificates it trusts, which carry a certificate rollover (ssoprov.saml_signing)
through WorkOS. Only the role mappings (and default role) are left to the dashboard, as for OIDC.
"""

from __future__ import annotations

import pulumi

from ssoprov.brokers.base import BrokerConnection, BrokerKey, RoleRule
from ssoprov.brokers.workos.connection import WorkosConnection, WorkosConnectionArgs
from ssoprov.brokers.workos.saml_connection import WorkosSamlConnection, WorkosSamlConnectionArgs
from ssoprov.errors import ProvisionerError
from ssoprov.identity import ConnectionInfo, IdpConnectionInfo, SamlConnectionInfo
from ssoprov.spec.models import OrganizationSpec
from ssoprov.spec.models import WorkosBroker as WorkosBrokerSpec
from ssoprov.spec.models import WorkosSamlConnection as WorkosSamlConnectionSpec

CONNECTION_TYPES = {"entra": "EntraIdOIDC", "okta": "OktaOIDC", "oidc": "GenericOIDC"}
"""IdP kind -> WorkOS connection type. Microsoft OAuth is not a connection the API can create."""

PROFILE_FIELDS = {"email": "email", "firstName": "first_name", "lastName": "last_name"}
"""A SAML IdP's profile attributes (as `SamlConnectionInfo.profile_attributes` names what they fill)
-> the WorkOS profile field of the same meaning."""
DASHBOARD = "WorkOS dashboard"


class WorkosBroker:
    """Implements `ssoprov.brokers.base.Broker` for WorkOS."""

    def __init__(self, spec: OrganizationSpec) -> None:
        if not isinstance(spec.broker, WorkosBrokerSpec):
            raise TypeError(f"WorkosBroker needs a broker of kind workos, not {spec.broker.kind}")
        self._spec = spec
        self._broker: WorkosBrokerSpec = spec.broker

    def redirect_uri(self) -> str:
        # The spec requires redirectUri for OIDC and broker.saml for SAML (_workos_connection_keys).
        saml = self._broker.saml
        return saml.acs_url if saml is not None else self._broker.redirect_uri or ""

    def saml_service_provider(self) -> tuple[str, str]:
        saml = self._saml_connection()
        return saml.sp_entity_id, saml.acs_url

    def assertion_key(self, parent: pulumi.Resource) -> BrokerKey:
        # The spec refuses privateKeyJwt with WorkOS before anything runs; this is the backstop.
        raise ProvisionerError(
            f"WorkOS: connecting organization {self._spec.name} without a client secret: WorkOS documents "
            "client-secret OIDC connections only. Fix: set ssoprov:organization.clientAuthentication.method "
            "to clientSecret"
        )

    def connect(
        self,
        idp: ConnectionInfo,
        rules: list[RoleRule],
        default_role: str | None,
        parent: pulumi.Resource,
    ) -> BrokerConnection:
        org_id = self._broker.organization_id
        if isinstance(idp, SamlConnectionInfo):
            connection = WorkosSamlConnection(
                f"{self._spec.name}-workos-saml-connection",
                WorkosSamlConnectionArgs(
                    connection_id=self._saml_connection().connection_id,
                    metadata_url=idp.metadata_url,
                    attribute_map=saml_attribute_map(idp),
                    signing_certificates=idp.signing_certificates,
                ),
                pulumi.ResourceOptions(parent=parent),
            )
            return BrokerConnection(
                connection_id=connection.connection_id,
                manual_steps=_role_steps(org_id, connection.connection_id, rules, default_role),
                trusted_certificates=connection.trusted_certificates,
            )
        if idp.kind == "microsoft":
            steps = _microsoft_steps(idp, self.redirect_uri(), pulumi.get_stack()) + _role_steps(
                org_id, None, rules, default_role
            )
            # No connection object: Microsoft OAuth is configured in the dashboard only.
            return BrokerConnection(connection_id=pulumi.Output.from_input(""), manual_steps=steps)
        adoption = self._spec.adoption
        connection = WorkosConnection(
            f"{self._spec.name}-workos-connection",
            WorkosConnectionArgs(
                organization_id=org_id,
                connection_type=CONNECTION_TYPES[idp.kind],
                name=(adoption and adoption.broker_display_name) or self._spec.display_name,
                external_id=self._spec.name,
                discovery_endpoint=idp.discovery_url,
                client_id=idp.client_id,
                # None: adopted, and nobody knows the secret WorkOS holds; "" makes updates omit it.
                client_secret=pulumi.Output.secret("" if idp.client_secret is None else idp.client_secret),
                token_authentication_method=idp.token_endpoint_auth_method,
                redirect_uri=self.redirect_uri(),
                groups_claim=idp.groups_claim,
                adopt_connection_id=adoption.connection_id if adoption else None,
            ),
            pulumi.ResourceOptions(
                parent=parent, protect=adoption is not None and not adoption.allow_destroy
            ),
        )
        return BrokerConnection(
            connection_id=connection.id,
            manual_steps=_role_steps(org_id, connection.id, rules, default_role),
        )

    def _saml_connection(self) -> WorkosSamlConnectionSpec:
        """The SAML connection made in the dashboard; the spec refuses SAML without it before anything
        runs, so this raising is the backstop."""
        if self._broker.saml is None:
            raise ProvisionerError(
                f"WorkOS: connecting organization {self._spec.name} over SAML: broker.saml is not set. Fix: "
                "make the SAML connection in the WorkOS dashboard and copy its ID, ACS URL and SP Entity ID "
                "into broker.saml"
            )
        return self._broker.saml


def _role_steps(
    org_id: str, connection_id: pulumi.Output[str] | None, rules: list[RoleRule], default_role: str | None
) -> list[pulumi.Output[str]]:
    where = (
        pulumi.Output.concat(f"{DASHBOARD} > Organizations > {org_id} > SSO connection ", connection_id)
        if connection_id is not None
        else pulumi.Output.from_input(f"{DASHBOARD} > Organizations > {org_id}")
    )
    steps = [
        pulumi.Output.concat(
            where,
            " > Groups and role assignments: add the group whose IdP group ID is '",
            rule.claim_value,
            f"' (name it '{rule.group}') and assign it the role '{rule.role}'",
        )
        for rule in rules
    ]
    if default_role:
        steps.append(
            pulumi.Output.concat(
                f"{DASHBOARD} > Roles: make '{default_role}' the default role for members of organization "
                f"{org_id} (those whose groups match no mapping get it)"
            )
        )
    return steps


def saml_attribute_map(idp: SamlConnectionInfo) -> dict[str, str]:
    """The connection's attribute_maps.standard_attributes: profile field -> assertion attribute."""
    mapped = {
        PROFILE_FIELDS[user_attribute]: attribute
        for attribute, user_attribute in idp.profile_attributes.items()
        if user_attribute in PROFILE_FIELDS
    }
    return {"groups": idp.groups_attribute, **mapped}


def _microsoft_steps(idp: IdpConnectionInfo, redirect_uri: str, stack: str) -> list[pulumi.Output[str]]:
    return [
        pulumi.Output.concat(
            f"{DASHBOARD} > Authentication > Microsoft OAuth: enable it with your own app credentials "
            "and enter the client ID ",
            idp.client_id,
        ),
        pulumi.Output.from_input(
            f"{DASHBOARD} > Authentication > Microsoft OAuth: paste the client secret printed by "
            f"`ssoprov client-secret {stack}` (it is not shown here), and again after each rotation"
        ),
        pulumi.Output.from_input(
            f"{DASHBOARD} > Authentication > Microsoft OAuth: check that its redirect URI is {redirect_uri}, "
            "the one registered on the Entra app"
        ),
    ]
