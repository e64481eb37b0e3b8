"""A service principal through msgraph-sdk as Graph's "Update servicePrincipal" documents it: the
properties a PATCH may set, its own credentials (certificates PATCHed in `keyCredentials` beside the
SAML signing keys addTokenSigningCertificate made; passwords added and removed by addPassword /
removePassword, never by PATCH), and both password actions addressed by appId as well."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.key_credential import KeyCredential
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.service_principals.item.add_password.add_password_post_request_body import (
    AddPasswordPostRequestBody,
)
from msgraph.generated.service_principals.item.remove_password.remove_password_post_request_body import (
    RemovePasswordPostRequestBody,
)
from msgraph.generated.service_principals.item.service_principal_item_request_builder import (
    ServicePrincipalItemRequestBuilder,
)

from tests.entra.conftest import ServedGraph
from tests.support.client_keys import ClientKey
from tests.support.graph_contract import contract_violations

SELECT_KEYS = RequestConfiguration(
    query_parameters=ServicePrincipalItemRequestBuilder.ServicePrincipalItemRequestBuilderGetQueryParameters(
        select=["keyCredentials", "passwordCredentials"]
    )
)


def with_sdk(graph: ServedGraph, call: Callable[[GraphServiceClient], Awaitable[Any]]) -> Any:
    """Run `call` with msgraph-sdk as the product builds it."""

    async def run() -> Any:
        async with graph.client()._graph() as sdk:
            return await call(sdk)

    return asyncio.run(run())


def refused(graph: ServedGraph, call: Callable[[GraphServiceClient], Awaitable[Any]]) -> str:
    """The message of the 400 ODataError `call` meets."""
    with pytest.raises(ODataError) as caught:
        with_sdk(graph, call)
    assert caught.value.response_status_code == 400
    return caught.value.error.message


def saml_principal(graph: ServedGraph) -> tuple[str, str, str]:
    """A non-gallery SAML app's service principal signing with its own certificate, as ssoprov makes
    one: its id, appId and the preferred certificate's thumbprint."""
    client = graph.client()

    async def make() -> tuple[str, str, str]:
        _, principal = await client.instantiate_non_gallery_app("Acme SAML")
        certificate = await client.add_token_signing_certificate(principal["object_id"], "CN=Acme SAML")
        await client.prefer_token_signing_certificate(principal["object_id"], certificate.kid)
        return principal["object_id"], principal["app_id"], certificate.kid

    return asyncio.run(make())


def read(graph: ServedGraph, object_id: str) -> ServicePrincipal:
    return with_sdk(
        graph, lambda sdk: sdk.service_principals.by_service_principal_id(object_id).get(SELECT_KEYS)
    )


def patch_keys(graph: ServedGraph, object_id: str, keys: list[KeyCredential]) -> None:
    with_sdk(graph, lambda sdk: _patch(sdk, object_id, keys))


def certificate(key: ClientKey) -> KeyCredential:
    return KeyCredential(type="AsymmetricX509Cert", usage="Verify", key=key.der, display_name="CN=broker")


def test_a_certificate_patched_on_a_service_principal_sits_beside_its_signing_keys(
    graph: ServedGraph,
) -> None:
    object_id, app_id, thumbprint = saml_principal(graph)
    before = read(graph, object_id).key_credentials
    assert sorted(k.usage for k in before) == ["Sign", "Verify"]

    key = ClientKey()
    patch_keys(graph, object_id, [*before, certificate(key)])

    after = read(graph, object_id).key_credentials
    assert [(k.key_id, k.usage, k.key) for k in after[:2]] == [(k.key_id, k.usage, k.key) for k in before]
    assert after[2].key == key.der and after[2].usage == "Verify"
    with graph.http() as http:  # `key` only to a $select of keyCredentials
        plain = http.get(f"/servicePrincipals/{object_id}").json()["keyCredentials"]
    assert [k["key"] for k in plain] == [None, None, None]
    signing = graph.standin.store.token_signing_certificate(app_id)
    assert signing is not None and signing.thumbprint == thumbprint
    assert contract_violations(graph.recorder.responses) == []


def test_a_patch_may_neither_change_a_kept_key_nor_add_a_signing_key_nor_set_passwords(
    graph: ServedGraph,
) -> None:
    object_id, _, _ = saml_principal(graph)
    stored = graph.standin.store.get_service_principal(object_id, with_keys=True)
    before = read(graph, object_id)
    sign = next(k for k in before.key_credentials if k.usage == "Sign")
    verify = next(k for k in before.key_credentials if k.usage == "Verify")
    renamed = copy.copy(verify)
    renamed.display_name = "CN=renamed"
    new_sign = KeyCredential(type="AsymmetricX509Cert", usage="Sign", key=ClientKey().der)

    assert refused(graph, lambda sdk: _patch(sdk, object_id, [sign, renamed])) == (
        f"Update to existing credential with KeyId '{verify.key_id}' is not allowed."
    )
    keyless = copy.copy(verify)
    keyless.key = None  # as a read without $select shows it
    for keys in ([*before.key_credentials, new_sign], [sign, keyless]):
        assert "'keyCredentials' of resource 'ServicePrincipal'" in refused(
            graph, lambda sdk, keys=keys: _patch(sdk, object_id, keys)
        )
    passwords = ServicePrincipal(password_credentials=[PasswordCredential(display_name="x")])
    assert refused(
        graph, lambda sdk: sdk.service_principals.by_service_principal_id(object_id).patch(passwords)
    ) == ("Property 'passwordCredentials' is read-only and cannot be set.")
    assert "preferred token signing key" in refused(graph, lambda sdk: _patch(sdk, object_id, []))
    assert graph.standin.store.get_service_principal(object_id, with_keys=True) == stored


def test_a_signing_key_left_out_goes_with_its_password(graph: ServedGraph) -> None:
    object_id, app_id, first = saml_principal(graph)
    client = graph.client()
    second = asyncio.run(client.add_token_signing_certificate(object_id, "CN=Acme SAML next"))
    asyncio.run(client.prefer_token_signing_certificate(object_id, second.kid))
    keys = read(graph, object_id).key_credentials
    first_pair = {k.key_id for k in keys[:2]}

    patch_keys(graph, object_id, keys[2:])

    after = read(graph, object_id)
    assert [k.key_id for k in after.key_credentials] == [k.key_id for k in keys[2:]]
    assert not {p.key_id for p in after.password_credentials} & first_pair
    assert graph.standin.store.token_signing_certificate(app_id).thumbprint == second.kid != first
    sign_password = after.password_credentials[0].key_id
    body = RemovePasswordPostRequestBody(key_id=sign_password)
    assert "belongs to a signing key" in refused(
        graph,
        lambda sdk: sdk.service_principals.by_service_principal_id(object_id).remove_password.post(body),
    )


def test_passwords_of_a_service_principal_are_added_and_removed_by_its_actions(graph: ServedGraph) -> None:
    object_id, app_id, _ = saml_principal(graph)
    body = AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="automation"))
    added = with_sdk(
        graph, lambda sdk: sdk.service_principals.by_service_principal_id(object_id).add_password.post(body)
    )
    assert added.secret_text and added.hint == added.secret_text[:3]
    stored = read(graph, object_id).password_credentials
    assert [(p.key_id, p.secret_text) for p in stored if p.display_name == "automation"] == [
        (added.key_id, None)
    ]

    remove = RemovePasswordPostRequestBody(key_id=added.key_id)
    with_sdk(
        graph,
        lambda sdk: sdk.service_principals.by_service_principal_id(object_id).remove_password.post(remove),
    )
    assert added.key_id not in {p.key_id for p in read(graph, object_id).password_credentials}
    with graph.http() as http:  # by appId, and a keyId it no longer has
        again = http.post(
            f"/servicePrincipals(appId='{app_id}')/removePassword", json={"keyId": str(added.key_id)}
        )
        unknown = http.post(
            f"/servicePrincipals/{object_id}/removePassword", json={"keyId": str(uuid.uuid4())}
        )
    assert again.status_code == unknown.status_code == 400
    assert again.json()["error"]["message"] == f"No password credential found with keyId '{added.key_id}'."
    assert contract_violations(graph.recorder.responses) == []


async def _patch(sdk: GraphServiceClient, object_id: str, keys: list[KeyCredential]) -> None:
    await sdk.service_principals.by_service_principal_id(object_id).patch(
        ServicePrincipal(key_credentials=keys)
    )


def test_the_documented_properties_are_patchable(graph: ServedGraph) -> None:
    object_id, app_id, _ = saml_principal(graph)
    body = ServicePrincipal(
        display_name="Acme SAML (prod)",
        homepage="https://acme.example/home",
        logout_url="https://acme.example/logout",
        reply_urls=["https://acme.example/acs"],
        alternative_names=["acme-prod"],
    )
    with_sdk(graph, lambda sdk: sdk.service_principals.by_service_principal_id(object_id).patch(body))
    read_back = asyncio.run(graph.client().get_service_principal(object_id))
    stored = graph.standin.store.get_service_principal(object_id)
    assert read_back["display_name"] == stored["displayName"] == "Acme SAML (prod)"
    assert (stored["homepage"], stored["logoutUrl"]) == (
        "https://acme.example/home",
        "https://acme.example/logout",
    )
    assert (stored["replyUrls"], stored["alternativeNames"]) == (["https://acme.example/acs"], ["acme-prod"])

    blank = ServicePrincipal(display_name=" ")
    assert refused(
        graph, lambda sdk: sdk.service_principals.by_service_principal_id(object_id).patch(blank)
    ) == ("Invalid value specified for property 'displayName' of resource 'ServicePrincipal'.")
    with graph.http() as http:  # by appId: the SDK builds these paths by object id only
        patched = http.patch(f"/servicePrincipals(appId='{app_id}')", json={"replyUrls": [1]})
        application = http.get(f"/applications(appId='{app_id}')").json()
        added = http.post(f"/applications(appId='{app_id}')/addPassword", json={"passwordCredential": {}})
        removed = http.post(
            f"/applications(appId='{app_id}')/removePassword", json={"keyId": added.json()["keyId"]}
        )
    assert patched.status_code == 400 and added.status_code == 200 and removed.status_code == 204
    assert graph.standin.store.stored_application(application["id"])["passwordCredentials"] == []
    assert contract_violations(graph.recorder.responses) == []
