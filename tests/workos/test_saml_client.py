"""WorkosClient's SAML calls against the stand-in: configuring a dashboard-made connection from an
IdP's metadata leaves the connection's own ACS URL and SP entity ID alone (the SDK's options model
would reset overrides to null), and the trusted certificates are read, added and deleted as base64
DER, the form the IdPs' APIs use."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from sandbox.common.saml_idp import SigningCredential, metadata_document
from sandbox.common.server import ServedApp
from sandbox.workos import INITECH
from ssoprov.brokers.workos.client import WorkosClient
from tests.workos.conftest import WorkosSandbox

SIGNING = SigningCredential.generate("idp-signing")


@pytest.fixture
def metadata_url() -> Iterator[str]:
    document = metadata_document("https://idp.example/entity", "https://idp.example/sso", [SIGNING])
    app = Starlette(routes=[Route("/metadata", lambda _: Response(document, media_type="application/xml"))])
    with ServedApp(app) as served:
        yield f"{served.url}/metadata"


def test_configuring_imports_the_metadata_and_maps_attributes_but_keeps_the_sp_overrides(
    workos_sandbox: WorkosSandbox, workos_client: WorkosClient, metadata_url: str
) -> None:
    store = workos_sandbox.stand_in.store
    connection = store.add_saml_connection(INITECH.id, workos_sandbox.url)
    assert connection.saml is not None
    connection.saml.acs_url = "https://sso.initech.example/acs"  # a custom domain set in the dashboard

    info = asyncio.run(
        workos_client.configure_saml_connection(connection.id, metadata_url, {"groups": "memberOf"})
    )

    assert info.state == "active"
    assert connection.saml.acs_url == "https://sso.initech.example/acs"
    assert connection.saml.sp_entity_id == connection.saml.standard_sp_entity_id
    assert (
        connection.saml.idp_sso_url == "https://idp.example/sso" and connection.groups_attribute == "memberOf"
    )
    [trusted] = asyncio.run(workos_client.list_idp_signing_certificates(connection.id))
    assert trusted.certificate == SIGNING.certificate_base64


def test_certificates_are_added_and_deleted_as_base64_der(
    workos_sandbox: WorkosSandbox, workos_client: WorkosClient, metadata_url: str
) -> None:
    connection = workos_sandbox.stand_in.store.add_saml_connection(INITECH.id, workos_sandbox.url)
    asyncio.run(workos_client.configure_saml_connection(connection.id, metadata_url, {"groups": "groups"}))
    staged = SigningCredential.generate("idp-staged").certificate_base64

    added = asyncio.run(workos_client.add_idp_signing_certificate(connection.id, staged))
    listed = asyncio.run(workos_client.list_idp_signing_certificates(connection.id))
    asyncio.run(workos_client.delete_idp_signing_certificate(connection.id, listed[0].id))
    asyncio.run(workos_client.delete_idp_signing_certificate(connection.id, listed[0].id))  # gone: fine

    assert added.certificate == staged
    assert [c.certificate for c in listed] == [SIGNING.certificate_base64, staged]
    assert [c.id for c in asyncio.run(workos_client.list_idp_signing_certificates(connection.id))] == [
        added.id
    ]
