"""The legacy groups claim of an organization's Okta app, as a Pulumi dynamic resource.

This is the manual guide's Sign On > Token claims > "Show legacy configuration": Groups claim
type Filter, a claim (e.g. `groups`) listing the user's groups whose name matches a filter
(`.*` by regex: all of them). Okta serves it on an internal endpoint, to SSWS API tokens only.

Inputs; "update" sets the claim again in place, "replace" sets it on another app:

    org_url      replace  the customer's Okta org
    app_id       replace  the app whose ID token carries the claim
    name         update   the claim's name in the ID token
    filter_type  update   regex | starts_with | equals | contains (the spec's spelling)
    value        update   the filter value

Outputs: the inputs, as Okta reports them. Reading reports drift (a claim changed in the admin
console shows up as a difference and the next `pulumi up` sets it back); a claim removed out of
band, or an app deleted out of band, drops the resource from state.

Delete changes nothing in Okta: the claim is part of the app's settings and goes with the app,
and Okta has no call that removes a legacy groups claim. (Every organization app has one; a claim
is only ever deleted when its app is deleted or replaced.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.okta.okta_client import GroupsClaim, okta_client_from_env

REPLACE_KEYS = ("org_url", "app_id")
UPDATE_KEYS = ("name", "filter_type", "value")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
FILTER_TYPES = ("regex", "starts_with", "equals", "contains")


@dataclass(frozen=True)
class OktaGroupsClaimArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    name: pulumi.Input[str]
    filter_type: pulumi.Input[str]
    """regex | starts_with | equals | contains."""
    value: pulumi.Input[str]
    adopt: bool = False
    """True: the claim was set by hand; create reads it and records it, with no write."""


ADOPT_KEY = "adopt"


class _OktaGroupsClaimProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        claim = _adopted(props) if props.get(ADOPT_KEY) else _set(props)
        return CreateResult(id_=props["app_id"], outs=_outs(props, claim))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = okta_client_from_env(org_url=props["org_url"])
        try:
            claim = run_async(client.get_groups_claim(props["app_id"]))
        except NotFoundError:
            return gone()
        if claim is None:
            return gone()
        return ReadResult(id_, _outs(props, claim))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_outs(news, _set(news)))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to call: the claim goes with its app (see the module docstring)."""


def _adopted(props: Mapping[str, Any]) -> GroupsClaim:
    _check(props)
    claim = run_async(okta_client_from_env(org_url=props["org_url"]).get_groups_claim(props["app_id"]))
    if claim is None:
        raise ProvisionerError(
            f"Okta: adopting the groups claim of app {props['app_id']}: the app sends none. Fix: remove "
            "ssoprov:organization.adoption to let ssoprov set it, or set it in the admin console first"
        )
    return claim


def _set(props: Mapping[str, Any]) -> GroupsClaim:
    _check(props)
    client = okta_client_from_env(org_url=props["org_url"])
    return run_async(
        client.set_groups_claim(props["app_id"], props["name"], props["filter_type"], props["value"])
    )


def _check(props: Mapping[str, Any]) -> None:
    missing = [key for key in INPUT_KEYS if not isinstance(props.get(key), str) or not props[key]]
    if missing:
        raise ValueError(f"Okta groups claim: inputs {missing} must be non-empty strings")
    if props["filter_type"] not in FILTER_TYPES:
        raise ValueError(f"Okta groups claim: filter_type must be one of {', '.join(FILTER_TYPES)}")


def _outs(props: Mapping[str, Any], claim: GroupsClaim) -> dict[str, Any]:
    return {
        "org_url": props["org_url"],
        "app_id": props["app_id"],
        "name": claim.name,
        "filter_type": claim.filter_type.lower(),
        "value": claim.value,
    }


class OktaGroupsClaim(Resource, module="okta", name="GroupsClaim"):
    """The legacy groups claim (type Filter) of one Okta app. Its resource id is the app id."""

    org_url: pulumi.Output[str]
    app_id: pulumi.Output[str]
    name: pulumi.Output[str]
    filter_type: pulumi.Output[str]
    value: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: OktaGroupsClaimArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _OktaGroupsClaimProvider(),
            resource_name,
            {**declared_properties(args, INPUT_KEYS), ADOPT_KEY: args.adopt},
            opts,
        )
