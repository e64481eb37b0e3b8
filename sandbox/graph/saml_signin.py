"""Entra ID as a SAML 2.0 IdP for the stand-in tenant's non-gallery SAML apps.

What Microsoft documents for SAML single sign-on to an enterprise application:
- the app federation metadata, readable without a token, at
  `/{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}`: entity ID
  `https://sts.windows.net/{tenant}/`, the certificate the app signs with (the one its service
  principal's `preferredTokenSigningKeyThumbprint` names), the SSO URL `/{tenant}/saml2`;
- one SSO URL for every app of the tenant: Entra finds the app by the AuthnRequest's Issuer, which
  must be one of the app's `identifierUris` (else AADSTS700016), and the app's service principal
  must use SAML (`preferredSingleSignOnMode: saml`);
- the AuthnRequest's AssertionConsumerServiceURL must be one of the app's reply URLs
  (`web.redirectUris`; else AADSTS50011); the response goes there (to the first reply URL when the
  request names none), which is also the Recipient; the
  Audience is the identifier; the assertion is signed (Entra's default, "Sign SAML assertion");
- the NameID is the user principal name (emailAddress format); the attributes are Entra's default
  claims (`http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress`, `givenname`,
  `surname`, `name`) and, per the app's `groupMembershipClaims`, the groups claim
  `http://schemas.microsoft.com/ws/2008/06/identity/claims/groups` with group object IDs; above 150
  groups Entra sends `http://schemas.microsoft.com/claims/groups.link` instead (SAML's overage);
- a user not assigned to an app that requires assignment, directly or through a group the user
  is a direct member of, is refused with AADSTS50105 (as for OpenID Connect, `signin.py`).
"""

from __future__ import annotations

from starlette.requests import Request

from sandbox.common.oidc_issuer import SignInRefused
from sandbox.common.saml_idp import EMAIL_NAME_ID, SamlIdp, ServiceProvider, SigningCredential, Subject
from sandbox.graph.odata import GraphError
from sandbox.graph.signin import EntraSignIn, check_assigned, groups_sent, memberships
from sandbox.graph.store import GraphTenant

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
GROUPS_ATTRIBUTE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
GROUPS_LINK_ATTRIBUTE = "http://schemas.microsoft.com/claims/groups.link"
SAML_GROUPS_LIMIT = 150
"""The most groups Entra puts in a SAML token; above it, the groups.link attribute instead."""
PROFILE_ATTRIBUTES = {
    f"{CLAIMS}/emailaddress": "mail",
    f"{CLAIMS}/givenname": "givenName",
    f"{CLAIMS}/surname": "surname",
    f"{CLAIMS}/name": "userPrincipalName",
}
"""Entra's default SAML claims: attribute name -> the user property it carries."""


def entra_entity_id(tenant_id: str) -> str:
    return f"https://sts.windows.net/{tenant_id}/"


class EntraSamlSignIn:
    """The SamlPolicy of one stand-in tenant; `app_id` is the application's appId."""

    def __init__(self, tenant: GraphTenant) -> None:
        self._tenant = tenant
        self._users = EntraSignIn(tenant)

    def locate(self, request: Request, issuer: str) -> str | None:
        """The app a request is for: `?appid=` at the metadata URL, the AuthnRequest's Issuer at
        the SSO URL. A tenant other than ours is no app of ours."""
        if request.path_params.get("tenant") not in (self._tenant.tenant_id, self._tenant.domain):
            return None
        if not issuer:
            return request.query_params.get("appid")
        app_id = self._tenant.saml_app_id(issuer)
        if app_id is None:
            raise SignInRefused(
                "invalid_request",
                f"AADSTS700016: Application with identifier '{issuer}' was not found in the directory "
                f"'{self._tenant.tenant_id}'. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the tenant. You may have "
                "sent your authentication request to the wrong tenant.",
            )
        return app_id

    def service_provider(self, app_id: str) -> ServiceProvider | None:
        try:
            application, principal, _ = self._tenant.sign_in_view(app_id)
        except GraphError:
            return None
        reply_urls = (application.get("web") or {}).get("redirectUris") or []
        if (
            principal is None
            or principal.get("preferredSingleSignOnMode") != "saml"
            or not application["identifierUris"]
            or not reply_urls
            or self._tenant.token_signing_certificate(app_id) is None
        ):
            return None
        return ServiceProvider(
            audience=application["identifierUris"][0],
            acs_url=reply_urls[0],
            recipient=reply_urls[0],
            destination=reply_urls[0],
            name_id_format=EMAIL_NAME_ID,
            sign_assertion=True,
            sign_response=False,
        )

    def response_url(self, app_id: str, sp: ServiceProvider, requested: str) -> str:
        """The requested URL must be one of the app's reply URLs (else AADSTS50011); a request
        naming none gets the first."""
        if not requested:
            return sp.acs_url
        application, _, _ = self._tenant.sign_in_view(app_id)
        if requested not in ((application.get("web") or {}).get("redirectUris") or []):
            raise SignInRefused(
                "invalid_request",
                f"AADSTS50011: The reply URL '{requested}' specified in the request does not match the "
                f"reply URLs configured for the application: '{app_id}'. Make sure the reply URL sent in "
                "the request matches one added to your application in the Azure portal.",
            )
        return requested

    def idp_entity_id(self, app_id: str) -> str:
        return entra_entity_id(self._tenant.tenant_id)

    def sso_path(self, app_id: str) -> str:
        return f"/{self._tenant.tenant_id}/saml2"

    def signing_credential(self, app_id: str) -> SigningCredential:
        certificate = self._tenant.token_signing_certificate(app_id)
        assert certificate is not None  # only asked after service_provider() found it
        return certificate.credential

    def authenticate(self, login: str, password: str) -> str | None:
        return self._users.authenticate(login, password)

    def subject(self, app_id: str, user_id: str) -> Subject:
        application, principal, assignments = self._tenant.sign_in_view(app_id)
        user = self._tenant.get_user(user_id)
        groups = memberships(self._tenant, user["id"])
        assigned = {assignment["principalId"] for assignment in assignments}
        check_assigned(application, principal, assigned, user, groups)
        attributes = {name: [user[prop]] for name, prop in PROFILE_ATTRIBUTES.items() if user.get(prop)}
        sent = groups_sent(application, groups, assigned)
        if sent is not None and len(sent) > SAML_GROUPS_LIMIT:
            link = f"https://graph.windows.net/{self._tenant.tenant_id}/users/{user['id']}/getMemberObjects"
            attributes[GROUPS_LINK_ATTRIBUTE] = [link]
        elif sent:
            attributes[GROUPS_ATTRIBUTE] = sent
        return Subject(user["userPrincipalName"], attributes)


def entra_saml_idp(tenant: GraphTenant) -> SamlIdp:
    policy = EntraSamlSignIn(tenant)
    return SamlIdp(
        policy,
        sso_route="/{tenant}/saml2",
        metadata_route="/{tenant}/federationmetadata/2007-06/federationmetadata.xml",
        locate_app=policy.locate,
    )
