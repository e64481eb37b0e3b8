"""Entra ID's sign-in side for the stand-in tenant: the v2.0 endpoints and Entra's claim rules.

ID tokens carry what the provisioned app registration makes the real service send:
- `email`, `given_name`, `family_name` only when configured as optional ID-token claims;
- `groups` per `groupMembershipClaims`: SecurityGroup/All -> every group the user is in, nested
  groups included, ApplicationGroup -> the groups assigned to the app that the user is a direct
  member of (Microsoft's group claims guide: with that option nested groups are not included),
  None -> no claim; more than 200 of them -> Entra's overage: no `groups`, `_claim_names` and
  `_claim_sources`;
- sign-in refused (AADSTS50105) when the enterprise app requires assignment and neither the
  user nor a group the user is a direct member of is assigned: group-based assignment does not
  cascade to nested groups (Microsoft's guide to assigning users and groups);
- `roles`: the value of each app role the user is assigned to, directly or through a group the
  user is a direct member of (Entra does not follow nested groups for app roles), left out when
  there is none; a disabled role still assigned is still sent, as Entra does;
- sign-in refused (AADSTS65001, error consent_required) when the tenant has turned user consent
  off and some Microsoft Graph scope the request asks for (openid, profile, email, ...) is in no
  delegated permission grant of the app's service principal, tenant-wide or for that user;
- the token endpoint takes the client secret as client_secret_basic or client_secret_post: an
  app registration records no method, and Entra accepts both for a confidential web app;
- or a client assertion (private_key_jwt) signed with a certificate registered in the app's
  `keyCredentials` (Verify, within its dates), named in the JWT header by its SHA-1 thumbprint
  `x5t` or SHA-256 thumbprint `x5t#S256`; a refusal is invalid_client with Entra's codes:
  AADSTS700027 (certificate not registered, signature invalid), AADSTS700024 (outside its time
  range), AADSTS700021 (`iss`/`sub` is not the client id), AADSTS700023 (audience is not this
  token endpoint: the Azure SDK troubleshooting guide's reading of that code), AADSTS50027
  (malformed, e.g. `aud` sent as a list). Entra documents no code for a replayed `jti`; the
  stand-in refuses it with AADSTS50027 too.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from sandbox.common.client_assertion import AssertionRefused, Refusal
from sandbox.common.oidc_issuer import (
    PRIVATE_KEY_JWT,
    SANDBOX_USER_PASSWORD,
    SECRET_METHODS,
    IssuerPaths,
    OidcIssuer,
    SignInRefused,
)
from sandbox.graph.odata import GraphError
from sandbox.graph.seed import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES, seeded_id
from sandbox.graph.store import GraphTenant

GROUPS_OVERAGE_LIMIT = 200
"""The most groups Entra puts in a JWT; above it the token carries the overage claims instead."""
PROFILE_CLAIMS = {"email": "mail", "given_name": "givenName", "family_name": "surname"}
"""Optional ID-token claim -> the user property it carries."""


def entra_issuer_paths(tenant_id: str) -> IssuerPaths:
    return IssuerPaths(
        issuer=f"/{tenant_id}/v2.0",
        authorize=f"/{tenant_id}/oauth2/v2.0/authorize",
        token=f"/{tenant_id}/oauth2/v2.0/token",
        jwks=f"/{tenant_id}/discovery/v2.0/keys",
    )


class EntraSignIn:
    """The SignInPolicy of one stand-in tenant."""

    def __init__(self, tenant: GraphTenant) -> None:
        self._tenant = tenant

    def redirect_uris(self, client_id: str) -> list[str] | None:
        try:
            application, _, _ = self._tenant.sign_in_view(client_id)
        except GraphError:
            return None
        return list((application.get("web") or {}).get("redirectUris") or [])

    def check_client_secret(self, client_id: str, secret: str) -> bool:
        return self._tenant.verify_client_secret(client_id, secret)

    def token_endpoint_auth_methods(self, client_id: str) -> list[str]:
        """Entra takes a web app's secret in the Basic header or in the form, or a certificate's
        assertion, whichever is sent: the app registration records no method."""
        return [*SECRET_METHODS, PRIVATE_KEY_JWT]

    def assertion_keys(self, client_id: str, header: dict[str, Any]) -> Sequence[PublicKeyTypes]:
        """The registered certificate whose thumbprint the header names (`x5t` or `x5t#S256`)."""
        wanted = {(hashlib.sha1, header.get("x5t")), (hashlib.sha256, header.get("x5t#S256"))}
        return [
            x509.load_der_x509_certificate(der).public_key()
            for der in self._tenant.assertion_certificates(client_id)
            if any(
                thumbprint and _b64url(digest(der).digest()) == thumbprint for digest, thumbprint in wanted
            )
        ]

    def assertion_refusal(self, refused: AssertionRefused) -> str:
        return ENTRA_ASSERTION_ERRORS[refused.reason]

    def authenticate(self, login: str, password: str) -> str | None:
        if password != SANDBOX_USER_PASSWORD:
            return None
        try:
            return self._tenant.get_user(login)["id"]
        except GraphError:
            return None

    def id_token_claims(self, client_id: str, user_id: str, scopes: list[str]) -> dict[str, Any]:
        application, principal, assignments = self._tenant.sign_in_view(client_id)
        user = self._tenant.get_user(user_id)
        groups = memberships(self._tenant, user["id"])
        assigned = {assignment["principalId"] for assignment in assignments}
        check_assigned(application, principal, assigned, user, groups)
        self._check_consent(client_id, application, principal, user["id"], scopes)
        claims: dict[str, Any] = {
            "ver": "2.0",
            "tid": self._tenant.tenant_id,
            "oid": user["id"],
            # v2.0 `sub` is pairwise: stable for one user and one app, different across apps.
            "sub": hashlib.sha256(f"{user['id']}:{client_id}".encode()).hexdigest()[:43],
            "name": user["displayName"],
            "preferred_username": user["userPrincipalName"],
        }
        optional = {claim["name"] for claim in (application.get("optionalClaims") or {}).get("idToken") or []}
        for claim, prop in PROFILE_CLAIMS.items():
            if claim in optional and user.get(prop):
                claims[claim] = user[prop]
        roles = _role_values(application, assignments, {user["id"], *groups.direct})
        if roles:
            claims["roles"] = roles
        sent = groups_sent(application, groups, assigned)
        if sent is not None:
            claims.update(_groups_claim(sent, self._tenant.tenant_id, user["id"]))
        return claims

    def _check_consent(
        self,
        client_id: str,
        application: dict[str, Any],
        principal: dict[str, Any] | None,
        user_id: str,
        scopes: list[str],
    ) -> None:
        """Refuse as Entra does when nobody may consent and nobody has: users cannot consent
        for themselves, so every Graph scope asked for must be in an admin's grant."""
        if self._tenant.user_consent_allowed:
            return
        asked = {scope for scope in scopes if scope in MICROSOFT_GRAPH_SCOPES}
        graph_id = seeded_id("servicePrincipal", MICROSOFT_GRAPH_APP_ID)
        granted = (
            self._tenant.granted_scopes(principal["id"], graph_id, user_id)
            if principal is not None
            else set()
        )
        if asked - granted:
            raise SignInRefused(
                "consent_required",
                f"AADSTS65001: The user or administrator has not consented to use the application with "
                f"ID '{client_id}' named '{application['displayName']}'. Send an interactive "
                "authorization request for this user and resource.",
            )


@dataclass(frozen=True)
class Memberships:
    """The groups (object ids) a user is a member of: directly, and directly or through nested groups."""

    direct: frozenset[str]
    transitive: frozenset[str]


def memberships(tenant: GraphTenant, user_id: str) -> Memberships:
    return Memberships(
        direct=frozenset(group["id"] for group in tenant.member_of(user_id)),
        transitive=frozenset(tenant.transitive_group_ids(user_id)),
    )


def _role_values(
    application: dict[str, Any], assignments: list[dict[str, Any]], principals: set[str]
) -> list[str]:
    """The values of the app roles assigned to any of `principals` (the user and the user's direct
    groups: Entra does not follow nested groups for app roles)."""
    values = {role["id"]: role["value"] for role in application.get("appRoles") or [] if role.get("value")}
    return sorted(
        {
            values[a["appRoleId"]]
            for a in assignments
            if a["principalId"] in principals and a["appRoleId"] in values
        }
    )


def check_assigned(
    application: dict[str, Any],
    principal: dict[str, Any] | None,
    assigned: set[str],
    user: dict[str, Any],
    groups: Memberships,
) -> None:
    """Refuse (AADSTS50105) a user who is not assigned, directly or through a group the user is a
    direct member of, to an app whose enterprise application requires assignment: OpenID Connect and
    SAML sign-ins alike. A member of a nested group only is refused: assignment does not cascade."""
    if (
        principal
        and principal.get("appRoleAssignmentRequired")
        and not ({user["id"]} | groups.direct) & assigned
    ):
        raise SignInRefused(
            "access_denied",
            f"AADSTS50105: The signed in user '{user['userPrincipalName']}' is not assigned to a role "
            f"for the application '{application['appId']}' ({application['displayName']}).",
        )


def groups_sent(application: dict[str, Any], groups: Memberships, assigned: set[str]) -> list[str] | None:
    """The object ids of the user's groups that the app's tokens carry, per its
    groupMembershipClaims: ApplicationGroup -> the user's direct groups assigned to the app (nested
    groups are not included), SecurityGroup/All -> every group, nested ones too; None when it sends
    no groups."""
    membership = set((application.get("groupMembershipClaims") or "None").split(","))
    if "ApplicationGroup" in membership:
        return sorted(groups.direct & assigned)
    if {"SecurityGroup", "All"} & membership:
        return sorted(groups.transitive)
    return None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


ENTRA_ASSERTION_ERRORS = {
    Refusal.UNKNOWN_KEY: "AADSTS700027: The certificate with identifier used to sign the client assertion "
    "is not registered on application.",
    Refusal.BAD_SIGNATURE: "AADSTS700027: Client assertion failed signature validation.",
    Refusal.OUT_OF_TIME: "AADSTS700024: Client assertion is not within its valid time range.",
    Refusal.WRONG_CLIENT: "AADSTS700021: Client assertion application identifier doesn't match "
    "'client_id' parameter.",
    Refusal.WRONG_AUDIENCE: "AADSTS700023: Client assertion audience claim does not match Realm issuer.",
    Refusal.MALFORMED: "AADSTS50027: JWT token is invalid or malformed.",
    Refusal.REPLAYED: "AADSTS50027: JWT token is invalid or malformed.",
}
"""Entra's `error_description` start for each refusal (see the module docstring for sources)."""


def _groups_claim(group_ids: list[str], tenant_id: str, user_id: str) -> dict[str, Any]:
    """`groups`, or Entra's overage instead when a token would carry more than 200 groups: no
    `groups` claim, and `_claim_names`/`_claim_sources` pointing at where to fetch them."""
    if len(group_ids) <= GROUPS_OVERAGE_LIMIT:
        return {"groups": group_ids}
    endpoint = f"https://graph.windows.net/{tenant_id}/users/{user_id}/getMemberObjects"
    return {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": endpoint}}}


def entra_sign_in(tenant: GraphTenant) -> OidcIssuer:
    return OidcIssuer(EntraSignIn(tenant), entra_issuer_paths(tenant.tenant_id))
