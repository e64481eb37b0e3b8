"""Rotating a realm's client-assertion key with `ssoprov rotate`, on the real Pulumi CLI and the real
Keycloak, while users of a secretless Entra organization and a secretless Okta organization of that
realm keep signing in through the broker: no sign-in fails, Keycloak ends signing with the new key,
both apps trust it alone, and the stand-ins refuse an assertion signed with the old key.

The realm's first key is one the test holds the private key of (an `rsa` provider of the name
ssoprov adopts), so the test can sign with it after the rotation as an attacker holding it would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.okta.store import GroupsClaim
from ssoprov.brokers.keycloak import assertion_key_rotation as keycloak_keys
from ssoprov.brokers.keycloak.assertion_key import ASSERTION_KEY_NAME, ASSERTION_KEY_PRIORITY
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.clock import calendar_date
from ssoprov.okta.okta_client import okta_client_from_env
from tests.fleet.fleet import FleetProject, SealedSecret
from tests.integration.organizations import entra_organization, generic_oidc_organization, okta_organization
from tests.integration.signin_loop import signing_in
from tests.integration.test_secretless import SECRETLESS, sign_in
from tests.sandbox.signin_flow import okta_web_app
from tests.support.client_keys import ClientKey

ENTRA_LOGIN, OKTA_LOGIN = "alice@contoso.example", "alice@acme.example"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def import_realm_key(sandbox: LocalSandbox, realm: str, key: ClientKey) -> str:
    """Make `key` the realm's client-assertion signer, as ssoprov's first `up` would adopt it; its kid."""

    async def create() -> str:
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        certificate = key.certificate.public_bytes(serialization.Encoding.PEM).decode()
        config = {"priority": ASSERTION_KEY_PRIORITY, "algorithm": "RS256", "privateKey": pem}
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as keycloak:
            await keycloak.create_key_provider(
                realm, ASSERTION_KEY_NAME, "rsa", {**config, "certificate": certificate}
            )
        keys = await keycloak_keys_read(sandbox, realm)
        assert keys.signer is not None
        return keys.signer.kid

    return asyncio.run(create())


async def keycloak_keys_read(sandbox: LocalSandbox, realm: str) -> keycloak_keys.RealmKeys:
    async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as keycloak:
        return keycloak_keys.RealmKeys.of(await keycloak_keys.assertion_keys(keycloak, realm))


def token_answer(url: str, assertion: str, redirect_uri: str) -> httpx.Response:
    """A token request with a bogus code: the client's assertion is judged first (invalid_client),
    the code after (invalid_grant)."""
    return httpx.post(
        url,
        data={
            "grant_type": "authorization_code",
            "code": "not-a-code",
            "redirect_uri": redirect_uri,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )


def old_key_answers(
    sandbox: LocalSandbox, realm: str, key: ClientKey, kid: str, entra_client: str, okta_client: str
) -> tuple[httpx.Response, httpx.Response]:
    """The Entra and Okta token endpoints' answers to assertions signed with `key` (named as
    Keycloak sends it: x5t for Entra, kid for Okta)."""
    entra_url = f"{sandbox.graph_url}/{CONTOSO.tenant_id}/oauth2/v2.0/token"
    okta_url = f"{sandbox.okta_url}/oauth2/v1/token"
    entra = token_answer(
        entra_url,
        key.assertion(entra_client, entra_url, headers={"x5t": key.x5t, "kid": kid}),
        f"{sandbox.keycloak_url}/realms/{realm}/broker/acme/endpoint",
    )
    okta = token_answer(
        okta_url,
        key.assertion(okta_client, okta_url, headers={"kid": kid}),
        f"{sandbox.keycloak_url}/realms/{realm}/broker/globex/endpoint",
    )
    return entra, okta


def test_rotate_replaces_the_realm_key_with_no_failed_sign_in_and_the_old_key_is_refused(
    sandbox: LocalSandbox, realm: str, tmp_path: Path
) -> None:
    old = ClientKey(days=400)
    old_kid = import_realm_key(sandbox, realm, old)
    project = FleetProject.create(
        tmp_path / "fleet", SealedSecret(secrets.token_urlsafe(18), "", ""), sandbox.engine_env()
    )
    project.write_stack("acme", {**entra_organization(sandbox, realm), **SECRETLESS})
    project.write_stack("globex", {**okta_organization(sandbox, realm), **SECRETLESS})
    first = project.ssoprov("up")
    assert first.code == 0, first.stdout + first.stderr
    listed = {row["stack"]: row for row in json.loads(project.ssoprov("secrets", "--json").stdout)["secrets"]}
    # keyRotateAfterDays (365) from notBefore comes before keyRotateBeforeExpiryDays (30) from notAfter.
    rotate_by = old.certificate.not_valid_before_utc + timedelta(days=365)
    for row in listed.values():
        assert (row["credential"], row["secretId"], row["dueNow"]) == ("realmKey", old_kid, False), row
        assert row["secretExpiresAt"] == calendar_date(old.certificate.not_valid_after_utc)
        assert row["secretRotateBy"] == calendar_date(rotate_by)
    okta_store = sandbox.okta.store
    [okta_app] = okta_store.apps()  # this test's sandbox holds these two apps only
    [acme_client] = [a["appId"] for a in sandbox.graph.store.list_applications()]
    before = old_key_answers(sandbox, realm, old, old_kid, acme_client, okta_app.client_id)
    assert [answer.json()["error"] for answer in before] == ["invalid_grant", "invalid_grant"]  # trusted

    due_day = calendar_date(rotate_by + timedelta(days=1))
    assert due_day is not None
    plan = project.ssoprov("rotate", "--dry-run", "--as-of", due_day)
    assert plan.code == 0, plan.stderr
    assert "stage a new key" in plan.stderr and f"delete the old key {old_kid}" in plan.stderr
    assert len(asyncio.run(keycloak_keys_read(sandbox, realm)).staged) == 0  # a dry run changes nothing

    report_file = tmp_path / "rotate.json"
    with (
        signing_in(sandbox.keycloak_url, realm, "acme", ENTRA_LOGIN) as entra_results,
        signing_in(sandbox.keycloak_url, realm, "globex", OKTA_LOGIN) as okta_results,
    ):
        rotated = project.ssoprov("rotate", "--as-of", due_day, "--json-report", str(report_file))

    assert rotated.code == 0, rotated.stdout + rotated.stderr
    entries = {entry["stack"]: entry for entry in json.loads(report_file.read_text())["stacks"]}
    assert {stack: entry["status"] for stack, entry in entries.items()} == {
        "acme": "rotated",
        "globex": "rotated",
    }
    for results in (entra_results, okta_results):
        assert results, "no sign-in ran during the rotation"
        assert all(r.signed_in for r in results), [r.detail for r in results if not r.signed_in]
    keys = asyncio.run(keycloak_keys_read(sandbox, realm))
    assert keys.signer is not None and keys.signer.kid != old_kid and not (keys.staged or keys.retiring)
    new = keys.signer
    app = sandbox.graph.store.get_application_by_app_id(acme_client, with_keys=True)
    assert [base64.b64decode(c["key"]) for c in app["keyCredentials"]] == [base64.b64decode(new.certificate)]
    assert [(k.kid, k.status) for k in okta_store.jwks(okta_app.id)] == [(new.kid, "ACTIVE")]
    after = old_key_answers(sandbox, realm, old, old_kid, acme_client, okta_app.client_id)
    assert [(answer.status_code, answer.json()["error"]) for answer in after] == [(401, "invalid_client")] * 2
    assert after[0].json()["error_description"].startswith("AADSTS700027:")
    assert sign_in(sandbox, realm, "acme", ENTRA_LOGIN).signed_in
    assert sign_in(sandbox, realm, "globex", OKTA_LOGIN).signed_in

    again_file = tmp_path / "again.json"
    again = project.ssoprov("up", "--json-report", str(again_file))
    assert again.code == 0, again.stdout + again.stderr
    for stack in json.loads(again_file.read_text())["stacks"]:
        changes = stack["changes"]
        assert (changes["created"], changes["updated"], changes["replaced"], changes["deleted"]) == (
            0,
            0,
            0,
            0,
        )
    rows = json.loads(project.ssoprov("secrets", "--json").stdout)["secrets"]
    assert [(row["secretId"], row["dueNow"]) for row in rows] == [(new.kid, False)] * 2


def test_an_interrupted_rotation_resumes_and_promotion_waits_for_every_organization_of_the_realm(
    sandbox: LocalSandbox, realm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed after staging, then one killed after promoting, are finished by `ssoprov rotate`
    (which never stages a second key); promotion is refused while a secretless stack of the realm
    is outside the selection, and while a generic OIDC one's customer has not confirmed the key."""
    for name in ("KEYCLOAK_ADMIN_USERNAME", "KEYCLOAK_ADMIN_PASSWORD"):  # for the steps a killed run did
        monkeypatch.setenv(name, sandbox.engine_env()[name])
    store = sandbox.okta.store
    alias = "initech"
    claim = GroupsClaim("GROUPS", "REGEX", "ORG_URL", "groups", ".*")
    redirect_uri = f"{sandbox.keycloak_url}/realms/{realm}/broker/{alias}/endpoint"
    client_id, _ = okta_web_app(
        store, redirect_uri, ["Engineering"], claim=claim, auth_method="private_key_jwt"
    )
    project = FleetProject.create(
        tmp_path / "fleet", SealedSecret(secrets.token_urlsafe(18), "", ""), sandbox.engine_env()
    )
    project.write_stack("acme", {**entra_organization(sandbox, realm), **SECRETLESS})
    project.write_stack(alias, {**generic_oidc_organization(sandbox, realm, client_id, alias), **SECRETLESS})
    first = project.ssoprov("up")
    assert first.code == 0, first.stdout + first.stderr
    old = asyncio.run(keycloak_keys_read(sandbox, realm)).signer
    assert old is not None
    # A run killed right after staging: a key Keycloak publishes and does not sign with.
    staged = asyncio.run(keycloak_keys.stage(sandbox.keycloak_url, realm))

    partial = project.ssoprov("rotate", "--stack", "acme")
    assert partial.code == 1 and f"stack(s) {alias} of realm {realm}" in partial.stderr, partial.stderr
    unconfirmed = project.ssoprov("rotate")
    assert unconfirmed.code == 1 and "--generic-oidc-key-registered" in unconfirmed.stderr, unconfirmed.stderr
    keys = asyncio.run(keycloak_keys_read(sandbox, realm))
    assert keys.signer == old and keys.staged == [staged]  # published everywhere, not promoted
    handed_over = project.engine().stack(alias).outputs()["brokerKey"].value
    assert [key["kid"] for key in handed_over["keys"]] == [old.kid, staged.kid]
    [app] = [a for a in store.apps() if a.client_id == client_id]
    okta = okta_client_from_env(sandbox.engine_env(), org_url=sandbox.okta_url)
    for key in handed_over["keys"]:  # what the customer's IT team does with brokerKey.keys
        asyncio.run(okta.add_jwk(app.id, key["jwk"]))
    # A run killed right after promoting: Keycloak signs with the new key, the old one retires.
    asyncio.run(keycloak_keys.promote(sandbox.keycloak_url, realm, staged))
    assert sign_in(sandbox, realm, "acme", ENTRA_LOGIN).signed_in  # the app trusts both keys

    report_file = tmp_path / "rotate.json"
    finished = project.ssoprov("rotate", "--generic-oidc-key-registered", "--json-report", str(report_file))

    assert finished.code == 0, finished.stdout + finished.stderr
    entries = json.loads(report_file.read_text())["stacks"]
    assert [(e["stack"], e["status"], e["secret"]["secretId"]) for e in entries] == [
        ("acme", "rotated", staged.kid),
        (alias, "rotated", staged.kid),
    ]
    keys = asyncio.run(keycloak_keys_read(sandbox, realm))
    assert keys.signer is not None and keys.signer.kid == staged.kid and not (keys.staged or keys.retiring)
    acme = sandbox.graph.store.get_application_by_app_id(
        project.engine().stack("acme").outputs()["clientId"].value, with_keys=True
    )
    assert [base64.b64decode(c["key"]) for c in acme["keyCredentials"]] == [
        base64.b64decode(staged.certificate)
    ]
    assert sign_in(sandbox, realm, "acme", ENTRA_LOGIN).signed_in
    assert sign_in(sandbox, realm, alias, OKTA_LOGIN).signed_in
