"""What every identity-provider component hands to the broker, whatever the IdP: one typed value per
protocol (`IdpConnectionInfo` for OpenID Connect, `SamlConnectionInfo` for SAML 2.0)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi

from ssoprov.token_endpoint_auth import BrokerAuthMethod


@dataclass(frozen=True)
class IdpConnectionInfo:
    """The four things each manual guide ends by pasting into the broker, plus group claim values."""

    kind: str
    """entra | microsoft | okta | oidc (the broker picks its provider type from it)."""
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str] | None
    """Always a Pulumi secret; None for an adopted connection whose secret is not known (the
    broker keeps the one it holds, until the first rotation hands it ours), and for a secretless
    one (`token_endpoint_auth_method` private_key_jwt: the broker signs with its own key)."""
    discovery_url: pulumi.Output[str]
    group_claim_values: Mapping[str, pulumi.Output[str]]
    """Each spec group name -> the value the IdP puts in the groups claim for it
    (Entra: the group's object ID, or with app roles the role's value; Okta and generic OIDC: the
    name itself)."""
    groups_claim: str | None
    """The name of the ID-token claim that carries those values, as the IdP is configured to send
    it (Entra: `groups`, or `roles` with app roles; Okta: `groupsClaim.name`; generic OIDC:
    `groupsClaim`); None when the IdP sends no group claim (Microsoft OAuth, Entra with
    groupsClaim None or DirectoryRole)."""
    token_endpoint_auth_method: BrokerAuthMethod
    """How the broker must authenticate at the token endpoint: the method the IdP app is
    registered with (Okta), one the IdP accepts (Entra: both), the spec's / discovery
    document's choice (generic OIDC), or private_key_jwt once the IdP app trusts the broker's
    key (`clientAuthentication.method: privateKeyJwt`). Every broker uses exactly this."""
    secret_expires_at: pulumi.Output[str] | None = None
    """The date (YYYY-MM-DD, UTC) the client secret expires; None when it does not expire (Okta)
    or is not ours (generic OIDC)."""
    secret_rotate_by: pulumi.Output[str] | None = None
    """The date (YYYY-MM-DD, UTC) from which a `pulumi up` replaces the client secret; None when
    the secret is not ours."""
    trust: Sequence[pulumi.Resource] = ()
    """What makes the IdP app trust the broker's key (private_key_jwt): the broker switches to the
    key only after these exist."""
    key_to_register: Mapping[str, object] | None = None
    """The broker's public key, for the customer's IT team to register with their client (generic
    OIDC with private_key_jwt); None when ssoprov registers it itself (Entra, Okta) or none is used."""

    def stack_outputs(self) -> dict[str, object]:
        """The protocol's part of the stack outputs (README: "Stack outputs")."""
        return {
            "clientId": self.client_id,
            "discoveryUrl": self.discovery_url,
            "secretExpiresAt": self.secret_expires_at,
            "secretRotateBy": self.secret_rotate_by,
            "brokerKey": self.key_to_register,
        }

    def manual_steps(self) -> list[pulumi.Input[str]]:
        """What someone must still do at the IdP for sign-ins to work (empty when nothing)."""
        if self.key_to_register is None:
            return []
        return [
            pulumi.Output.concat(
                "Have the customer's IT team register the broker's key with client ",
                self.client_id,
                " for private_key_jwt at their provider: by the JWKS URL (stack output brokerKey.jwksUrl) "
                "where the provider fetches keys by URL, which follows the broker's key changes; else by "
                "uploading every key of brokerKey.keys (its certificatePem or jwk); when a rotation stages "
                "a new key, brokerKey.keys lists it and it must be uploaded too before the broker signs "
                "with it (`ssoprov rotate` promotes it only with --generic-oidc-key-registered). Sign-ins "
                "fail until the signing key is registered.",
            )
        ]


@dataclass(frozen=True)
class SamlConnectionInfo:
    """What a SAML 2.0 IdP app hands the broker: no client and no secret, but where its metadata is,
    the certificates its assertions are signed with, and the attributes the assertions carry."""

    kind: str
    """okta or entra."""
    app_id: pulumi.Output[str]
    metadata_url: pulumi.Output[str]
    """The app's IdP metadata, readable without a token: entity ID and SSO URL."""
    signing_certificates: pulumi.Output[list[str]]
    """Base64 DER certificates the broker must trust (the IdP's API says which; not the metadata):
    the one the app signs with and, during a rollover, the one it is about to sign with."""
    certificate_expires_at: pulumi.Output[str]
    """The date (YYYY-MM-DD, UTC) the signing certificate expires (the new one's, during a rollover)."""
    certificate_rotate_by: pulumi.Output[str]
    """The date (YYYY-MM-DD, UTC) from which a `pulumi up` rolls the signing certificate over."""
    name_id_format: str
    """The NameID format URN the app sends and the broker asks for."""
    group_claim_values: Mapping[str, pulumi.Output[str]]
    """Each spec group name -> its value in the group attribute (Okta: the name itself; Entra: the
    group's object ID)."""
    groups_attribute: str
    """The name of the assertion attribute that lists the user's groups."""
    profile_attributes: Mapping[str, str]
    """Assertion attribute -> the broker user's attribute it fills (email, firstName, lastName)."""
    after_broker_trusts: Callable[[pulumi.Output[list[str]]], None]
    """Called with the certificates the broker trusts once it has written them: the IdP app then
    switches to a staged signing key (a rollover's step c), never before the broker trusts it."""

    def stack_outputs(self) -> dict[str, object]:
        """The protocol's part of the stack outputs: the OIDC keys that have no SAML meaning are
        empty (there is no client, no secret), and the metadata URL and certificate expiry are added."""
        return {
            "protocol": "saml",
            "clientId": None,
            "discoveryUrl": None,
            "clientAuthentication": None,
            "secretExpiresAt": None,
            "secretRotateBy": None,
            "appId": self.app_id,
            "metadataUrl": self.metadata_url,
            "signingCertificateExpiresAt": self.certificate_expires_at,
            "signingCertificateRotateBy": self.certificate_rotate_by,
        }

    def manual_steps(self) -> list[pulumi.Input[str]]:
        """Nothing is left to do by hand at the IdP: ssoprov made the SAML app."""
        return []


ConnectionInfo = IdpConnectionInfo | SamlConnectionInfo
