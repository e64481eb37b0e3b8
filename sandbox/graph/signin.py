"""Entra ID's sign-in side for the stand-in tenant: the v2.0 endpoints and Entra's claim rules.

ID tokens carry what the provisioned app registration makes the real service send:
- `email`, `given_name`, `family_name` only when configured as optional ID-token claims;
- `groups` per `groupMembershipClaims`: SecurityGroup/All -> every group the user is in
  (transitively), ApplicationGroup -> only those of them assigned to the app, None -> no claim;
  more than 200 of them -> Entra's overage: no `groups`, `_claim_names` and `_claim_sources`;
- sign-in refused (AADSTS50105) when the enterprise app requires assignment and neither the
  user nor any of the user's groups is assigned;
- `roles`: the value of each app role the user is assigned to, directly or through a group the
  user is a direct member of (Entra does not follow nested groups for app roles), left out when
  there is none; a disabled role still assigned is still sent, as Entra does;
- sign-in refused (AADSTS65001, error consent_required) when the tenant has turned user consent
  off and some Microsoft Graph scope the request asks for (openid, profile, email, ...) is in no
  delegated permission grant of the app's service principal, tenant-wide or for that user;
- the token endpoint takes the client secret as client_secret_basic or client_secret_post: an
  app registration records no method, and Entra accepts both for a confidential web app.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox.common.oidc_issuer import (
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
        """Entra takes a web app's secret in the Basic header or in the form, whichever is sent."""
        return list(SECRET_METHODS)

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
        groups = self._tenant.transitive_group_ids(user["id"])
        assigned = {assignment["principalId"] for assignment in assignments}
        if (
            principal
            and principal.get("appRoleAssignmentRequired")
            and not ({user["id"]} | groups) & assigned
        ):
            raise SignInRefused(
                "access_denied",
                f"AADSTS50105: The signed in user '{user['userPrincipalName']}' is not assigned to a role "
                f"for the application '{client_id}' ({application['displayName']}).",
            )
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
        roles = self._role_values(application, assignments, user["id"])
        if roles:
            claims["roles"] = roles
        membership = (application.get("groupMembershipClaims") or "None").split(",")
        if "ApplicationGroup" in membership:
            claims.update(_groups_claim(sorted(groups & assigned), self._tenant.tenant_id, user["id"]))
        elif {"SecurityGroup", "All"} & set(membership):
            claims.update(_groups_claim(sorted(groups), self._tenant.tenant_id, user["id"]))
        return claims

    def _role_values(
        self, application: dict[str, Any], assignments: list[dict[str, Any]], user_id: str
    ) -> list[str]:
        direct = {user_id} | {group["id"] for group in self._tenant.member_of(user_id)}
        values = {
            role["id"]: role["value"] for role in application.get("appRoles") or [] if role.get("value")
        }
        return sorted(
            {
                values[a["appRoleId"]]
                for a in assignments
                if a["principalId"] in direct and a["appRoleId"] in values
            }
        )

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


def _groups_claim(group_ids: list[str], tenant_id: str, user_id: str) -> dict[str, Any]:
    """`groups`, or Entra's overage instead when a token would carry more than 200 groups: no
    `groups` claim, and `_claim_names`/`_claim_sources` pointing at where to fetch them."""
    if len(group_ids) <= GROUPS_OVERAGE_LIMIT:
        return {"groups": group_ids}
    endpoint = f"https://graph.windows.net/{tenant_id}/users/{user_id}/getMemberObjects"
    return {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": endpoint}}}


def entra_sign_in(tenant: GraphTenant) -> OidcIssuer:
    return OidcIssuer(EntraSignIn(tenant), entra_issuer_paths(tenant.tenant_id))
