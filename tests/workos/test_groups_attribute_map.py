"""A WorkOS connection maps the profile's groups from the claim the IdP sends, and nothing else.

The stand-in does not model attribute maps, so the test records the request bodies that reach it
(a pass-through ASGI wrapper around the unchanged stand-in) and checks what the real SDK sent.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.common.server import ServedApp
from sandbox.workos import INITECH, build_workos_standin
from ssoprov.brokers.workos.client import OidcConnectionSpec, WorkosClient
from tests.workos.conftest import FAST_POLICY

Scope = dict[str, Any]


class RecordedBodies:
    """ASGI middleware: remembers (method, path, JSON body) of each request, then passes it on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[tuple[str, str, Any]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        self.bodies.append((scope["method"], scope["path"], json.loads(body) if body else None))
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@pytest.fixture
def recorded() -> Iterator[tuple[WorkosClient, RecordedBodies]]:
    api_key = f"sk_test_{secrets.token_hex(16)}"
    recorder = RecordedBodies(build_workos_standin(api_keys=[api_key]).app)
    with ServedApp(recorder) as served:
        yield WorkosClient(api_key, served.url, policy=FAST_POLICY), recorder


def spec(groups_claim: str | None) -> OidcConnectionSpec:
    return OidcConnectionSpec(
        organization_id=INITECH.id,
        name="Initech",
        external_id="initech-oidc",
        connection_type="OktaOIDC",
        discovery_endpoint="https://initech.okta.example/.well-known/openid-configuration",
        client_id="initech-sso",
        client_secret="oidc-client-secret-77ab",
        token_authentication_method="client_secret_basic",
        redirect_uri="https://auth.example.com/sso/callback",
        groups_claim=groups_claim,
    )


def test_create_and_update_map_groups_from_the_idps_claim_only(
    recorded: tuple[WorkosClient, RecordedBodies],
) -> None:
    client, recorder = recorded
    created = asyncio.run(client.create_connection(spec("okta_groups")))
    asyncio.run(client.update_connection(created.id, spec("okta_groups")))

    writes = [(method, body) for method, path, body in recorder.bodies if path.startswith("/connections")]
    assert [method for method, _ in writes] == ["POST", "PATCH"]
    for _, body in writes:
        # Only `groups`: a `name: null` (what the SDK's own model sends) would unset a name
        # mapping an admin made in the dashboard.
        assert body["attribute_maps"] == {"standard_attributes": {"groups": "okta_groups"}}


def test_no_groups_claim_leaves_the_attribute_maps_alone(
    recorded: tuple[WorkosClient, RecordedBodies],
) -> None:
    client, recorder = recorded
    created = asyncio.run(client.create_connection(spec(None)))
    asyncio.run(client.update_connection(created.id, spec(None)))

    assert all("attribute_maps" not in (body or {}) for _, _, body in recorder.bodies)
