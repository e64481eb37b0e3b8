"""One Okta group assigned to an organization's OIDC app, as a Pulumi dynamic resource.

Assigning groups is the manual guide's "Limit access to selected groups": only members of an
assigned group may sign in through the app. One resource per group, so adding or removing a
group in the spec touches that group's assignment and nothing else.

Inputs; every change replaces the assignment (create-before-delete):

    org_url     replace  the customer's Okta org
    app_id      replace  the app the group is assigned to
    group_name  replace  the group's exact name, as in the stack's identityProvider.groups

Outputs: the inputs plus `group_id`, resolved once at create by exact name (Okta's `q` search is
a prefix match; the client compares names). A name that matches no group, or several, fails the
create with the group's name and the stack key to fix. The resource id is `<app_id>/<group_id>`.

Reading an assignment removed out of band (or of an app deleted out of band) drops it from state,
so the next `pulumi up` assigns the group again. Delete unassigns; already unassigned is fine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.okta import naming
from ssoprov.okta.okta_client import GroupLookupError, okta_client_from_env

REPLACE_KEYS = ("org_url", "app_id", "group_name")
INPUT_KEYS = REPLACE_KEYS
OUTPUT_KEYS = ("group_id",)
STACK_KEY = "ssoprov:organization.identityProvider.groups"
"""Where the group names come from, for error messages."""


@dataclass(frozen=True)
class OktaGroupAssignmentArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    group_name: pulumi.Input[str]
    adopt: bool = False


ADOPT_KEY = "adopt"
"""Input: the group is assigned already (by hand); create reads the assignment, no write."""


class _OktaGroupAssignmentProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        group_id = run_async(
            _assign(props["org_url"], props["app_id"], props["group_name"], adopt=bool(props.get(ADOPT_KEY)))
        )
        return CreateResult(id_=f"{props['app_id']}/{group_id}", outs=_outs(props, group_id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = okta_client_from_env(org_url=props["org_url"])
        try:
            run_async(client.get_app_group(props["app_id"], props["group_id"]))
        except NotFoundError:
            return gone()
        return ReadResult(id_, _outs(props, props["group_id"]))

    # No update: every input change is a replacement.

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client = okta_client_from_env(org_url=props["org_url"])
        run_async(client.unassign_group(props["app_id"], props["group_id"], group_name=props["group_name"]))


async def _assign(org_url: str, app_id: str, group_name: str, *, adopt: bool) -> str:
    client = okta_client_from_env(org_url=org_url)
    try:
        group = await client.find_group_by_name(group_name)
    except GroupLookupError as exc:
        # The lookup's message names the group and what was found; add where the name comes from.
        raise ProvisionerError(f"{exc} Stack key: {STACK_KEY}.") from None
    if adopt:
        await client.get_app_group(app_id, group.id)  # NotFoundError: not assigned after all
    else:
        await client.assign_group(app_id, group.id, group_name=group.name)
    return group.id


def _check(props: Mapping[str, Any]) -> None:
    missing = [key for key in INPUT_KEYS if not isinstance(props.get(key), str) or not props[key]]
    if missing:
        raise ValueError(f"Okta group assignment: inputs {missing} must be non-empty strings")


def _outs(props: Mapping[str, Any], group_id: str) -> dict[str, Any]:
    return {**{key: props[key] for key in INPUT_KEYS}, "group_id": group_id}


class OktaGroupAssignment(Resource, module="okta", name="GroupAssignment"):
    """One group's assignment to one Okta app."""

    org_url: pulumi.Output[str]
    app_id: pulumi.Output[str]
    group_name: pulumi.Output[str]
    group_id: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: OktaGroupAssignmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), ADOPT_KEY: args.adopt}
        super().__init__(_OktaGroupAssignmentProvider(), resource_name, props, opts)


def assign_groups(
    organization: str,
    org_url: str,
    app_id: pulumi.Input[str],
    groups: Sequence[str],
    opts: pulumi.ResourceOptions,
    *,
    adopt: bool = False,
) -> list[OktaGroupAssignment]:
    """One assignment per group of `identityProvider.groups` to the app (OIDC or SAML)."""
    return [
        OktaGroupAssignment(
            naming.group_assignment_name(organization, group),
            OktaGroupAssignmentArgs(org_url=org_url, app_id=app_id, group_name=group, adopt=adopt),
            opts=opts,
        )
        for group in groups
    ]
