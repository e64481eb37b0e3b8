"""Private-key mode through the real Pulumi CLI against a stand-in service app that requires DPoP:
create, an in-place update, a no-op, destroy; every management call DPoP-bound."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.okta.conftest import SCOPES, SERVICE_APP, OktaSandbox
from tests.support.projects import StackProject

PROGRAM = Path(__file__).parent / "service_app_program"


def test_a_dpop_service_app_provisions_through_pulumi_up(
    stack_project: Callable[..., StackProject], dpop_app: OktaSandbox, service_key: tuple[str, str]
) -> None:
    store, auth = dpop_app.stand_in.store, dpop_app.stand_in.auth
    seeded = store.snapshot()
    config = {"test:orgUrl": dpop_app.url, "test:label": "Acme SSO", "test:groups": ["Engineering", "Sales"]}
    project = stack_project(
        "dpop",
        config,
        program_dir=PROGRAM,
        env={
            "OKTA_CLIENT_ID": SERVICE_APP,
            "OKTA_PRIVATE_KEY": service_key[0],
            "OKTA_SCOPES": " ".join(SCOPES),
        },
    )
    stack = project.stack

    created = stack.up(show_secrets=False)
    assert created.summary.resource_changes == {"create": 5}  # stack, app, 2 assignments, secret
    (app,) = store.apps()
    (secret,) = store.secrets(app.id)
    assert stack.outputs()["clientSecret"].value == secret.value
    assert len(store.app_assignments(app.id)) == 2

    project.write_config({**config, "test:label": "Acme Inc SSO"})
    assert stack.up(show_secrets=False).summary.resource_changes == {"update": 1, "same": 4}
    assert store.get_app(app.id).label == "Acme Inc SSO"
    assert stack.up(show_secrets=False).summary.resource_changes == {"same": 5}

    stack.destroy(show_secrets=False)
    assert store.snapshot() == seeded
    # Every management call carried a DPoP-bound token and its proof; none went out as Bearer.
    assert set(auth.header_forms) == {"DPoP <token>"}
    refused = [c for c in dpop_app.stand_in.calls.all() if c.path.startswith("/api/") and c.status >= 400]
    assert [c.status for c in refused if c.status != 404] == []
    token_answers = [c.status for c in dpop_app.stand_in.calls.all() if c.path == "/oauth2/v1/token"]
    assert 200 in token_answers and set(token_answers) <= {200, 400}
