"""Warnings about specs that are valid but may fail some users: printed, never refused.

Entra's group overage: a token carries at most 200 groups. With `groupsClaim` SecurityGroup or
All the claim lists every group the user is in, so a user in more than 200 gets no `groups`
claim at all (only `_claim_names`/`_claim_sources`) and none of the role mappings applies. Whether
that happens depends on each user's memberships, which the spec cannot know: many tenants never
come near it, so this is a warning, not a refusal. ApplicationGroup (only groups assigned to the
app) and app roles (`roleSource: appRoles`, the `roles` claim) stay clear of it.

A `clientSecret` policy beside `clientAuthentication.method: privateKeyJwt`, or on a SAML
connection, does nothing.

An app that requires assignment (Entra ID's default, every Okta app) with no group or user assigned
by the spec lets nobody sign in until an admin assigns someone by hand: valid (that may be the
plan), but worth a line.
"""

from __future__ import annotations

from ssoprov.spec.models import EntraIdp, OktaIdp, OrganizationSpec
from ssoprov.spec.problems import SpecProblem

SPEC_KEY = "ssoprov:organization"
OVERAGE_LIMIT = 200
OVERAGE_FIX = (
    "set identityProvider.roleSource to appRoles, or identityProvider.groupsClaim to ApplicationGroup"
)


def spec_warnings(spec: OrganizationSpec, file: str) -> list[SpecProblem]:
    """What may go wrong for some users with this valid spec, each with its fix."""
    return [
        *_unused_secret_policy(spec, file),
        *group_overage_warnings(spec, file),
        *_nobody_assigned(spec, file),
    ]


def _nobody_assigned(spec: OrganizationSpec, file: str) -> list[SpecProblem]:
    idp = spec.identity_provider
    if isinstance(idp, OktaIdp) and not idp.groups:
        key, fix = "groups", "list the Okta groups allowed to sign in in identityProvider.groups"
    elif (
        isinstance(idp, EntraIdp)
        and idp.assignment_required
        and not (idp.assignments.groups or idp.assignments.users)
        and not (idp.uses_app_roles and spec.role_mappings)
    ):
        key = "assignments"
        fix = (
            "list groups or users in identityProvider.assignments, or set identityProvider."
            "assignmentRequired to false to let every user of the tenant sign in"
        )
    else:
        return []
    return [
        SpecProblem(
            file,
            f"{SPEC_KEY}.identityProvider.{key}",
            "assigns no group or user to an app that requires assignment: nobody can sign in until "
            "an admin assigns someone by hand",
            fix,
        )
    ]


def _unused_secret_policy(spec: OrganizationSpec, file: str) -> list[SpecProblem]:
    """A clientSecret policy beside privateKeyJwt or SAML: valid (it applies again if the
    organization switches back), but it does nothing now, which a reader may not expect."""
    if "client_secret" not in spec.model_fields_set:
        return []
    if spec.identity_provider.uses_saml:
        why = (
            "identityProvider.protocol is saml: a SAML connection has no client secret (its signing "
            "certificate rolls over by identityProvider.saml.rotateBeforeExpiryDays)"
        )
        back = "protocol oidc"
    elif spec.client_authentication.secretless:
        why = "clientAuthentication.method is privateKeyJwt: no client secret exists"
        back = "clientSecret"
    else:
        return []
    return [
        SpecProblem(
            file,
            f"{SPEC_KEY}.clientSecret",
            f"has no effect while {why}",
            f"remove clientSecret, or keep it only for switching back to {back}",
        )
    ]


def group_overage_warnings(spec: OrganizationSpec, file: str) -> list[SpecProblem]:
    """The overage warning when this spec can lose roles to it (see the module docstring)."""
    idp = spec.identity_provider
    if not isinstance(idp, EntraIdp) or idp.uses_app_roles or not spec.role_mappings:
        return []
    if idp.groups_claim not in ("SecurityGroup", "All"):
        return []
    return [
        SpecProblem(
            file,
            f"{SPEC_KEY}.identityProvider.groupsClaim",
            f"with groupsClaim {idp.groups_claim} the groups claim lists every group a user is in; a user "
            f"in more than {OVERAGE_LIMIT} gets none (Entra's group overage), so roleMappings give them "
            "nothing but defaultRole",
            OVERAGE_FIX,
        )
    ]
