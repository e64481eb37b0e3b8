"""EntraSamlIdp: an organization's Entra ID side of SAML SSO, what the "Entra ID SAML" manual guide
has you click (Enterprise applications > New application > Create your own application).

    EntraSamlIdp(spec.name, spec, acs_url, audience, opts=ResourceOptions(parent=organization))

Children (all `parent=self`):

- one `EntraDirectoryObject` per group and user the spec names (as for OpenID Connect: looked up
  before the app is made, so a misspelt name fails without leaving an app behind);
- `EntraSamlApp`: the non-gallery application and its enterprise application with SAML single
  sign-on: Identifier = the broker's SP entity ID, Reply URL = the broker's ACS URL, the groups
  claim of `groupsClaim`, assignment required per `assignmentRequired` (saml_app.py);
- one `EntraAssignment` per group in `identityProvider.assignments.groups` and per user in
  `identityProvider.assignments.users` (default access);
- `EntraSamlSigningKeys`: the token-signing certificate, and a new one staged when it is due
  (`saml.rotateBeforeExpiryDays` before its end date);
- `EntraSamlSigningSwitch`, made once the broker has written its trust (`after_broker_trusts`): the
  app signs with the staged certificate only after the broker trusts it (ssoprov.saml_signing).

`connection_info` is what the broker needs (a `SamlConnectionInfo`): the app federation metadata
URL (`{login}/{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}`, login
`SSOPROV_ENTRA_LOGIN_URL` or https://login.microsoftonline.com), the token-signing certificates to
trust (the signing one and, during a rollover, the staged one) and the expiry, the NameID format
(Entra's default: the user principal name, emailAddress), Entra's groups attribute and each
role-mapped group's object ID in it (what Entra sends), and Entra's default profile claims. The
component calls no API itself.
"""

from __future__ import annotations

import pulumi

from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.entra import naming
from ssoprov.entra.assignment import DEFAULT_APP_ROLE_ID
from ssoprov.entra.component import assign, directory_lookups, login_url
from ssoprov.entra.saml_app import EntraSamlApp, EntraSamlAppArgs
from ssoprov.entra.saml_signing_keys import EntraSamlSigningKeys, EntraSamlSigningKeysArgs
from ssoprov.entra.saml_signing_switch import EntraSamlSigningSwitch, EntraSamlSigningSwitchArgs
from ssoprov.identity import SamlConnectionInfo
from ssoprov.rotation import CertificatePolicy
from ssoprov.spec.models import EntraIdp, OrganizationSpec, SamlSettings

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
GROUPS_ATTRIBUTE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
"""The SAML attribute Entra puts the user's group object IDs in."""
PROFILE_ATTRIBUTES = {
    f"{CLAIMS}/emailaddress": "email",
    f"{CLAIMS}/givenname": "firstName",
    f"{CLAIMS}/surname": "lastName",
}
"""Entra's default SAML claims -> the broker user's attribute each fills."""
EMAIL_NAME_ID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def federation_metadata_url(tenant: str, app_id: str) -> str:
    """The app federation metadata URL the admin center shows on the app's SAML page."""
    return f"{login_url()}/{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={app_id}"


class EntraSamlIdp(pulumi.ComponentResource):
    """The Entra ID SAML application of one organization and its assignments."""

    connection_info: SamlConnectionInfo

    def __init__(
        self,
        name: str,
        spec: OrganizationSpec,
        acs_url: str,
        audience: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ssoprov:entra:EntraSamlIdp", name, None, opts)
        idp = spec.identity_provider
        if not isinstance(idp, EntraIdp) or not idp.uses_saml:
            raise TypeError("EntraSamlIdp needs an Entra ID identity provider with protocol saml")
        settings = idp.saml or SamlSettings()
        tenant, org = idp.tenant_id, spec.name
        child = pulumi.ResourceOptions(parent=self)

        self.groups, self.users = directory_lookups(spec, child)
        self.app = EntraSamlApp(
            naming.saml_app_name(org),
            EntraSamlAppArgs(
                tenant_id=tenant,
                display_name=spec.display_name,
                identifier_uri=audience,
                reply_url=acs_url,
                group_membership_claims=None if idp.groups_claim == "None" else idp.groups_claim,
                assignment_required=idp.assignment_required,
            ),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[*self.groups.values(), *self.users.values()])
            ),
        )
        principals = [
            (naming.group_assignment_name(org, group), group, self.groups[group], DEFAULT_APP_ROLE_ID)
            for group in idp.assignments.groups  # the spec lists each once
        ] + [
            (naming.user_assignment_name(org, user), user, lookup, DEFAULT_APP_ROLE_ID)
            for user, lookup in self.users.items()
        ]
        # The resource id (the service principal's object ID) stays known while a change is previewed.
        self.assignments = assign(tenant, self.app.id, principals, adopt=False, opts=child)

        self._tenant, self._organization = tenant, org
        self.signing_keys = EntraSamlSigningKeys(
            naming.saml_signing_keys_name(org),
            EntraSamlSigningKeysArgs(
                tenant_id=tenant,
                service_principal_id=self.app.id,
                subject=f"CN={spec.display_name} SSO",
                rotate_before_expiry_days=settings.rotate_before_expiry_days,
            ),
            opts=child,
        )
        policy = CertificatePolicy(settings.rotate_before_expiry_days)
        expires_at = self.signing_keys.next_expires_at.apply(calendar_date)
        rotate_by = self.signing_keys.next_expires_at.apply(
            lambda expires: calendar_date(policy.rotate_by(parse_timestamp(expires)))
        )
        metadata_url = self.app.app_id.apply(lambda app_id: federation_metadata_url(tenant, app_id))
        self.connection_info = SamlConnectionInfo(
            kind="entra",
            app_id=self.app.app_id,
            metadata_url=metadata_url,
            signing_certificates=self.signing_keys.trusted_certificates,
            certificate_expires_at=expires_at,
            certificate_rotate_by=rotate_by,
            name_id_format=EMAIL_NAME_ID,
            group_claim_values={m.group: self.groups[m.group].id for m in spec.role_mappings},
            groups_attribute=GROUPS_ATTRIBUTE,
            profile_attributes=PROFILE_ATTRIBUTES,
            after_broker_trusts=self.switch_signing_certificate,
        )
        self.register_outputs(
            {
                "appId": self.app.app_id,
                "servicePrincipalId": self.app.id,
                "metadataUrl": metadata_url,
                "signingCertificateExpiresAt": expires_at,
                "groupIds": {group: lookup.id for group, lookup in self.groups.items()},
            }
        )

    def switch_signing_certificate(self, broker_trusted: pulumi.Output[list[str]]) -> None:
        """Step (c) of a rollover, after the broker has written `broker_trusted`: the app signs with
        `signing_keys.next_kid` (a no-op when it already does)."""
        self.signing_switch = EntraSamlSigningSwitch(
            naming.saml_signing_switch_name(self._organization),
            EntraSamlSigningSwitchArgs(
                tenant_id=self._tenant,
                service_principal_id=self.app.id,
                thumbprint=self.signing_keys.next_kid,
                certificate=self.signing_keys.next_certificate,
                broker_trusted=broker_trusted,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
