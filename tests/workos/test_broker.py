"""The WorkOS broker: the spec refuses unacknowledged manual steps, and the broker lists the steps
(Pulumi mocks)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from sandbox.workos import INITECH
from ssoprov.brokers.base import RoleRule
from ssoprov.brokers.workos.broker import WorkosBroker
from ssoprov.identity import IdpConnectionInfo
from ssoprov.spec.loading import parse_organization
from ssoprov.spec.models import OrganizationSpec
from ssoprov.spec.problems import InvalidSpec

SECRET = "idp-secret-never-in-steps"
REDIRECT = "https://auth.example.com/sso/callback"


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(args)
        return "conn_01HV3K9A7B6C5D4E3F2G1H0J9K", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


STACK_FILE = "stacks/Pulumi.initech-oidc.yaml"


@pytest.fixture
def pulumi_mocks() -> Iterator[_Mocks]:
    """Mocks for this module's tests only; the runtime's globals are reset afterwards.

    The mocked runtime wants a current event loop, and an earlier `asyncio.run` leaves none."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, preview=False)
    yield mocks
    pulumi.runtime.settings.reset_options()
    asyncio.set_event_loop(None)
    loop.close()


def organization(idp: dict[str, Any], *, ack: bool = False, **extra: Any) -> OrganizationSpec:
    return parse_organization(
        {
            "name": "initech-oidc",
            "displayName": "Initech",
            "identityProvider": idp,
            "broker": {
                "kind": "workos",
                "organizationId": INITECH.id,
                "redirectUri": REDIRECT,
                "manualStepsAcknowledged": ack,
            },
            **extra,
        },
        STACK_FILE,
    )


OIDC = {
    "kind": "oidc",
    "clientId": "initech-sso",
    "discoveryUrl": "https://idp.example/.well-known/openid-configuration",
}
MICROSOFT = {"kind": "microsoft", "tenantId": "contoso.onmicrosoft.com"}
MAPPINGS = {"roleMappings": [{"group": "Engineering", "role": "developer"}], "defaultRole": "member"}


def connection_info(kind: str) -> IdpConnectionInfo:
    return IdpConnectionInfo(
        kind=kind,
        client_id=pulumi.Output.from_input("app-client-id"),
        client_secret=pulumi.Output.secret(SECRET),
        discovery_url=pulumi.Output.from_input("https://idp.example/.well-known/openid-configuration"),
        group_claim_values={"Engineering": pulumi.Output.from_input("grp-engineering")},
        groups_claim=None if kind == "microsoft" else "memberOf",
        token_endpoint_auth_method="client_secret_post",  # what the IdP decided, not a broker default
    )


@pytest.mark.parametrize(
    ("idp", "extra", "named"),
    [
        (OIDC, {"roleMappings": [{"group": "Engineering", "role": "developer"}]}, "Engineering -> developer"),
        (OIDC, {"defaultRole": "member"}, "defaultRole: member"),
        (MICROSOFT, {}, "Microsoft OAuth client ID and secret"),
    ],
)
def test_manual_work_must_be_acknowledged_in_the_spec(idp: dict, extra: dict, named: str) -> None:
    with pytest.raises(InvalidSpec) as raised:
        organization(idp, **extra)
    [problem] = raised.value.problems
    assert problem.file == STACK_FILE and problem.key == "ssoprov:organization.broker.manualStepsAcknowledged"
    assert "WorkOS offers no API for" in problem.message and named in problem.message
    assert problem.fix.startswith("set broker.manualStepsAcknowledged: true")


def test_nothing_to_acknowledge_without_mappings() -> None:
    assert WorkosBroker(organization(OIDC)).redirect_uri() == REDIRECT


@pulumi.runtime.test
def test_acknowledged_mappings_become_dashboard_steps(pulumi_mocks: _Mocks) -> pulumi.Output:
    spec = organization(OIDC, ack=True, **MAPPINGS)
    rules = [RoleRule("Engineering", pulumi.Output.from_input("grp-engineering"), "developer")]
    parent = pulumi.ComponentResource("test:index:Parent", "parent")
    connection = WorkosBroker(spec).connect(connection_info("oidc"), rules, "member", parent)

    def check(steps: list[str]) -> None:
        assert len(steps) == 2
        assert "conn_01HV3K9A7B6C5D4E3F2G1H0J9K" in steps[0] and INITECH.id in steps[0]
        assert "'grp-engineering'" in steps[0] and "'Engineering'" in steps[0] and "'developer'" in steps[0]
        assert "'member' the default role" in steps[1]
        assert all(SECRET not in step for step in steps)
        inputs = next(r.inputs for r in pulumi_mocks.resources if r.name == "initech-oidc-workos-connection")
        assert inputs["connection_type"] == "GenericOIDC" and inputs["external_id"] == "initech-oidc"
        assert inputs["redirect_uri"] == REDIRECT and inputs["organization_id"] == INITECH.id
        assert inputs["groups_claim"] == "memberOf"  # profile groups come from the IdP's claim
        assert inputs["token_authentication_method"] == "client_secret_post"

    return pulumi.Output.all(*connection.manual_steps).apply(check)


@pulumi.runtime.test
def test_microsoft_oauth_steps_name_the_client_id_but_not_the_secret(pulumi_mocks: _Mocks) -> pulumi.Output:
    spec = organization(MICROSOFT, ack=True, defaultRole="member")
    parent = pulumi.ComponentResource("test:index:Parent", "parent-ms")
    connection = WorkosBroker(spec).connect(connection_info("microsoft"), [], "member", parent)

    def check(values: list[str]) -> None:
        connection_id, *steps = values
        assert connection_id == ""
        assert not [r for r in pulumi_mocks.resources if r.name.endswith("workos-connection")]
        assert any("Microsoft OAuth" in s and "app-client-id" in s for s in steps)
        assert any(f"ssoprov client-secret {pulumi.get_stack()}" in s for s in steps)
        assert any("'member' the default role" in s for s in steps)
        assert all(SECRET not in step for step in steps)

    return pulumi.Output.all(connection.connection_id, *connection.manual_steps).apply(check)
