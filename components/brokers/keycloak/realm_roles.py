"""The Keycloak realm roles an organization's role mappers grant, as one Pulumi dynamic resource.

Realm roles are shared: every organization brokered by a realm maps its groups onto the same
roles (`developer`, `member`, ...), and users hold them whichever organization they came from.
So this resource makes sure the roles exist and never removes one.

One resource for all of an organization's roles rather than one per role: Pulumi's Python
dynamic provider serves at most four calls at once (a thread pool of four in
`pulumi.dynamic.__main__`), so three role resources would fill it while the identity provider
waited. Here one call sends the per-role requests side by side (`asyncio.gather`); the number of
Keycloak calls stays one per role.

- create: with `create_missing` (`broker.createRoles`) one POST per role both checks and creates
  it, an existing one (Keycloak's 409) being left as it is; without it, one GET per role, and if
  any is missing the create fails naming every missing role and the fix. The output `created`
  records, per role, whether this resource created it (for the reader of the state). If one POST
  fails, the run fails; a role another POST of it created is recorded as existing (created false)
  by the next run;
- read: one GET per role; a role deleted out of band is left out of `names`, so the next
  `pulumi up` sees the spec's roles differ from the recorded ones and ensures them again (an
  update);
- update: ensures the roles `names` gained, as create does; a role that left `names` stays in
  Keycloak. A changed `create_missing` is only recorded;
- delete: does nothing in Keycloak. **Deleting this resource never deletes a role**, whether this
  resource created it or not: another organization's mappers may grant it, and users hold it.
  Remove a role no longer used by any organization by hand.

Inputs; "update" is in place, "replace" ensures the roles elsewhere:

    url             replace  Keycloak's base URL
    realm           replace  the realm that holds the roles
    names           update   the realm roles' names, sorted, each once (client roles: see the mapper)
    create_missing  update   create a missing role (else a missing role is an error)

Outputs: the inputs (`names` as found by the last read) plus `created`, {role name: bool}. The
resource id is the realm's name.

Admin credentials come from the provider process's environment (`admin.admin_client`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.brokers.keycloak.admin import admin_client
from ssoprov.dynamic import declared_properties, exact_diff, nonempty_strings, run_async
from ssoprov.errors import NotFoundError, ProvisionerError

if TYPE_CHECKING:
    from ssoprov.brokers.keycloak.client import KeycloakAdminClient

REPLACE_KEYS = ("url", "realm")
UPDATE_KEYS = ("names", "create_missing")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("created",)
DESCRIPTION = "Granted by SSO identity provider mappers (created by ssoprov)"
STACK_KEY = "ssoprov:organization.broker.createRoles"

T = TypeVar("T")


@dataclass(frozen=True)
class KeycloakRealmRolesArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]
    names: Iterable[str]
    """Roles to ensure; registered sorted and without repeats, so the spec's order is no change."""
    create_missing: pulumi.Input[bool]


class _KeycloakRealmRolesProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Replacing is safe in either order: delete removes nothing in Keycloak.
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        created = run_async(_ensure(props, props["names"]))
        return CreateResult(id_=props["realm"], outs=_outs(props, created))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        existing = run_async(_existing(props))
        return ReadResult(id_, _outs({**props, "names": existing}, props.get("created") or {}))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        recorded = set(olds.get("names") or [])
        created = run_async(_ensure(news, [name for name in news["names"] if name not in recorded]))
        return UpdateResult(outs=_outs(news, {**(olds.get("created") or {}), **created}))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the roles in Keycloak: they are shared (see the module docstring)."""


async def _ensure(props: Mapping[str, Any], names: Sequence[str]) -> dict[str, bool]:
    """Make sure the roles `names` exist; per role, True if this call created it.

    With `create_missing`, one POST per role both checks and creates: Keycloak answers 409 for a
    role that exists and leaves it as it is. Without it, one GET per role checks."""
    if not names:
        return {}
    realm = props["realm"]
    async with admin_client(props["url"]) as keycloak:
        if props["create_missing"]:
            answers = await _each(
                names, lambda name: keycloak.create_realm_role(realm, name, description=DESCRIPTION)
            )
            return dict(zip(names, answers, strict=True))
        found = await _found(keycloak, realm, names)
    missing = [name for name in names if not found[name]]
    if missing:
        raise ProvisionerError(
            f"Keycloak: checking the realm roles that role mappings grant in realm {realm} at "
            f"{props['url']}: missing {', '.join(repr(name) for name in missing)}. Fix: create them in "
            f"Keycloak, or set {STACK_KEY}: true to let ssoprov create missing roles"
        )
    return dict.fromkeys(names, False)


async def _existing(props: Mapping[str, Any]) -> list[str]:
    """The recorded roles that Keycloak still holds, in their recorded order."""
    names = list(props.get("names") or [])
    if not names:
        return []
    async with admin_client(props["url"]) as keycloak:
        found = await _found(keycloak, props["realm"], names)
    return [name for name in names if found[name]]


async def _found(keycloak: KeycloakAdminClient, realm: str, names: Sequence[str]) -> dict[str, bool]:
    """Per role, whether the realm has it (one GET each, side by side)."""

    async def exists(name: str) -> bool:
        try:
            await keycloak.get_realm_role(realm, name)
        except NotFoundError:
            return False
        return True

    return dict(zip(names, await _each(names, exists), strict=True))


async def _each(names: Sequence[str], call: Callable[[str], Awaitable[T]]) -> list[T]:
    """`call(name)` for every role at once; once all have ended, the first failure is raised (no
    request is left running, whichever fails)."""
    answers = await asyncio.gather(*(call(name) for name in names), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return list(answers)


def _check(props: Mapping[str, Any]) -> None:
    invalid = [key for key in REPLACE_KEYS if not isinstance(props.get(key), str) or not props[key]]
    if not nonempty_strings(props.get("names")):
        invalid.append("names")
    if not isinstance(props.get("create_missing"), bool):
        invalid.append("create_missing")
    if invalid:
        raise ValueError(
            f"Keycloak realm roles: inputs {invalid} are invalid (url, realm: non-empty strings; names: "
            "a non-empty list of non-empty strings; create_missing: a boolean)"
        )


def _outs(props: Mapping[str, Any], created: Mapping[str, bool]) -> dict[str, Any]:
    """The state: the inputs, and `created` for the roles in `names` only."""
    names = list(props["names"])
    return {
        **{key: props[key] for key in INPUT_KEYS},
        "names": names,
        "created": {name: bool(created.get(name)) for name in names},
    }


class KeycloakRealmRoles(Resource, module="keycloak", name="RealmRoles"):
    """The realm roles one organization's mappers grant; they exist as long as any organization's do."""

    url: pulumi.Output[str]
    realm: pulumi.Output[str]
    names: pulumi.Output[list[str]]
    create_missing: pulumi.Output[bool]
    created: pulumi.Output[dict[str, bool]]

    def __init__(
        self, resource_name: str, args: KeycloakRealmRolesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        props["names"] = sorted(set(args.names))
        super().__init__(_KeycloakRealmRolesProvider(), resource_name, props, opts)
