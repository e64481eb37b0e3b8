"""OktaSamlIdp: an organization's Okta side of SAML SSO, what the Okta SAML manual guide has you click.

    OktaSamlIdp(spec.name, spec, acs_url, audience, opts=ResourceOptions(parent=organization))

Children (all `parent=self`):

- `OktaSamlApp`: the custom SAML 2.0 app: the broker's ACS URL and SP entity ID (audience), the
  NameID format (`saml.nameIdFormat`), the group attribute statement (`saml.groupsAttribute`), the
  profile attribute statements, response and assertion signed;
- one `OktaGroupAssignment` per `identityProvider.groups` entry, as for the OIDC app;
- `OktaSamlSigningKeys`: the app's signing key, and a new one staged when the certificate is due
  (`saml.rotateBeforeExpiryDays` before its expiry);
- `OktaSamlSigningSwitch`, made once the broker has written its trust (`after_broker_trusts`): the
  app signs with the staged key only after the broker trusts it (saml_signing_keys.py: the order).

`connection_info` is what the broker needs (a `SamlConnectionInfo`): the app's public metadata URL,
the certificates to trust (the signing one, and a staged one) and the expiry, the NameID format,
the group attribute's name and each role-mapped group's value in it (Okta sends group names). No
secret exists on either side. The component calls no API itself.
"""

from __future__ import annotations

import pulumi

from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.identity import SamlConnectionInfo
from ssoprov.okta import naming
from ssoprov.okta.component import app_label
from ssoprov.okta.group_assignment import assign_groups
from ssoprov.okta.saml_app import NAME_ID_FORMATS, PROFILE_ATTRIBUTES, OktaSamlApp, OktaSamlAppArgs
from ssoprov.okta.saml_signing_keys import OktaSamlSigningKeys, OktaSamlSigningKeysArgs
from ssoprov.okta.saml_signing_switch import OktaSamlSigningSwitch, OktaSamlSigningSwitchArgs
from ssoprov.rotation import CertificatePolicy
from ssoprov.spec.models import OktaIdp, OrganizationSpec, SamlSettings


class OktaSamlIdp(pulumi.ComponentResource):
    """The Okta SAML 2.0 app of one organization and its group assignments."""

    connection_info: SamlConnectionInfo

    def __init__(
        self,
        name: str,
        spec: OrganizationSpec,
        acs_url: str,
        audience: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ssoprov:okta:OktaSamlIdp", name, None, opts)
        idp = spec.identity_provider
        if not isinstance(idp, OktaIdp) or not idp.uses_saml:
            raise TypeError("OktaSamlIdp needs an Okta identity provider with protocol saml")
        settings = idp.saml or SamlSettings()
        org_url = idp.org_url.rstrip("/")
        child = pulumi.ResourceOptions(parent=self)
        name_id_format = NAME_ID_FORMATS[settings.name_id_format]
        group = settings.groups_attribute

        self.app = OktaSamlApp(
            naming.saml_app_name(spec.name),
            OktaSamlAppArgs(
                org_url=org_url,
                label=app_label(spec),
                acs_url=acs_url,
                audience=audience,
                name_id_format=name_id_format,
                groups_attribute={"name": group.name, "filter_type": group.filter_type, "value": group.value},
            ),
            opts=child,
        )
        # The resource id (the Okta app id) stays known while a change is previewed; outputs do not.
        self.group_assignments = assign_groups(spec.name, org_url, self.app.id, idp.groups, child)
        self._org_url, self._organization = org_url, spec.name
        self.signing_keys = OktaSamlSigningKeys(
            naming.saml_signing_keys_name(spec.name),
            OktaSamlSigningKeysArgs(
                org_url=org_url,
                app_id=self.app.id,
                rotate_before_expiry_days=settings.rotate_before_expiry_days,
            ),
            opts=child,
        )
        policy = CertificatePolicy(settings.rotate_before_expiry_days)
        expires_at = self.signing_keys.next_expires_at.apply(calendar_date)
        rotate_by = self.signing_keys.next_expires_at.apply(
            lambda expires: calendar_date(policy.rotate_by(parse_timestamp(expires)))
        )

        self.connection_info = SamlConnectionInfo(
            kind="okta",
            app_id=self.app.id,
            metadata_url=self.app.metadata_url,
            signing_certificates=self.signing_keys.trusted_certificates,
            certificate_expires_at=expires_at,
            certificate_rotate_by=rotate_by,
            name_id_format=name_id_format,
            group_claim_values={m.group: pulumi.Output.from_input(m.group) for m in spec.role_mappings},
            groups_attribute=group.name,
            profile_attributes={name: name for name in PROFILE_ATTRIBUTES},
            after_broker_trusts=self.switch_signing_key,
        )
        self.register_outputs(
            {
                "appId": self.app.id,
                "metadataUrl": self.app.metadata_url,
                "signingCertificateExpiresAt": expires_at,
                "assignedGroups": list(idp.groups),
            }
        )

    def switch_signing_key(self, broker_trusted: pulumi.Output[list[str]]) -> None:
        """Step (c) of a rollover, after the broker has written `broker_trusted`: the app signs
        with `signing_keys.next_kid` (a no-op when it already does)."""
        self.signing_switch = OktaSamlSigningSwitch(
            naming.saml_signing_switch_name(self._organization),
            OktaSamlSigningSwitchArgs(
                org_url=self._org_url,
                app_id=self.app.id,
                kid=self.signing_keys.next_kid,
                certificate=self.signing_keys.next_certificate,
                broker_trusted=broker_trusted,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
