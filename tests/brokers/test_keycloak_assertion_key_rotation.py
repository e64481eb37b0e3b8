"""The Keycloak half of a realm-key rotation against the real Keycloak: a staged key is published
and does not sign, the resource's diff sees it and its update records both keys, promotion makes
the new key the signer, and retirement leaves it alone."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from cryptography import x509

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak import assertion_key_rotation as rotation
from ssoprov.brokers.keycloak.assertion_key import _AssertionKeyProvider
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import create_broker_realm


def published_kids(keycloak: KeycloakServer, realm: str) -> set[str]:
    return {
        k["kid"]
        for k in httpx.get(f"{keycloak.url}/realms/{realm}/protocol/openid-connect/certs").json()["keys"]
    }


@pytest.mark.usefixtures("keycloak_admin_env")
def test_a_staged_key_is_published_not_signing_then_promoted_and_the_old_one_retired(
    keycloak: KeycloakServer, admin_http: AdminHttp
) -> None:
    realm = create_broker_realm(admin_http)
    props = {"url": keycloak.url, "realm": realm}
    provider = _AssertionKeyProvider()
    created = provider.create(dict(props))
    first = created.outs or {}
    # What Keycloak 26 gives an rsa-generated key: a self-signed certificate valid for 10 years.
    certificate = x509.load_der_x509_certificate(base64.b64decode(first["certificate"]))
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 3650 <= validity.days <= 3653, validity
    assert first["valid_to"] == int(certificate.not_valid_after_utc.timestamp() * 1000)
    assert not provider.diff(created.id, first, dict(props)).changes

    staged = asyncio.run(rotation.stage(keycloak.url, realm))
    again = asyncio.run(rotation.stage(keycloak.url, realm))  # a resumed run reuses it

    assert again == staged and staged.kid != first["kid"]
    assert {first["kid"], staged.kid} <= published_kids(keycloak, realm)
    keys = asyncio.run(rotation.read(keycloak.url, realm))
    assert keys.signer is not None and keys.signer.kid == first["kid"] and keys.staged == [staged]
    assert provider.diff(created.id, first, dict(props)).changes
    both = provider.update(created.id, first, dict(props)).outs or {}
    assert both["kid"] == first["kid"] and both["trusted_kids"] == [first["kid"], staged.kid]
    assert [jwk["kid"] for jwk in both["trusted_jwks"]] == both["trusted_kids"]

    asyncio.run(rotation.promote(keycloak.url, realm, staged))
    asyncio.run(rotation.promote(keycloak.url, realm, staged))  # a resumed run: already done

    keys = asyncio.run(rotation.read(keycloak.url, realm))
    assert keys.signer is not None and keys.signer.kid == staged.kid and keys.staged == []
    assert [key.kid for key in keys.retiring] == [first["kid"]]
    retired = asyncio.run(rotation.retire(keycloak.url, realm))
    assert [key.kid for key in retired] == [first["kid"]]
    assert first["kid"] not in published_kids(keycloak, realm)
    after = provider.read(created.id, both)
    assert after.id == created.id and (after.outs or {})["trusted_kids"] == [staged.kid]
    assert (after.outs or {})["component_id"] == staged.component_id
