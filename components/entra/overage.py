"""Name Entra's group overage for one user: what verify-login adds to a sign-in report.

The broker redeems the IdP's code itself, so a sign-in through it never shows the Entra token.
What decides the overage is in the directory: with groupsClaim SecurityGroup or All, Entra lists
every group the user is in, and above 200 it sends no `groups` claim at all (only
`_claim_names`/`_claim_sources`), so no role mapping can match. Counting the user's groups
(transitively, as the claim does) tells whether that user's token carries the overage.
"""

from __future__ import annotations

from ssoprov.dynamic import run_async
from ssoprov.entra.provider_support import graph_client
from ssoprov.spec.advice import OVERAGE_FIX, OVERAGE_LIMIT, group_overage_warnings
from ssoprov.spec.models import EntraIdp, OrganizationSpec


def overage_report(spec: OrganizationSpec, login: str) -> str | None:
    """A line naming the overage when `login`'s token under this spec carries it; None otherwise."""
    idp = spec.identity_provider
    if not isinstance(idp, EntraIdp) or not group_overage_warnings(spec, ""):
        return None  # ApplicationGroup, app roles, or no mappings: overage cannot cost a role
    count = run_async(graph_client(idp.tenant_id).count_groups_of(login))
    if count <= OVERAGE_LIMIT:
        return None
    return (
        f"{login}: Entra's group overage: the user is in {count} groups, more than the {OVERAGE_LIMIT} "
        f"a token carries, so with groupsClaim {idp.groups_claim} Entra sends no groups claim (only "
        f"_claim_names/_claim_sources) and no role mapping applies. Fix: {OVERAGE_FIX}"
    )
