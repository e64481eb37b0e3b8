"""The WorkOS stand-in holds to WorkOS's documented wire contract (raw HTTP, no SDK)."""

from __future__ import annotations

import re
import time

from sandbox.workos import INITECH
from tests.workos.conftest import WorkosSandbox

SECRET = "never-returned-7c2e"
ULID = r"[0-9A-HJKMNP-TV-Z]{26}"


def oidc_body(**changes: object) -> dict:
    return {
        "organization_id": INITECH.id,
        "name": "Initech",
        "external_id": "initech-oidc",
        "connection_type": "GenericOIDC",
        "oidc_options": {
            "discovery_endpoint": "https://idp.initech.example/.well-known/openid-configuration",
            "client_id": "initech-sso",
            "client_secret": SECRET,
            "redirect_uri": "https://auth.example.com/callback",
        },
        **changes,
    }


def test_connection_objects_have_the_documented_shape_and_never_the_secret(
    workos_sandbox: WorkosSandbox,
) -> None:
    with workos_sandbox.http() as http:
        created = http.post("/connections", json=oidc_body())
        assert created.status_code == 201
        connection = created.json()
        assert re.fullmatch(f"conn_{ULID}", connection["id"])
        assert re.fullmatch(r"req_\w{26}", created.headers["x-request-id"])
        assert set(connection) == {
            "object",
            "id",
            "organization_id",
            "connection_type",
            "name",
            "state",
            "status",
            "domains",
            "created_at",
            "updated_at",
        }
        assert connection["object"] == "connection"
        assert (connection["state"], connection["status"]) == ("active", "linked")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", connection["created_at"])

        answers = [
            created,
            http.get(f"/connections/{connection['id']}"),
            http.get("/connections", params={"organization_id": INITECH.id}),
            http.patch(f"/connections/{connection['id']}", json={"oidc_options": {"client_secret": SECRET}}),
            http.post("/connections", json=oidc_body()),
        ]
        assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
        assert all(SECRET not in answer.text for answer in answers)
        listing = answers[2].json()
        assert listing["object"] == "list" and [c["id"] for c in listing["data"]] == [connection["id"]]
        assert listing["list_metadata"] == {"before": None, "after": None}


def test_organizations_are_seeded_with_documented_fields(workos_sandbox: WorkosSandbox) -> None:
    with workos_sandbox.http() as http:
        organization = http.get(f"/organizations/{INITECH.id}").json()
    assert organization["object"] == "organization" and organization["name"] == "Initech"
    assert organization["domains"][0]["object"] == "organization_domain"
    assert organization["domains"][0]["domain"] == "initech.example"


def test_errors_have_workos_bodies(workos_sandbox: WorkosSandbox) -> None:
    with workos_sandbox.http() as http:
        missing = http.get("/connections/conn_01HV3K8Q2M7N5P4R6S9T0W1X2Y")
        assert missing.status_code == 404
        assert missing.json() == {
            "code": "entity_not_found",
            "message": "Connection not found: 'conn_01HV3K8Q2M7N5P4R6S9T0W1X2Y'.",
        }

        invalid = http.post("/connections", json=oidc_body(oidc_options={"discovery_endpoint": 1}))
        assert invalid.status_code == 422
        assert invalid.json()["code"] == "invalid_request_parameters"
        assert invalid.json()["errors"][0].keys() == {"code", "message"}

        without_secret = {**oidc_body()["oidc_options"], "client_secret": None}
        no_secret = http.post("/connections", json=oidc_body(oidc_options=without_secret))
        assert (no_secret.status_code, no_secret.json()["code"]) == (422, "client_secret_required")

        microsoft = http.post("/connections", json=oidc_body(connection_type="MicrosoftOAuth"))
        assert (microsoft.status_code, microsoft.json()["code"]) == (422, "connection_type_not_supported")

        connection_id = http.post("/connections", json=oidc_body()).json()["id"]
        retype = http.patch(f"/connections/{connection_id}", json={"connection_type": "OktaOIDC"})
        assert (retype.status_code, retype.json()["code"]) == (422, "connection_type_not_updatable")

    with workos_sandbox.http(api_key="sk_test_unknown") as http:
        refused = http.get(f"/organizations/{INITECH.id}")
    assert (refused.status_code, refused.json()) == (401, {"error": "Unauthorized"})


def test_throttling_answers_429_with_retry_after(workos_sandbox: WorkosSandbox) -> None:
    with workos_sandbox.http() as http:
        http.put(
            "/_sandbox/faults", json={"throttle_count": 1, "throttle_wait_seconds": 2.5}
        ).raise_for_status()
        throttled = http.get(f"/organizations/{INITECH.id}")
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "3"
        assert throttled.json() == {
            "code": "rate_limit_exceeded",
            "message": "Rate limit exceeded.",
            "retry_after": 3,
        }
        assert http.get(f"/organizations/{INITECH.id}").status_code == 200


def test_idempotency_key_replays_the_first_answer(workos_sandbox: WorkosSandbox) -> None:
    with workos_sandbox.http() as http:
        key = {"Idempotency-Key": "3f9c0a52-key"}
        first = http.post("/connections", json=oidc_body(), headers=key)
        replay = http.post("/connections", json=oidc_body(), headers=key)
        assert (first.status_code, replay.status_code) == (201, 201)
        assert replay.json() == first.json()
        conflict = http.post("/connections", json=oidc_body(name="Other"), headers=key)
        assert (conflict.status_code, conflict.json()["code"]) == (409, "idempotency_key_conflict")
    assert len(workos_sandbox.stand_in.store.connections_of(INITECH.id)) == 1


def test_deletion_is_asynchronous_and_a_deleting_connection_refuses_changes(
    workos_sandbox: WorkosSandbox,
) -> None:
    store = workos_sandbox.stand_in.store
    store.deletion_seconds = 0.6
    with workos_sandbox.http() as http:
        connection_id = http.post("/connections", json=oidc_body()).json()["id"]
        assert http.delete(f"/connections/{connection_id}").status_code == 204

        deleting = http.get(f"/connections/{connection_id}")
        assert (deleting.status_code, deleting.json()["state"]) == (200, "deleting")
        listed = http.get("/connections", params={"organization_id": INITECH.id}).json()["data"]
        assert [(c["id"], c["state"]) for c in listed] == [(connection_id, "deleting")]
        refusals = [
            http.patch(f"/connections/{connection_id}", json={"name": "Renamed"}),
            http.delete(f"/connections/{connection_id}"),
        ]
        for refused in refusals:
            assert refused.status_code == 409
            assert refused.json() == {
                "code": "connection_deletion_in_progress",
                "message": f"Connection '{connection_id}' is being deleted and can no longer be changed.",
            }
        # A create naming its external_id gets the existing connection back, as it is.
        again = http.post("/connections", json=oidc_body())
        assert again.status_code == 200
        assert (again.json()["id"], again.json()["state"]) == (connection_id, "deleting")

        time.sleep(0.7)
        assert http.get(f"/connections/{connection_id}").status_code == 404
        fresh = http.post("/connections", json=oidc_body())
        assert fresh.status_code == 201 and fresh.json()["id"] != connection_id
    assert [c.state for c in store.connections_of(INITECH.id)] == ["active"]
