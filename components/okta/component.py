"""OktaApp: an organization's Okta side of SSO, what the Okta OIDC manual guide has you click.

    OktaApp(spec.name, spec, broker_redirect_uri, opts=ResourceOptions(parent=organization))

Children (all `parent=self`):

- `OktaOidcApp`: the OIDC Web app (authorization code, client_secret_basic), redirect URIs the
  broker's callback first, then `identityProvider.extraRedirectUris`;
- one `OktaGroupAssignment` per `identityProvider.groups` entry ("limit access to selected groups");
- `OktaGroupsClaim`: the legacy groups claim (type Filter) from `identityProvider.groupsClaim`;
- `OktaClientSecret`: the secret the broker uses, rotated by `clientSecret` (the secret policy);
  or, with `clientAuthentication.method: privateKeyJwt`, an app registered for private_key_jwt
  (which Okta gives no secret) and `OktaAppJwk`, the broker's public key in the app's JWKS.

`connection_info` is what the broker needs (kind "okta"): client ID, client secret (a Pulumi
secret), the org's discovery URL, each role-mapped group's claim value (Okta puts group names in
the claim, so a group maps to its own name), the claim's name (`groupsClaim.name`: the broker must
read the claim Okta is told to send), the token-endpoint auth method the app is registered with
(the broker must use that one: Okta refuses any other) and the secret's rotate-by date
(YYYY-MM-DD, UTC); no expiry date, since Okta client secrets do not expire.

Adopted (`spec.adoption`, written by `ssoprov adopt`): the app `adoption.clientId` (label
`adoption.appName` and issuer mode `adoption.issuerMode` when set), its group assignments, its
groups claim and the secret `adoption.secretId` are recorded as Okta has them, with no write, and
protected against destroy until `adoption.allowDestroy`; the secret's value is unknown, so the
broker keeps the one it holds until the first rotation makes ours.

The component calls no API itself and imports no Okta SDK: the providers do, in their own process.
"""

from __future__ import annotations

import pulumi

from ssoprov.brokers.base import BrokerKey
from ssoprov.identity import IdpConnectionInfo
from ssoprov.okta import naming
from ssoprov.okta.app import OktaOidcApp, OktaOidcAppArgs
from ssoprov.okta.app_jwk import OktaAppJwk, OktaAppJwkArgs
from ssoprov.okta.client_secret import OktaClientSecret, OktaClientSecretArgs
from ssoprov.okta.group_assignment import assign_groups
from ssoprov.okta.groups_claim import OktaGroupsClaim, OktaGroupsClaimArgs
from ssoprov.okta.okta_client import ISSUER_MODE, WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD
from ssoprov.spec.models import OktaIdp, OrganizationSpec, as_made
from ssoprov.token_endpoint_auth import PRIVATE_KEY_JWT

DISCOVERY_PATH = "/.well-known/openid-configuration"


def app_label(spec: OrganizationSpec) -> str:
    """The app's name in the customer's Okta admin console and on their users' dashboards."""
    return f"{spec.display_name} SSO"


class OktaApp(pulumi.ComponentResource):
    """The Okta OIDC app of one organization, its group assignments, groups claim and secret."""

    connection_info: IdpConnectionInfo

    def __init__(
        self,
        name: str,
        spec: OrganizationSpec,
        redirect_uri: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        broker_key: BrokerKey | None = None,
    ) -> None:
        """`broker_key`: the broker's signing key, for a secretless organization (privateKeyJwt)."""
        super().__init__("ssoprov:okta:OktaApp", name, None, opts)
        idp = spec.identity_provider
        if not isinstance(idp, OktaIdp):
            raise TypeError(f"OktaApp needs an Okta identity provider, not {idp.kind!r}")
        org_url = idp.org_url.rstrip("/")
        child = pulumi.ResourceOptions(parent=self)
        adoption = spec.adoption
        owned = pulumi.ResourceOptions(
            parent=self, protect=adoption is not None and not adoption.allow_destroy
        )

        self.app = OktaOidcApp(
            naming.app_name(spec.name),
            OktaOidcAppArgs(
                org_url=org_url,
                label=as_made(adoption, "app_name", app_label(spec)),
                issuer_mode=as_made(adoption, "issuer_mode", ISSUER_MODE),
                redirect_uris=pulumi.Output.from_input(redirect_uri).apply(
                    lambda uri: list(dict.fromkeys([uri, *idp.extra_redirect_uris]))
                ),
                auth_method=None if broker_key is None else PRIVATE_KEY_JWT,
                adopt_app_id=adoption.client_id if adoption else None,
            ),
            opts=owned,
        )
        # The app's resource id is the Okta app id. Dependents take it rather than the `app_id`
        # output: an id stays known while a label change is previewed, outputs do not.
        app_id = self.app.id

        self.group_assignments = assign_groups(
            spec.name, org_url, app_id, idp.groups, owned, adopt=adoption is not None
        )
        claim = idp.groups_claim
        self.groups_claim = OktaGroupsClaim(
            naming.groups_claim_name(spec.name),
            OktaGroupsClaimArgs(
                org_url=org_url,
                app_id=app_id,
                name=claim.name,
                filter_type=claim.filter_type,
                value=claim.value,
                adopt=adoption is not None,
            ),
            opts=owned,
        )
        self.client_secret: OktaClientSecret | None = None
        self.jwk: OktaAppJwk | None = None
        if broker_key is not None:
            self.jwk = OktaAppJwk(
                naming.app_jwk_name(spec.name),
                OktaAppJwkArgs(org_url=org_url, app_id=app_id, jwks=broker_key.jwks),
                opts=child,
            )
        else:
            policy = spec.client_secret
            self.client_secret = OktaClientSecret(
                naming.client_secret_name(spec.name),
                OktaClientSecretArgs(
                    org_url=org_url,
                    app_id=app_id,
                    initial_secret_id=self.app.initial_secret_id,
                    lifetime_days=policy.lifetime_days,
                    rotate_after_days=policy.rotate_after_days,
                    rotate_before_expiry_days=policy.rotate_before_expiry_days,
                    adopt_secret_id=adoption.secret_id if adoption else None,
                ),
                opts=child,
            )

        self.connection_info = IdpConnectionInfo(
            kind="okta",
            client_id=self.app.client_id,
            client_secret=None
            if self.client_secret is None
            else pulumi.Output.secret(self.client_secret.client_secret),
            discovery_url=pulumi.Output.from_input(f"{org_url}{DISCOVERY_PATH}"),
            group_claim_values={m.group: pulumi.Output.from_input(m.group) for m in spec.role_mappings},
            groups_claim=claim.name,
            token_endpoint_auth_method=WEB_APP_TOKEN_ENDPOINT_AUTH_METHOD
            if self.jwk is None
            else PRIVATE_KEY_JWT,
            # Okta client secrets do not expire: only a rotate-by date.
            secret_rotate_by=None if self.client_secret is None else self.client_secret.rotate_by,
            trust=[] if self.jwk is None else [self.jwk],
        )
        self.register_outputs(
            {
                "appId": app_id,
                "clientId": self.connection_info.client_id,
                "discoveryUrl": self.connection_info.discovery_url,
                "secretId": None if self.client_secret is None else self.client_secret.secret_id,
                "secretRotateBy": self.connection_info.secret_rotate_by,
                "brokerKeyId": None if self.jwk is None else self.jwk.key_id,
                "assignedGroups": list(idp.groups),
            }
        )
