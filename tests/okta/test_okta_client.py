"""OktaClient through the real okta SDK against the stand-in: every answer parsed by the SDK."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from ssoprov.errors import ApiError, NotFoundError, SpecError
from ssoprov.okta.okta_client import HTTPS_CHECK_ENV, AppQuotaError, GroupLookupError, OktaClient
from tests.okta.conftest import WEB_APP, OktaSandbox

REDIRECT = "https://broker.example/sso/callback"


def test_importing_the_client_does_not_import_the_okta_sdk() -> None:
    code = "import sys, ssoprov.okta.okta_client; print(any(m.split('.')[0] == 'okta' for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_app_lifecycle_leaves_the_org_as_seeded(okta: OktaClient, okta_sandbox: OktaSandbox) -> None:
    seeded = okta_sandbox.stand_in.store.snapshot()

    async def scenario() -> None:
        app = await okta.create_oidc_web_app("Acme SSO", [REDIRECT], ["https://app.example/bye"])
        assert app.status == "ACTIVE" and app.client_id == app.id
        assert (app.grant_types, app.response_types) == (["authorization_code"], ["code"])
        assert app.token_endpoint_auth_method == "client_secret_basic" and app.pkce_required is False
        assert app.client_secret and app.client_secret not in repr(app)

        read = await okta.get_app(app.id)
        assert read.client_secret is None and read.redirect_uris == [REDIRECT]

        updated = await okta.update_app(
            app.id, label="Acme SSO (prod)", redirect_uris=[REDIRECT, REDIRECT + "2"]
        )
        assert (updated.label, updated.redirect_uris) == ("Acme SSO (prod)", [REDIRECT, REDIRECT + "2"])
        assert updated.post_logout_redirect_uris == ["https://app.example/bye"]
        cleared = await okta.update_app(app.id, post_logout_redirect_uris=[])
        assert cleared.post_logout_redirect_uris == [] and cleared.label == "Acme SSO (prod)"

        engineering = await okta.find_group_by_name("Engineering")
        await okta.assign_group(app.id, engineering.id, group_name=engineering.name)
        await okta.set_groups_claim(app.id, "groups", "regex", ".*")

        await okta.deactivate_and_delete_app(app.id)
        await okta.deactivate_and_delete_app(app.id)  # already gone: fine
        with pytest.raises(NotFoundError, match=f"reading app {app.id}: HTTP 404 E0000007"):
            await okta.get_app(app.id)

    asyncio.run(scenario())
    assert okta_sandbox.stand_in.store.snapshot() == seeded


def test_one_client_serves_several_threads_each_with_its_own_event_loop(okta: OktaClient) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        names = list(
            pool.map(lambda n: asyncio.run(okta.find_group_by_name(n)).name, ["Admins", "Sales"] * 4)
        )
    assert names == ["Admins", "Sales"] * 4


def test_group_lookup_is_by_exact_name_not_prefix(okta: OktaClient) -> None:
    async def scenario() -> None:
        engineering = await okta.find_group_by_name("Engineering")
        contractors = await okta.find_group_by_name("Engineering-Contractors")
        assert (engineering.name, contractors.name) == ("Engineering", "Engineering-Contractors")
        assert engineering.id != contractors.id and engineering.type == "OKTA_GROUP"

    asyncio.run(scenario())


def test_a_missing_group_error_names_the_group_and_near_misses(okta: OktaClient) -> None:
    with pytest.raises(GroupLookupError) as missing:
        asyncio.run(okta.find_group_by_name("Eng"))
    assert missing.value.name == "Eng" and missing.value.matches == []
    assert "finding the Okta group named 'Eng': no group has exactly this name" in str(missing.value)
    assert "Engineering, Engineering-Contractors" in str(missing.value)

    with pytest.raises(GroupLookupError, match="Did you mean 'Engineering'"):
        asyncio.run(okta.find_group_by_name("engineering"))


def test_several_groups_with_the_exact_name_is_an_error(okta: OktaClient, okta_sandbox: OktaSandbox) -> None:
    imported = okta_sandbox.stand_in.store.add_group("Sales", "From Active Directory", type="APP_GROUP")
    with pytest.raises(GroupLookupError) as ambiguous:
        asyncio.run(okta.find_group_by_name("Sales"))
    assert len(ambiguous.value.matches) == 2 and imported.id in ambiguous.value.matches
    assert f"{imported.id} (APP_GROUP)" in str(ambiguous.value)


def test_group_assignments(okta: OktaClient) -> None:
    async def scenario() -> None:
        app = await okta.create_oidc_web_app("Assignments", [REDIRECT])
        admins = await okta.find_group_by_name("Admins")
        sales = await okta.find_group_by_name("Sales")
        await okta.assign_group(app.id, admins.id, group_name=admins.name)
        again = await okta.assign_group(app.id, admins.id, group_name=admins.name)  # idempotent PUT
        await okta.assign_group(app.id, sales.id, group_name=sales.name, priority=5)
        assigned = {a.group_id: a.priority for a in await okta.list_app_groups(app.id)}
        assert assigned == {admins.id: again.priority, sales.id: 5}

        await okta.unassign_group(app.id, admins.id, group_name=admins.name)
        await okta.unassign_group(app.id, admins.id, group_name=admins.name)  # already gone: fine
        assert [a.group_id for a in await okta.list_app_groups(app.id)] == [sales.id]

        ghost = "00gDoesNotExist000000"
        with pytest.raises(NotFoundError) as missing:
            await okta.assign_group(app.id, ghost, group_name="Ghosts")
        assert f"assigning group Ghosts ({ghost}) to app {app.id}: HTTP 404 E0000007" in str(missing.value)

    asyncio.run(scenario())


def test_groups_claim_round_trip(okta: OktaClient, okta_sandbox: OktaSandbox) -> None:
    async def scenario() -> None:
        app = await okta.create_oidc_web_app("Claims", [REDIRECT])
        assert await okta.get_groups_claim(app.id) is None
        written = await okta.set_groups_claim(app.id, "groups", "starts_with", "Eng")
        read = await okta.get_groups_claim(app.id)
        assert read == written and read.filter_type == "STARTS_WITH" and read.value == "Eng"
        with pytest.raises(SpecError, match="'suffix' is not one of starts_with, equals, contains, regex"):
            await okta.set_groups_claim(app.id, "groups", "suffix", "x")
        with pytest.raises(NotFoundError, match="reading the groups claim of app 0oaNope"):
            await okta.get_groups_claim("0oaNope")

    asyncio.run(scenario())
    # the SDK's generated methods send "SSWS<token>", its request executor "SSWS <token>"
    assert set(okta_sandbox.stand_in.auth.header_forms) == {"SSWS<token>", "SSWS <token>"}


def test_secret_rotation_obeys_okta_rules(okta: OktaClient) -> None:
    async def scenario() -> None:
        app = await okta.create_oidc_web_app("Rotation", [REDIRECT])
        [original] = await okta.list_secrets(app.id)
        assert original.status == "ACTIVE" and original.client_secret is None

        with pytest.raises(ApiError, match="You can't deactivate the only active client secret") as only:
            await okta.deactivate_secret(app.id, original.id)
        assert only.value.status == 400 and only.value.code == "E0000001"

        fresh = await okta.create_secret(app.id)
        assert fresh.status == "ACTIVE" and len(fresh.client_secret or "") >= 40
        assert fresh.client_secret not in repr(fresh)
        with pytest.raises(ApiError, match="maximum number of client secrets per client"):
            await okta.create_secret(app.id)
        with pytest.raises(ApiError, match="can't delete an active client secret"):
            await okta.delete_secret(app.id, original.id)

        retired = await okta.deactivate_secret(app.id, original.id)
        assert retired.status == "INACTIVE"
        assert (await okta.deactivate_secret(app.id, original.id)).status == "INACTIVE"  # again: fine
        await okta.delete_secret(app.id, original.id)
        await okta.delete_secret(app.id, original.id)  # already gone: fine
        assert [(s.id, s.status) for s in await okta.list_secrets(app.id)] == [(fresh.id, "ACTIVE")]

    asyncio.run(scenario())


def test_the_sdk_parses_the_user_and_group_answers(
    okta_sandbox: OktaSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Endpoints the client does not wrap, read with the SDK itself."""
    from okta.client import Client

    monkeypatch.setenv(HTTPS_CHECK_ENV, "true")  # the SDK refuses an http org URL otherwise

    async def scenario() -> None:
        sdk = Client(
            {"orgUrl": okta_sandbox.url, "token": okta_sandbox.token, "rateLimit": {"maxRetries": 0}}
        )
        alice, _, error = await sdk.get_user("alice@acme.example")
        assert error is None and alice.profile.first_name == "Alice" and alice.id.startswith("00u")
        groups, _, error = await sdk.list_user_groups(alice.id)
        assert error is None
        assert sorted(g.profile.actual_instance.name for g in groups) == ["Admins", "Engineering", "Everyone"]
        members, _, error = await sdk.list_group_users(groups[1].id)
        assert error is None and alice.id in [m.id for m in members]
        group, _, error = await sdk.get_group(groups[1].id)
        assert error is None and group.profile.actual_instance.name == groups[1].profile.actual_instance.name
        with okta_sandbox.http() as http:
            app_id = http.post("/api/v1/apps", json=WEB_APP).json()["id"]
        apps, _, error = await sdk.list_applications(q="acme")
        assert error is None
        assert [(a.label, a.sign_on_mode.value) for a in apps] == [("Acme SSO", "OPENID_CONNECT")]
        _, _, error = await sdk.assign_group_to_application(app_id, group.id)
        assigned, _, error = await sdk.get_application_group_assignment(app_id, group.id)
        assert error is None and assigned.id == group.id
        extra, _, error = await sdk.create_o_auth2_client_secret(app_id)
        assert error is None
        inactive, _, error = await sdk.deactivate_o_auth2_client_secret(app_id, extra.id)
        assert error is None and inactive.status == "INACTIVE"
        active, _, error = await sdk.activate_o_auth2_client_secret(app_id, extra.id)
        assert error is None and active.status == "ACTIVE" and active.id == extra.id

    asyncio.run(scenario())


def test_an_org_at_its_app_quota_is_named_with_what_to_do(
    okta: OktaClient, okta_sandbox: OktaSandbox
) -> None:
    store = okta_sandbox.stand_in.store
    asyncio.run(okta.create_oidc_web_app("First", [REDIRECT]))
    store.app_quota = 1
    seeded = store.snapshot()
    with pytest.raises(AppQuotaError) as refused:
        asyncio.run(okta.create_oidc_web_app("Acme SSO", [REDIRECT]))
    message = str(refused.value)
    assert message.startswith(
        f"Okta: creating OIDC web app 'Acme SSO' in {okta_sandbox.url}: HTTP 400 E0000001"
    )
    assert f"the Okta org {okta_sandbox.url} is at its app quota" in message
    assert "Maximum number of instances has been reached." in message
    assert "Delete apps the org no longer uses" in message and "raise the org's app limit" in message
    assert store.snapshot() == seeded  # refused, not half made
    assert [c.status for c in okta_sandbox.stand_in.calls.all() if c.method == "POST"][-1] == 400


def test_the_sdk_narrows_lists_by_the_filter_and_q_okta_documents(
    okta_sandbox: OktaSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from okta.client import Client

    monkeypatch.setenv(HTTPS_CHECK_ENV, "true")
    with okta_sandbox.http() as http:
        active = http.post("/api/v1/apps", json=WEB_APP).json()["id"]
        inactive = http.post("/api/v1/apps?activate=false", json={**WEB_APP, "label": "Acme Old"}).json()[
            "id"
        ]
    groups = {g.name: g.id for g in okta_sandbox.stand_in.store.groups()}
    for name in ("Engineering", "Engineering-Contractors", "Sales"):
        okta_sandbox.stand_in.store.assign_group(active, groups[name], None, None)

    async def scenario() -> dict[str, object]:
        sdk = Client(
            {"orgUrl": okta_sandbox.url, "token": okta_sandbox.token, "rateLimit": {"maxRetries": 0}}
        )

        async def apps(expression: str) -> object:
            found, _, error = await sdk.list_applications(filter=expression)
            return error if error is not None else sorted(a.id for a in found)

        built_in, _, _ = await sdk.list_groups(filter='type eq "BUILT_IN"')
        assigned, _, _ = await sdk.list_application_group_assignments(active, q="engineering")
        return {
            "active": await apps('status eq "ACTIVE"'),
            "either": await apps(f'id eq "{inactive}" or id eq "{active}"'),
            "inactive web": await apps('name eq "oidc_client" and status eq "INACTIVE"'),
            "sw": await apps('status sw "ACT"'),  # the filter takes eq only
            "built-in": [g.profile.actual_instance.name for g in built_in],
            "assigned": sorted(a.id for a in assigned),
        }

    found = asyncio.run(scenario())
    assert (found["active"], found["either"], found["inactive web"]) == (
        [active],
        sorted([active, inactive]),
        [inactive],
    )
    assert "E0000031" in str(found["sw"])
    assert found["built-in"] == ["Everyone"]
    assert found["assigned"] == sorted([groups["Engineering"], groups["Engineering-Contractors"]])
